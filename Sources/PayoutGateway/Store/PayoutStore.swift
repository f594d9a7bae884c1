/// What a create found: a new payout, or the existing one with the same reference_id.
public enum CreatePayoutResult: Sendable {
    case created(PayoutRecord)
    case duplicate(PayoutRecord)
}

/// One engine step's writes, committed in a single transaction (or not at all).
public struct PayoutStepCommit: Sendable {
    public var payout: PayoutRecord
    public var attempts: [AttemptRecord]
    public var events: [PayoutEventRecord]
    /// The webhook body to enqueue when the status changed (written with the change, never apart).
    public var webhookBody: String?

    public init(payout: PayoutRecord, attempts: [AttemptRecord] = [], events: [PayoutEventRecord] = [], webhookBody: String? = nil) {
        self.payout = payout
        self.attempts = attempts
        self.events = events
        self.webhookBody = webhookBody
    }
}

/// The payout ledger. Every write is transactional; no transaction spans a provider call.
public protocol PayoutStore: Sendable {
    func migrate() async throws

    func insertMerchant(_ merchant: MerchantRecord) async throws
    func merchant(id: String) async throws -> MerchantRecord?
    func merchant(publicKey: String) async throws -> MerchantRecord?

    /// Inserts a payout; a second payout with the same (merchant, reference_id) is refused by a unique index.
    func createPayout(_ payout: PayoutRecord, event: PayoutEventRecord) async throws -> CreatePayoutResult
    func payout(id: String) async throws -> PayoutRecord?
    func payout(merchantId: String, referenceId: String) async throws -> PayoutRecord?
    /// Newest first. `before` gives older payouts than that id, `after` newer ones.
    func payouts(merchantId: String, limit: Int, before: String?, after: String?) async throws -> [PayoutRecord]
    /// Marks a payout for processing (the dialect's `/process`) and makes it due now.
    func requestProcessing(id: String, merchantId: String, nowMs: Int64) async throws -> PayoutRecord?
    func events(payoutId: String) async throws -> [PayoutEventRecord]

    /// Leases due payouts to `owner` until `nowMs + leaseMs`; another owner cannot claim them meanwhile.
    func claimDuePayouts(owner: String, nowMs: Int64, leaseMs: Int64, limit: Int) async throws -> [PayoutRecord]
    func attempts(payoutId: String) async throws -> [AttemptRecord]
    func attempt(providerId: String, reference: String) async throws -> AttemptRecord?
    func attempt(providerId: String, providerPayoutId: String) async throws -> AttemptRecord?
    /// Commits a step if `owner` still holds the lease; returns false (and writes nothing) otherwise.
    func commit(_ step: PayoutStepCommit, owner: String) async throws -> Bool
    /// Makes a payout due at `atMs` (provider callbacks use it to trigger a confirming status query).
    func nudge(payoutId: String, atMs: Int64) async throws
    func countNonFinal() async throws -> Int

    func claimDueWebhooks(nowMs: Int64, leaseMs: Int64, limit: Int) async throws -> [WebhookRecord]
    func recordWebhookAttempt(id: Int64, code: Int64?, error: String?, delivered: Bool, nextAttemptAt: Int64, giveUp: Bool) async throws
    func webhooks(payoutId: String) async throws -> [WebhookRecord]

    func idempotency(merchantId: String, key: String) async throws -> IdempotencyRecord?
    func saveIdempotency(_ record: IdempotencyRecord) async throws
}
