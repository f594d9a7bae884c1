import Foundation

/// What the gateway asks a provider to pay out.
public struct ProviderPayoutRequest: Sendable {
    /// Our reference at this provider (stored before the request leaves; stable across retries).
    public var reference: String
    /// The provider's own service code.
    public var service: String
    /// The gateway's service code (the key of the provider's terms in routes.json).
    public var gatewayService: String
    public var currency: Currency
    public var amountMinor: Int64
    /// Destination fields in the provider's own names (clear text: never logged).
    public var fields: [String: String]
    public var description: String?
    public var testMode: Bool
    /// Where the provider should send its callbacks (the gateway's `/callbacks/{provider-id}`).
    public var callbackURL: String?
    /// Whether the provider should pay without a separate confirming call.
    public var autoProcess: Bool
}

/// A provider's status reduced to what the gateway needs to decide.
public enum ProviderOutcome: String, Sendable, Hashable, Codable {
    /// Stored at the provider, not yet processing: waits for the confirming call (JSON:API `process`,
    /// v4 `payout-pay` once the bank validated).
    case awaitingConfirmation
    /// A confirmation-flow payout whose check is still running (v4 `payout_check_validating`).
    case checking
    case processing
    /// Outcome unknown for now; never final, never retried blindly.
    case pending
    case succeeded
    /// Final failure: the provider will not pay.
    case failed
    /// Paid, then reversed (JSON:API `canceled` after `processed`).
    case reversed
}

/// What a provider said about one payout.
public struct ProviderSnapshot: Sendable, Hashable {
    public var providerPayoutID: String?
    /// The provider's own status word, kept for the ledger.
    public var rawStatus: String
    public var outcome: ProviderOutcome
    /// The dialect status to show merchants (`processed`, `process_failed`, `expired` …).
    public var merchantStatus: PayoutStatus
    public var resolution: String?
    public var processedAmountMinor: Int64?
    public var redirectURL: String?
    /// The order's currency as the provider reports it (v4 status answers).
    public var currency: String?
    /// The provider's id of this request (v4 `serial-number`), kept on the attempt.
    public var serialNumber: String?
    /// What the provider holds, to check an adopted payout against ours.
    public var amountMinor: Int64?
    public var service: String?
    public var providerID: String?

    public init(providerPayoutID: String?, rawStatus: String, outcome: ProviderOutcome, merchantStatus: PayoutStatus,
                resolution: String? = nil, processedAmountMinor: Int64? = nil, redirectURL: String? = nil,
                currency: String? = nil, serialNumber: String? = nil) {
        self.providerPayoutID = providerPayoutID
        self.rawStatus = rawStatus
        self.outcome = outcome
        self.merchantStatus = merchantStatus
        self.resolution = resolution
        self.processedAmountMinor = processedAmountMinor
        self.redirectURL = redirectURL
        self.currency = currency
        self.serialNumber = serialNumber
    }
}

/// A provider's redirect URL as merchants get it: absolute, resolved against the provider's base URL (a v4
/// `redirect-to` may be a path), and only `http`/`https` (anything else, `javascript:` included, is dropped).
public enum RedirectURL {
    public static func absolute(_ value: String, base: String) -> String? {
        let trimmed = value.trimmingCharacters(in: .whitespaces)
        guard !trimmed.isEmpty, trimmed.count <= 2_048 else { return nil }
        let resolved: URL?
        if let url = URL(string: trimmed), url.scheme != nil {
            resolved = url
        } else {
            let directory = base.hasSuffix("/") ? base : base + "/"
            resolved = URL(string: trimmed, relativeTo: URL(string: directory))?.absoluteURL
        }
        guard let url = resolved, let scheme = url.scheme?.lowercased(), scheme == "http" || scheme == "https",
              url.host?.isEmpty == false
        else { return nil }
        return url.absoluteString
    }
}

extension ProviderSnapshot {
    /// The same snapshot with its redirect URL absolute (or none).
    func resolvingRedirect(against base: String) -> ProviderSnapshot {
        var copy = self
        copy.redirectURL = redirectURL.flatMap { RedirectURL.absolute($0, base: base) }
        return copy
    }
}

extension ProviderSnapshot {
    /// The provider's texts with card and account numbers masked (before anything stores, returns or sends them).
    func maskingTexts() -> ProviderSnapshot {
        var copy = self
        copy.rawStatus = Masking.maskText(rawStatus)
        copy.resolution = resolution.map(Masking.maskText)
        return copy
    }
}

extension SubmitOutcome {
    func resolvingRedirect(against base: String) -> SubmitOutcome {
        if case .accepted(let snapshot) = self { return .accepted(snapshot.resolvingRedirect(against: base)) }
        return self
    }

    /// What the gateway keeps of a provider's answer: redirect absolute, texts masked.
    func fromProvider(base: String) -> SubmitOutcome {
        switch resolvingRedirect(against: base) {
        case .accepted(let snapshot): return .accepted(snapshot.maskingTexts())
        case .rejected(let reason): return .rejected(reason: Masking.maskText(reason))
        case .ambiguous(let reason, let retryAfter): return .ambiguous(reason: Masking.maskText(reason), retryAfterMillis: retryAfter)
        case .notSent(let reason): return .notSent(reason: Masking.maskText(reason))
        case .duplicate: return .duplicate
        }
    }
}

extension LookupOutcome {
    func resolvingRedirect(against base: String) -> LookupOutcome {
        if case .found(let snapshot) = self { return .found(snapshot.resolvingRedirect(against: base)) }
        return self
    }

    /// What the gateway keeps of a provider's answer: redirect absolute, texts masked.
    func fromProvider(base: String) -> LookupOutcome {
        switch resolvingRedirect(against: base) {
        case .found(let snapshot): return .found(snapshot.maskingTexts())
        case .failed(let reason): return .failed(reason: Masking.maskText(reason))
        case .absent: return .absent
        }
    }
}

/// How a create (or confirming) call ended, classified by the providers' own directives.
public enum SubmitOutcome: Sendable, Hashable {
    /// The provider has it.
    case accepted(ProviderSnapshot)
    /// Definitely not created (401/403/405/422, validation error): another provider may take the payout.
    case rejected(reason: String)
    /// The provider already has a payout with our reference (409): adopt it after a lookup.
    case duplicate
    /// Unknown whether it was created (5xx, timeout, reset after sending, 429, 400): look up before anything else.
    case ambiguous(reason: String, retryAfterMillis: Int64? = nil)
    /// Nothing reached the provider (connection refused): safe to retry or fail over at once.
    case notSent(reason: String)
}

/// What a status lookup by our reference found.
public enum LookupOutcome: Sendable, Hashable {
    case found(ProviderSnapshot)
    /// The provider says it has no such payout.
    case absent
    /// The lookup itself failed; nothing is known.
    case failed(reason: String)
}

/// A provider of one dialect, reached over HTTP. Implementations never log secrets or clear card numbers.
public protocol ProviderAdapter: Sendable {
    var id: String { get }
    /// Where the provider's API lives; relative URLs it answers with (v4 `redirect-to`) resolve against it.
    var baseURL: String { get }
    /// Whether a payout needs a second, confirming call (JSON:API `process`, v4 `payout-pay`) to be paid.
    var needsConfirmation: Bool { get }
    func submit(_ request: ProviderPayoutRequest) async -> SubmitOutcome
    func confirm(reference: String, providerPayoutID: String, service: String, currency: Currency) async -> SubmitOutcome
    /// Asks the provider's status by our reference (and its id when known), on the endpoint of the payout's service
    /// (gateway code) and currency.
    func lookup(reference: String, providerPayoutID: String?, service: String, currency: Currency) async -> LookupOutcome
}
