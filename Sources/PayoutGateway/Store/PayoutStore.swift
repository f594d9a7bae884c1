/// What a create found: a new payout, or the existing one with the same reference_id.
public enum CreatePayoutResult: Sendable {
    case created(PayoutRecord)
    case duplicate(PayoutRecord)
    /// The `Idempotency-Key` was taken first (by an earlier or a concurrent request); nothing was written.
    case keyTaken(IdempotencyRecord)
}

/// One engine step's writes, committed in a single transaction (or not at all).
///
/// Only the columns the engine owns are written (status, resolution, provider, schedule, lease …): a merchant's
/// `/process` that lands during the step is never overwritten. The commit is fenced by `payout.leaseToken`.
public struct PayoutStepCommit: Sendable {
    public var payout: PayoutRecord
    public var attempts: [AttemptRecord]
    public var events: [PayoutEventRecord]
    /// The webhook body to enqueue when the status changed (written with the change, never apart).
    public var webhookBody: String?
    /// Keep the lease (an intent committed before a provider call); otherwise release it.
    public var keepLease: Bool
    /// Refuse the commit if the merchant asked to process since the payout was claimed (an expiry).
    public var requireNoProcessRequest: Bool

    public init(payout: PayoutRecord, attempts: [AttemptRecord] = [], events: [PayoutEventRecord] = [], webhookBody: String? = nil,
                keepLease: Bool = false, requireNoProcessRequest: Bool = false) {
        self.payout = payout
        self.attempts = attempts
        self.events = events
        self.webhookBody = webhookBody
        self.keepLease = keepLease
        self.requireNoProcessRequest = requireNoProcessRequest
    }
}

/// What one claim of due payouts may take (see ``EngineStore/claimDuePayouts(owner:nowMs:leaseMs:plan:)``).
public struct ClaimPlan: Sendable, Equatable {
    public struct Queue: Sendable, Equatable {
        public var key: String
        public var room: Int
        public init(key: String, room: Int) {
            self.key = key
            self.room = room
        }
    }

    /// At most this many payouts in all.
    public var total: Int
    /// Queues in the order served; each takes at most its room (and what the total leaves).
    public var queues: [Queue]
    /// At most this many payouts of every queue not named in `queues` (no key included); 0 claims none of them.
    public var othersRoom: Int

    public init(total: Int, queues: [Queue], othersRoom: Int) {
        self.total = total
        self.queues = queues
        self.othersRoom = othersRoom
    }
}

/// What the payout engine needs of the ledger.
public protocol EngineStore: Sendable {
    /// Leases due payouts to `owner` until `nowMs + leaseMs`, raising each one's fencing token (`leaseToken`).
    func claimDuePayouts(owner: String, nowMs: Int64, leaseMs: Int64, limit: Int) async throws -> [PayoutRecord]
    /// Leases due payouts as `plan` says, in one transaction: up to each named queue's room (a queue is the provider a
    /// step calls, ``PayoutRecord/queueKey``), read through the queue's index, so a provider whose workers are all busy
    /// costs the claim nothing; then, when `plan.othersRoom > 0`, payouts of queues the plan does not name.
    func claimDuePayouts(owner: String, nowMs: Int64, leaseMs: Int64, plan: ClaimPlan) async throws -> [PayoutRecord]
    func attempts(payoutId: String) async throws -> [AttemptRecord]
    func webhooks(payoutId: String) async throws -> [WebhookRecord]
    /// Commits a step if `owner` still holds the lease with the step's token; returns false (and writes nothing) otherwise.
    func commit(_ step: PayoutStepCommit, owner: String) async throws -> Bool
    /// Extends a held lease (while a provider call is in flight); false when the lease is no longer this token's.
    func renewLease(payoutId: String, owner: String, token: Int64, untilMs: Int64) async throws -> Bool
    /// Leases one payout (an operator's action on it) unless another worker holds it; nil when it does or is unknown.
    func claimPayout(id: String, owner: String, nowMs: Int64, leaseMs: Int64) async throws -> PayoutRecord?
    /// Gives a claimed payout back without stepping it, due at `nextActionAt`.
    func releaseLease(payoutId: String, owner: String, token: Int64, nextActionAt: Int64) async throws
    /// Gives claimed payouts back in one transaction (each fenced by its token), due at `nextActionAt`.
    func releaseLeases(_ payouts: [PayoutRecord], owner: String, nextActionAt: Int64) async throws
}

/// The payout ledger. Every write is transactional; no transaction spans a provider call.
public protocol PayoutStore: EngineStore {
    func migrate() async throws
    /// A trivial read: whether the store answers (readiness).
    func ping() async throws

    func insertMerchant(_ merchant: MerchantRecord) async throws
    func merchant(id: String) async throws -> MerchantRecord?
    func merchant(publicKey: String) async throws -> MerchantRecord?
    /// Every merchant, oldest first.
    func merchants() async throws -> [MerchantRecord]
    /// Disables (`disabledMs` set) or enables (nil) a merchant; false when it does not exist.
    func setMerchantDisabled(id: String, disabledMs: Int64?) async throws -> Bool
    /// Replaces a merchant's key; the old one stays valid until `previousUntilMs` (nil: not at all). False when unknown.
    func replaceMerchantKey(id: String, newHash: String, previousUntilMs: Int64?) async throws -> Bool

    /// Inserts a payout; a second payout with the same (merchant, reference_id) is refused by a unique index.
    /// With `reserving`, the merchant's `Idempotency-Key` is taken in the same transaction (its primary key decides
    /// between concurrent requests): the record is stored with `statusCode` 0 and the payout id as its body until
    /// ``saveIdempotency(_:)`` writes the answer.
    func createPayout(_ payout: PayoutRecord, event: PayoutEventRecord, reserving key: IdempotencyRecord?) async throws -> CreatePayoutResult
    func payout(id: String) async throws -> PayoutRecord?
    func payout(merchantId: String, referenceId: String) async throws -> PayoutRecord?
    /// Newest first. `before` gives older payouts than that id, `after` newer ones.
    func payouts(merchantId: String, limit: Int, before: String?, after: String?) async throws -> [PayoutRecord]
    /// Marks a payout for processing (the dialect's `/process`) and makes it due now.
    func requestProcessing(id: String, merchantId: String, nowMs: Int64) async throws -> PayoutRecord?
    func events(payoutId: String) async throws -> [PayoutEventRecord]
    /// A payout's attempts and webhooks, read together (one session).
    func history(payoutId: String) async throws -> (attempts: [AttemptRecord], webhooks: [WebhookRecord])

    func attempt(providerId: String, reference: String) async throws -> AttemptRecord?
    func attempt(providerId: String, providerPayoutId: String) async throws -> AttemptRecord?
    /// Makes a payout due at `atMs` (provider callbacks use it to trigger a confirming status query).
    func nudge(payoutId: String, atMs: Int64) async throws
    func countNonFinal() async throws -> Int
    /// The engine's backlog: non-final payouts the merchant asked to process (those waiting for `/process` are not work).
    func countBacklog() async throws -> Int
    /// Every merchant's payouts, newest first, narrowed by the filter's fields (the ops page).
    func opsPayouts(_ filter: OpsPayoutFilter, limit: Int) async throws -> [PayoutRecord]
    /// Payouts waiting in `process_pending`, longest waiting first.
    func pendingPayouts(limit: Int) async throws -> [PayoutRecord]
    /// Undelivered webhooks that failed at least `minimumAttempts` times, oldest first.
    func failingWebhooks(minimumAttempts: Int64, limit: Int) async throws -> [WebhookRecord]
    /// Non-final payouts by status and reason, and the webhook outbox (see ``OperationalState``).
    func operationalState(nowMs: Int64) async throws -> OperationalState
    /// Whether anything sealed with the data key is stored (merchant secrets, destination fields).
    func holdsSealedData() async throws -> Bool

    /// Leases due webhooks (the oldest pending one of each payout), none of the merchants in `excludingMerchants`
    /// (those whose every delivery slot is busy: their webhooks stay where they are instead of being claimed and given back).
    func claimDueWebhooks(nowMs: Int64, leaseMs: Int64, limit: Int, excludingMerchants: [String]) async throws -> [WebhookRecord]
    /// Makes claimed webhooks due again at `nextAttemptAt` without counting an attempt, in one transaction.
    func recordWebhookDeferrals(ids: [Int64], nextAttemptAt: Int64) async throws
    func recordWebhookAttempt(id: Int64, code: Int64?, error: String?, delivered: Bool, nextAttemptAt: Int64, giveUp: Bool) async throws

    func idempotency(merchantId: String, key: String) async throws -> IdempotencyRecord?
    func saveIdempotency(_ record: IdempotencyRecord) async throws
}

extension PayoutStore {
    public func createPayout(_ payout: PayoutRecord, event: PayoutEventRecord) async throws -> CreatePayoutResult {
        try await createPayout(payout, event: event, reserving: nil)
    }
}

/// What the ops page's payout list is narrowed by (nil: any).
public struct OpsPayoutFilter: Sendable, Hashable {
    public var merchantId: String?
    public var status: String?
    public var providerId: String?
    public var referenceId: String?

    public init(merchantId: String? = nil, status: String? = nil, providerId: String? = nil, referenceId: String? = nil) {
        self.merchantId = merchantId
        self.status = status
        self.providerId = providerId
        self.referenceId = referenceId
    }
}

extension PayoutStore {
    func claimDueWebhooks(nowMs: Int64, leaseMs: Int64, limit: Int) async throws -> [WebhookRecord] {
        try await claimDueWebhooks(nowMs: nowMs, leaseMs: leaseMs, limit: limit, excludingMerchants: [])
    }
}
