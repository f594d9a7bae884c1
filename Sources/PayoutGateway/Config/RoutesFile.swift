import Foundation

/// The operator's routing file (`routes.json`): the gateway's service catalogue, the providers and the routes.
public struct RoutesFile: Sendable, Codable {
    public var services: [ServiceDefinition]
    public var providers: [ProviderDefinition]
    public var routes: [RouteDefinition]
    public var defaults: Defaults?

    public init(services: [ServiceDefinition], providers: [ProviderDefinition], routes: [RouteDefinition], defaults: Defaults? = nil) {
        self.services = services
        self.providers = providers
        self.routes = routes
        self.defaults = defaults
    }

    /// Gateway-wide defaults that a provider or route may override.
    public struct Defaults: Sendable, Codable {
        public var pollIntervalSeconds: Double?
        public var timeoutSeconds: Double?
        public var servicesRefreshSeconds: Double?
        public var servicesMaxAgeSeconds: Double?
        public var eligibilityFlags: [String]?

        enum CodingKeys: String, CodingKey {
            case pollIntervalSeconds = "poll_interval_seconds"
            case timeoutSeconds = "timeout_seconds"
            case servicesRefreshSeconds = "services_refresh_seconds"
            case servicesMaxAgeSeconds = "services_max_age_seconds"
            case eligibilityFlags = "eligibility_flags"
        }
    }
}

/// A service the gateway offers to merchants (`card`, `bank_account` …), independent of any provider.
public struct ServiceDefinition: Sendable, Codable {
    public var code: String
    public var method: String
    public var name: String?
    public var currencies: [String]
    public var amountMin: JSONValue?
    public var amountMax: JSONValue?
    public var fields: [FieldDefinition]

    enum CodingKeys: String, CodingKey {
        case code, method, name, currencies, fields
        case amountMin = "amount_min"
        case amountMax = "amount_max"
    }
}

/// One destination field of a service, as the dialect's prerequest describes it.
public struct FieldDefinition: Sendable, Codable, Hashable {
    public var key: String
    public var type: String?
    public var required: Bool?
    public var regexp: String?
    public var label: [String: String]?
    public var example: String?

    public init(key: String, type: String? = nil, required: Bool? = nil, regexp: String? = nil, label: [String: String]? = nil,
                example: String? = nil) {
        self.key = key
        self.type = type
        self.required = required
        self.regexp = regexp
        self.label = label
        self.example = example
    }
}

/// One provider instance: a dialect, a base URL and the credentials to reach it.
public struct ProviderDefinition: Sendable, Codable {
    public var id: String
    public var dialect: ProviderDialect
    /// The provider's base URL, or `"sandbox"` for the built-in simulator (demo and tests).
    public var baseURL: String
    public var credentials: [String: SecretReference]?
    /// Gateway service code → what this provider calls it and what it accepts.
    public var services: [String: ProviderServiceDefinition]
    public var autoProcess: Bool?
    public var testMode: Bool?
    public var timeoutSeconds: Double?
    public var pollIntervalSeconds: Double?
    public var enabled: Bool?
    /// JSON:API: how often the services list is read, and how old it may get before the provider is not eligible.
    public var servicesRefreshSeconds: Double?
    public var servicesMaxAgeSeconds: Double?
    /// JSON:API: which of `available`, `active`, `enabled` must be true (default available and enabled).
    public var eligibilityFlags: [String]?
    /// Whether the provider refuses a create that repeats a reference (`rejected`) or that is not known (`unknown`):
    /// only with `rejected` is an unclear create ever sent again. Default: `rejected` for JSON:API (409 by its
    /// documents), `unknown` for PaynetEasy v4 (undocumented).
    public var repeatedReference: RepeatedReference?
    /// Every other key, for the dialect to read its own options from (`paynet` for PaynetEasy v4).
    public var options: [String: JSONValue] = [:]

    enum CodingKeys: String, CodingKey, CaseIterable {
        case id, dialect, credentials, services, enabled
        case repeatedReference = "repeated_reference"
        case servicesRefreshSeconds = "services_refresh_seconds"
        case servicesMaxAgeSeconds = "services_max_age_seconds"
        case eligibilityFlags = "eligibility_flags"
        case baseURL = "base_url"
        case autoProcess = "auto_process"
        case testMode = "test_mode"
        case timeoutSeconds = "timeout_seconds"
        case pollIntervalSeconds = "poll_interval_seconds"
    }

    public var isSandbox: Bool { baseURL == "sandbox" }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        id = try container.decode(String.self, forKey: .id)
        dialect = try container.decode(ProviderDialect.self, forKey: .dialect)
        baseURL = try container.decode(String.self, forKey: .baseURL)
        credentials = try container.decodeIfPresent([String: SecretReference].self, forKey: .credentials)
        services = try container.decode([String: ProviderServiceDefinition].self, forKey: .services)
        autoProcess = try container.decodeIfPresent(Bool.self, forKey: .autoProcess)
        testMode = try container.decodeIfPresent(Bool.self, forKey: .testMode)
        timeoutSeconds = try container.decodeIfPresent(Double.self, forKey: .timeoutSeconds)
        pollIntervalSeconds = try container.decodeIfPresent(Double.self, forKey: .pollIntervalSeconds)
        enabled = try container.decodeIfPresent(Bool.self, forKey: .enabled)
        servicesRefreshSeconds = try container.decodeIfPresent(Double.self, forKey: .servicesRefreshSeconds)
        servicesMaxAgeSeconds = try container.decodeIfPresent(Double.self, forKey: .servicesMaxAgeSeconds)
        eligibilityFlags = try container.decodeIfPresent([String].self, forKey: .eligibilityFlags)
        repeatedReference = try container.decodeIfPresent(RepeatedReference.self, forKey: .repeatedReference)
        let known = Set(CodingKeys.allCases.map(\.rawValue))
        let all = try decoder.container(keyedBy: AnyCodingKey.self)
        for key in all.allKeys where !known.contains(key.stringValue) {
            options[key.stringValue] = try all.decode(JSONValue.self, forKey: key)
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(id, forKey: .id)
        try container.encode(dialect, forKey: .dialect)
        try container.encode(baseURL, forKey: .baseURL)
        try container.encodeIfPresent(credentials, forKey: .credentials)
        try container.encode(services, forKey: .services)
        try container.encodeIfPresent(autoProcess, forKey: .autoProcess)
        try container.encodeIfPresent(testMode, forKey: .testMode)
        try container.encodeIfPresent(timeoutSeconds, forKey: .timeoutSeconds)
        try container.encodeIfPresent(pollIntervalSeconds, forKey: .pollIntervalSeconds)
        try container.encodeIfPresent(enabled, forKey: .enabled)
        try container.encodeIfPresent(servicesRefreshSeconds, forKey: .servicesRefreshSeconds)
        try container.encodeIfPresent(servicesMaxAgeSeconds, forKey: .servicesMaxAgeSeconds)
        try container.encodeIfPresent(eligibilityFlags, forKey: .eligibilityFlags)
        try container.encodeIfPresent(repeatedReference, forKey: .repeatedReference)
        var all = encoder.container(keyedBy: AnyCodingKey.self)
        for (key, value) in options { try all.encode(value, forKey: AnyCodingKey(stringValue: key)) }
    }
}

/// A coding key for any JSON object key.
struct AnyCodingKey: CodingKey {
    let stringValue: String
    var intValue: Int? { nil }
    init(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { nil }
}

/// How a route orders its eligible providers.
public enum RouteStrategy: String, Sendable, Codable, Hashable {
    case ordered
    case weighted
    case lowestFee = "lowest_fee"
}

/// How one provider serves one gateway service: one set of terms for every currency, and optionally terms of
/// its own per currency (`by_currency`), since providers name and limit their services per currency
/// (`card_usd`, `card_chf` …) and may limit one endpoint only.
public struct ProviderServiceDefinition: Sendable, Codable {
    /// The provider's own service code (JSON:API) — defaults to the gateway's code.
    public var code: String?
    /// The currencies this provider pays out for the service (default: the keys of `by_currency` when given, else
    /// every currency of the gateway service).
    public var currencies: [String]?
    public var amountMin: JSONValue?
    public var amountMax: JSONValue?
    /// Gateway field key → provider field key.
    public var fieldMap: [String: String]?
    /// Currency → what differs in that currency; anything not given there comes from the fields above.
    public var byCurrency: [String: ProviderCurrencyTermsDefinition]?

    public init(code: String? = nil, currencies: [String]? = nil, amountMin: JSONValue? = nil, amountMax: JSONValue? = nil,
                fieldMap: [String: String]? = nil, byCurrency: [String: ProviderCurrencyTermsDefinition]? = nil) {
        self.code = code
        self.currencies = currencies
        self.amountMin = amountMin
        self.amountMax = amountMax
        self.fieldMap = fieldMap
        self.byCurrency = byCurrency
    }

    enum CodingKeys: String, CodingKey {
        case code, currencies
        case amountMin = "amount_min"
        case amountMax = "amount_max"
        case fieldMap = "field_map"
        case byCurrency = "by_currency"
    }
}

/// One currency's own terms of a provider service (`by_currency.USD`).
public struct ProviderCurrencyTermsDefinition: Sendable, Codable {
    public var code: String?
    public var amountMin: JSONValue?
    public var amountMax: JSONValue?
    /// Merged over the service's `field_map` (these entries win).
    public var fieldMap: [String: String]?
    /// The provider's entry point for this service in this currency, for dialects that have endpoints
    /// (PaynetEasy v4); it replaces the provider's endpoint for the currency.
    public var endpoint: ProviderEndpoint?

    public init(code: String? = nil, amountMin: JSONValue? = nil, amountMax: JSONValue? = nil, fieldMap: [String: String]? = nil,
                endpoint: ProviderEndpoint? = nil) {
        self.code = code
        self.amountMin = amountMin
        self.amountMax = amountMax
        self.fieldMap = fieldMap
        self.endpoint = endpoint
    }

    enum CodingKeys: String, CodingKey {
        case code, endpoint
        case amountMin = "amount_min"
        case amountMax = "amount_max"
        case fieldMap = "field_map"
    }
}

/// A route: which payouts it matches and the providers that may carry them, in order.
public struct RouteDefinition: Sendable, Codable {
    public var id: String
    public var match: Match
    public var providers: [String]
    /// `ordered` (default), `weighted` (by `weights`, stable per payout) or `lowest_fee` (from the services list).
    public var strategy: RouteStrategy?
    public var weights: [String: Int]?
    /// Whether a payout a candidate definitely did not create goes to the next candidate (default true).
    public var failover: Bool?

    public struct Match: Sendable, Codable {
        public var service: String
        public var currencies: [String]?
        public var amountMin: JSONValue?
        public var amountMax: JSONValue?
        public var merchants: [String]?

        enum CodingKeys: String, CodingKey {
            case service, currencies, merchants
            case amountMin = "amount_min"
            case amountMax = "amount_max"
        }
    }
}

/// One currency's entry point at a provider that has endpoints (PaynetEasy v4): an endpoint id or an
/// endpoint-group id, never both.
public struct ProviderEndpoint: Sendable, Codable, Hashable {
    public var endpointID: String?
    public var groupID: String?

    public init(endpointID: String? = nil, groupID: String? = nil) {
        self.endpointID = endpointID
        self.groupID = groupID
    }

    enum CodingKeys: String, CodingKey {
        case endpointID = "endpoint_id"
        case groupID = "group_id"
    }

    /// The path tail: `{id}` or `group/{id}`.
    public var pathComponent: String? {
        switch (endpointID, groupID) {
        case (let id?, nil): return id
        case (nil, let group?): return "group/\(group)"
        default: return nil
        }
    }
}
