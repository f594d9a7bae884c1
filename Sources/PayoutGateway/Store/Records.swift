/// A merchant account: the gateway's API user.
public struct MerchantRecord: Sendable, Codable, Hashable {
    public var id: String
    public var name: String
    public var apiKeyHash: String
    public var publicKey: String
    public var callbackSecretSealed: String
    public var createdMs: Int64
    /// When the merchant was disabled (nil: active). A disabled merchant's keys are refused everywhere.
    public var disabledMs: Int64?
    /// The key replaced by the last rotation, still valid until `previousKeyUntilMs` (the overlap).
    public var previousApiKeyHash: String?
    public var previousKeyUntilMs: Int64?

    public init(id: String, name: String, apiKeyHash: String, publicKey: String, callbackSecretSealed: String, createdMs: Int64,
                disabledMs: Int64? = nil, previousApiKeyHash: String? = nil, previousKeyUntilMs: Int64? = nil) {
        self.id = id
        self.name = name
        self.apiKeyHash = apiKeyHash
        self.publicKey = publicKey
        self.callbackSecretSealed = callbackSecretSealed
        self.createdMs = createdMs
        self.disabledMs = disabledMs
        self.previousApiKeyHash = previousApiKeyHash
        self.previousKeyUntilMs = previousKeyUntilMs
    }

    /// Column names as stored (no key conversion on every statement).
    enum CodingKeys: String, CodingKey {
        case id
        case name
        case apiKeyHash = "api_key_hash"
        case publicKey = "public_key"
        case callbackSecretSealed = "callback_secret_sealed"
        case createdMs = "created_ms"
        case disabledMs = "disabled_ms"
        case previousApiKeyHash = "previous_api_key_hash"
        case previousKeyUntilMs = "previous_key_until_ms"
    }

    /// Whether `apiKey` opens this account at `nowMillis`: the current key, or the previous one during its overlap;
    /// never while the merchant is disabled. Compared in constant time.
    public func accepts(apiKey: String, nowMillis: Int64) -> Bool {
        guard disabledMs == nil else { return false }
        let hash = Digest.sha256Hex(apiKey)
        if Digest.constantTimeEquals(apiKeyHash, hash) { return true }
        if let previous = previousApiKeyHash, let until = previousKeyUntilMs, nowMillis < until {
            return Digest.constantTimeEquals(previous, hash)
        }
        return false
    }
}

/// One merchant payout (a payout invoice) as stored. Destination fields are stored masked, plus sealed
/// (AES-GCM) for the provider request; the sealed copy is erased once the payout is final.
public struct PayoutRecord: Sendable, Codable, Hashable {
    public var id: String
    public var merchantId: String
    public var referenceId: String
    public var status: String
    public var resolution: String
    public var service: String
    public var method: String
    public var currency: String
    public var amountMinor: Int64
    public var feeMinor: Int64
    public var testMode: Bool
    public var description: String?
    public var fieldsMasked: String
    public var fieldsSealed: String?
    public var metadata: String?
    public var customer: String?
    public var customerId: String?
    public var callbackUrl: String?
    public var autoProcess: Bool
    public var processRequested: Bool
    public var providerId: String?
    public var decision: String?
    public var redirectUrl: String?
    public var pendingReason: String?
    public var processedAt: Int64?
    public var processedAmountMinor: Int64?
    public var createdMs: Int64
    public var updatedMs: Int64
    public var nextActionAt: Int64?
    public var leaseOwner: String?
    public var leaseUntil: Int64?
    /// The fencing token of the current lease: raised by every claim; a step commits only with the token it claimed.
    public var leaseToken: Int64 = 0

    public var payoutStatus: PayoutStatus { PayoutStatus(stored: status) }

    /// Column names as stored (no key conversion on every statement).
    enum CodingKeys: String, CodingKey {
        case id
        case merchantId = "merchant_id"
        case referenceId = "reference_id"
        case status
        case resolution
        case service
        case method
        case currency
        case amountMinor = "amount_minor"
        case feeMinor = "fee_minor"
        case testMode = "test_mode"
        case description
        case fieldsMasked = "fields_masked"
        case fieldsSealed = "fields_sealed"
        case metadata
        case customer
        case customerId = "customer_id"
        case callbackUrl = "callback_url"
        case autoProcess = "auto_process"
        case processRequested = "process_requested"
        case providerId = "provider_id"
        case decision
        case redirectUrl = "redirect_url"
        case pendingReason = "pending_reason"
        case processedAt = "processed_at"
        case processedAmountMinor = "processed_amount_minor"
        case createdMs = "created_ms"
        case updatedMs = "updated_ms"
        case nextActionAt = "next_action_at"
        case leaseOwner = "lease_owner"
        case leaseUntil = "lease_until"
        case leaseToken = "lease_token"
    }
}

extension PayoutRecord {
    /// The provider the payout's next step calls: its current attempt's, or else the first candidate of its route (nil
    /// for neither). Stored as `queue_key`, so that a claim reads each provider's due payouts through an index.
    public var queueKey: String? {
        providerId ?? decision.flatMap(RouteDecision.parse)?.candidates.first
    }
}

/// Where one attempt at one provider stands. Each phase says what the gateway knows about money at that provider.
public enum AttemptPhase: String, Sendable, Codable, CaseIterable {
    /// A create is recorded as about to leave (or has left, answer not booked): only a lookup may follow.
    case creating
    /// The provider's answer left creation unknown (5xx, timeout, reset, 429, "duplicate"): resolved by lookup.
    case unclear
    /// The provider holds the payout: waiting for the confirming call, or polling its outcome.
    case held
    /// Sending the create again (same reference) is safe and due: every send was definitely refused or never
    /// connected, or the provider refuses a repeated reference and was seen without the payout across the grace window.
    case resendDue = "resend_due"
    /// A confirming call (payout-pay, process) is recorded as about to leave: only a lookup may follow.
    case confirming
    /// The confirming call's answer was unclear: resolved by lookup before any repeat.
    case confirmUnclear = "confirm_unclear"
    /// Lookups showed the payout still waiting for confirmation well after an unclear confirming call: send it again.
    case confirmDue = "confirm_due"
    /// The provider definitely refused the confirming call: a lookup decides whether the payout failed.
    case confirmRefused = "confirm_refused"
    /// The provider reached a final state.
    case final
    /// Every send to this provider got a definite "not created" answer: the next candidate may take the payout.
    case notCreated = "not_created"

    /// Phases stored by earlier versions.
    public init(stored: String) {
        switch stored {
        case "sending": self = .creating
        case "ambiguous": self = .unclear
        case "created": self = .held
        case "rejected": self = .notCreated
        default: self = AttemptPhase(rawValue: stored) ?? .unclear
        }
    }

    /// A money-moving call may be at the provider without its answer booked.
    public var isInFlightIntent: Bool { self == .creating || self == .confirming }
}

/// One attempt to carry a payout through one provider.
public struct AttemptRecord: Sendable, Codable, Hashable {
    public var id: String
    public var payoutId: String
    public var providerId: String
    public var number: Int64
    /// Our reference at the provider: generated and stored before the request leaves, stable across retries.
    public var reference: String
    /// ``AttemptPhase`` raw value.
    public var state: String
    public var providerPayoutId: String?
    public var providerStatus: String?
    /// The provider's id of its latest answer (v4 `serial-number`).
    public var serialNumber: String?
    /// The last ``ProviderOutcome`` seen for this attempt.
    public var outcome: String?
    public var resolution: String?
    public var confirmSent: Bool
    public var lookupMisses: Int64
    public var sends: Int64
    public var detail: String?
    public var createdMs: Int64
    public var updatedMs: Int64

    /// Sends whose answer was not a definite "not created" (the provider may hold the payout because of them).
    public var unclearSends: Int64 = 0
    /// The provider answered "duplicate / already exists" for our reference.
    public var duplicateSeen: Bool = false
    /// Confirming calls recorded as about to leave.
    public var confirmSends: Int64 = 0
    /// Lookups in a row that failed (timeouts, 5xx): the back-off doubles with them.
    public var lookupFailures: Int64 = 0
    /// When lookups first found the payout absent (or still awaiting confirmation after a confirming call).
    public var absentSinceMs: Int64?

    public var phase: AttemptPhase {
        get { AttemptPhase(stored: state) }
        set { state = newValue.rawValue }
    }

    public var providerOutcome: ProviderOutcome? { outcome.flatMap(ProviderOutcome.init(rawValue:)) }

    /// Column names as stored (no key conversion on every statement).
    enum CodingKeys: String, CodingKey {
        case id
        case payoutId = "payout_id"
        case providerId = "provider_id"
        case number
        case reference
        case state
        case providerPayoutId = "provider_payout_id"
        case providerStatus = "provider_status"
        case serialNumber = "serial_number"
        case outcome
        case resolution
        case confirmSent = "confirm_sent"
        case lookupMisses = "lookup_misses"
        case sends
        case detail
        case createdMs = "created_ms"
        case updatedMs = "updated_ms"
        case unclearSends = "unclear_sends"
        case duplicateSeen = "duplicate_seen"
        case confirmSends = "confirm_sends"
        case lookupFailures = "lookup_failures"
        case absentSinceMs = "absent_since_ms"
    }
}

/// An append-only ledger line for a payout (state changes, provider exchanges, masked).
public struct PayoutEventRecord: Sendable, Codable, Hashable {
    public var payoutId: String
    public var atMs: Int64
    public var kind: String
    public var detail: String

    public init(payoutId: String, atMs: Int64 = Clock.nowMillis(), kind: String, detail: String) {
        self.payoutId = payoutId
        self.atMs = atMs
        self.kind = kind
        self.detail = detail
    }

    /// Column names as stored (no key conversion on every statement).
    enum CodingKeys: String, CodingKey {
        case payoutId = "payout_id"
        case atMs = "at_ms"
        case kind
        case detail
    }
}

/// A merchant webhook waiting in the durable outbox, and its delivery history.
public struct WebhookRecord: Sendable, Codable, Hashable {
    public var id: Int64
    public var payoutId: String
    public var merchantId: String
    public var url: String
    public var body: String
    public var payoutStatus: String
    public var state: String
    public var attempts: Int64
    public var nextAttemptAt: Int64
    public var lastCode: Int64?
    public var lastError: String?
    public var createdMs: Int64
    public var updatedMs: Int64

    /// Column names as stored (no key conversion on every statement).
    enum CodingKeys: String, CodingKey {
        case id
        case payoutId = "payout_id"
        case merchantId = "merchant_id"
        case url
        case body
        case payoutStatus = "payout_status"
        case state
        case attempts
        case nextAttemptAt = "next_attempt_at"
        case lastCode = "last_code"
        case lastError = "last_error"
        case createdMs = "created_ms"
        case updatedMs = "updated_ms"
    }
}

/// A stored answer for an `Idempotency-Key`.
public struct IdempotencyRecord: Sendable, Codable, Hashable {
    public var merchantId: String
    public var key: String
    public var requestHash: String
    public var statusCode: Int64
    public var body: String
    public var createdMs: Int64

    /// Column names as stored (no key conversion on every statement).
    enum CodingKeys: String, CodingKey {
        case merchantId = "merchant_id"
        case key
        case requestHash = "request_hash"
        case statusCode = "status_code"
        case body
        case createdMs = "created_ms"
    }
}
