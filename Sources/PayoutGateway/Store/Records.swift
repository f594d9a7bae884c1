/// A merchant account: the gateway's API user.
public struct MerchantRecord: Sendable, Codable, Hashable {
    public var id: String
    public var name: String
    public var apiKeyHash: String
    public var publicKey: String
    public var callbackSecretSealed: String
    public var createdMs: Int64
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
}

/// The lifecycle of one attempt at one provider.
public enum AttemptState: String, Sendable, Codable {
    /// Stored before the request leaves; after a crash it is ambiguous and resolved by lookup.
    case sending
    /// The provider has the payout; waiting for the confirming step or the outcome.
    case created
    /// The provider answered in a way that leaves creation unknown; resolved by lookup.
    case ambiguous
    /// The provider definitely did not create it; the next candidate may take the payout.
    case rejected
    /// The provider reached a final state (success or failure).
    case final
}

/// One attempt to carry a payout through one provider.
public struct AttemptRecord: Sendable, Codable, Hashable {
    public var id: String
    public var payoutId: String
    public var providerId: String
    public var number: Int64
    /// Our reference at the provider: generated and stored before the request leaves, stable across retries.
    public var reference: String
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

    public var attemptState: AttemptState { AttemptState(rawValue: state) ?? .ambiguous }
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
}

/// A stored answer for an `Idempotency-Key`.
public struct IdempotencyRecord: Sendable, Codable, Hashable {
    public var merchantId: String
    public var key: String
    public var requestHash: String
    public var statusCode: Int64
    public var body: String
    public var createdMs: Int64
}
