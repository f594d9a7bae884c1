/// What an operator asks of the store at a glance: non-final payouts by status, `process_pending` by reason, and the
/// webhook outbox. Read at each `/metrics` scrape (and by the ops page) through the indexes on `next_action_at` and
/// on the webhooks' state, so its cost does not grow with finished payouts.
public struct OperationalState: Sendable, Hashable {
    /// Non-final payouts by status.
    public var nonFinalByStatus: [String: Int] = [:]
    /// `process_pending` payouts by ``PendingReasonKind``.
    public var pendingByReason: [String: Int] = [:]
    public var webhooksPending = 0
    /// Age of the oldest undelivered webhook (0 when none).
    public var oldestWebhookAgeMillis: Int64 = 0

    public init() {}
}

/// The kinds of reasons a payout waits in `process_pending`: a bounded set for metrics and alerts (the reason text
/// itself names providers and answers).
public enum PendingReasonKind: String, Sendable, CaseIterable {
    case duplicateUnseen = "duplicate_unseen"
    case notVisible = "not_visible"
    case vanished
    case unclearAnswer = "unclear_answer"
    case resendRefused = "resend_refused"
    case unknownStatus = "unknown_status"
    case confirmNotTaken = "confirm_not_taken"
    case bankCheck = "bank_check"
    case contradiction
    case providerUnconfigured = "provider_unconfigured"
    case noProvider = "no_provider"
    case fieldsUnavailable = "fields_unavailable"
    case providerUnreachable = "provider_unreachable"
    /// No reason of the gateway's own: the provider itself reports the payout pending.
    case providerPending = "provider_pending"
    case other

    /// Classifies a stored `pending_reason` (written by ``PayoutLifecycle``).
    public static func classify(_ reason: String?) -> PendingReasonKind {
        guard let reason = reason?.lowercased(), !reason.isEmpty else { return .providerPending }
        let rules: [(String, PendingReasonKind)] = [
            ("duplicate", .duplicateUnseen), ("reports our reference as existing", .duplicateUnseen),
            ("no longer finds", .vanished),
            ("does not find the payout", .notVisible), ("not found after", .notVisible), ("waiting for the provider to show", .notVisible),
            ("repeated create was refused", .resendRefused),
            ("unclear", .unclearAnswer),
            ("status unknown", .unknownStatus), ("unknown status", .unknownStatus),
            ("waits for the confirming call", .confirmNotTaken),
            ("bank check", .bankCheck),
            ("contradict", .contradiction), ("mismatch", .contradiction), ("differ", .contradiction),
            ("is not configured", .providerUnconfigured),
            ("circuit open", .noProvider), ("every remaining provider", .noProvider),
            ("destination fields", .fieldsUnavailable),
            ("provider ", .providerUnreachable),
        ]
        for (needle, kind) in rules where reason.contains(needle) { return kind }
        return .other
    }
}
