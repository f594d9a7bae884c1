/// A payout's status as merchants see it (the payout-invoices dialect's words). Strings only at the store and
/// wire boundary: `PayoutRecord.status` holds `rawValue`.
public enum PayoutStatus: String, Sendable, Codable, Hashable, CaseIterable {
    case created
    case processing
    case processPending = "process_pending"
    case processError = "process_error"
    case processed
    case partiallyProcessed = "partially_processed"
    case processFailed = "process_failed"
    case expired
    case terminated
    case canceling
    case cancelPending = "cancel_pending"
    case cancelError = "cancel_error"
    case canceled
    case partiallyCanceled = "partially_canceled"
    case cancelFailed = "cancel_failed"

    /// After these the gateway stops driving the payout (a reversal may still follow a success).
    public var isFinal: Bool {
        switch self {
        case .processed, .partiallyProcessed, .processFailed, .expired, .terminated, .canceled, .partiallyCanceled, .cancelFailed:
            return true
        case .created, .processing, .processPending, .processError, .canceling, .cancelPending, .cancelError:
            return false
        }
    }

    /// Money moved to the recipient (and was not taken back).
    public var isPaid: Bool { self == .processed || self == .partiallyProcessed || self == .cancelFailed }

    /// The payout ended without paying.
    public var isFailure: Bool { self == .processFailed || self == .expired || self == .terminated }

    /// Part of a reversal after a success.
    public var isReversal: Bool {
        switch self {
        case .canceling, .cancelPending, .cancelError, .canceled, .partiallyCanceled, .cancelFailed: return true
        default: return false
        }
    }

    /// Whether a move from this status to `next` is allowed: a final status never goes back to a non-final one,
    /// except that a success may still be reversed (processed → canceling → canceled). A provider that paid a
    /// payout it had reported failed is believed (money moved), and operators are alerted.
    public func allowsTransition(to next: PayoutStatus) -> Bool {
        guard isFinal else { return true }
        if next == .processed || next == .partiallyProcessed { return true }
        return (isPaid || isReversal) && (next.isReversal || next.isPaid)
    }

    /// A stored status word; an unknown one reads as `process_pending` (never final, never guessed).
    public init(stored: String) { self = PayoutStatus(rawValue: stored) ?? .processPending }

    public static func isFinal(_ status: String) -> Bool { PayoutStatus(rawValue: status)?.isFinal ?? false }
}
