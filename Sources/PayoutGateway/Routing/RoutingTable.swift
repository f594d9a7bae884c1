import Foundation

/// A validated, compiled routes.json: what the front and the engine read. Immutable; reloads swap it whole.
public struct RoutingTable: Sendable {
    public let services: [GatewayService]
    public let providers: [String: ProviderConfig]
    public let routes: [CompiledRoute]
    public let pollInterval: Double
    /// The dialects the table was compiled with (adapters and callback checks come from them).
    public let dialects: DialectRegistry

    public init(services: [GatewayService], providers: [String: ProviderConfig], routes: [CompiledRoute], pollInterval: Double,
                dialects: DialectRegistry = .standard) {
        self.services = services
        self.providers = providers
        self.routes = routes
        self.pollInterval = pollInterval
        self.dialects = dialects
    }

    public func service(_ code: String) -> GatewayService? { services.first { $0.code == code } }
}

/// A gateway service with its field list and limits.
public struct GatewayService: Sendable {
    public let code: String
    public let method: String
    public let name: String
    public let currencies: [String]
    public let amountMin: DecimalLimit?
    public let amountMax: DecimalLimit?
    public let fields: [FieldDefinition]

    /// The dialect-style catalogue id (`comcpos_…`), stable for a service code.
    public var catalogueID: String { Identifier.derived("comcpos_", from: code) }
}

/// An amount limit written as decimal text, compared in the payout currency's minor units.
public struct DecimalLimit: Sendable, Hashable {
    public let text: String
    public func minor(exponent: Int) -> Int64? { try? MinorUnits.parseSigned(text, exponent: exponent) }
}

/// A provider instance with its secrets resolved.
public struct ProviderConfig: Sendable {
    public let id: String
    public let dialect: ProviderDialect
    public let baseURL: String
    public let isSandbox: Bool
    public internal(set) var credentials: [String: Secret]
    /// Gateway service code → how this provider serves it.
    public let services: [String: ProviderServiceMapping]
    public let autoProcess: Bool
    public let testMode: Bool
    public let timeoutSeconds: Double
    public let pollIntervalSeconds: Double
    public let enabled: Bool
    /// The dialect's own settings as its ``DialectDescription`` compiled them (`PaynetOptions` for v4).
    public let options: (any Sendable)?
    public var servicesRefreshSeconds: Double = 60
    public var servicesMaxAgeSeconds: Double = 900
    public var eligibilityFlags: [String] = ["available", "enabled"]
    public var repeatedReference: RepeatedReference = .unknown

    public func credential(_ name: String) -> String? { credentials[name]?.value }

    /// How this provider serves `service` in `currency`; nil when it does not.
    public func terms(service: String, currency: String) -> ProviderServiceTerms? {
        services[service]?.terms(currency: currency)
    }
}

/// How one provider serves one gateway service in one currency, resolved from routes.json.
public struct ProviderServiceTerms: Sendable, Hashable {
    /// The provider's own service code.
    public let code: String
    public let amountMin: DecimalLimit?
    public let amountMax: DecimalLimit?
    /// Gateway field key → provider field key (keys not here keep their name).
    public let fieldMap: [String: String]
    /// The provider's entry point for this currency when it is not the provider-wide one (dialects with endpoints).
    public let endpoint: ProviderEndpoint?

    public init(code: String, amountMin: DecimalLimit? = nil, amountMax: DecimalLimit? = nil, fieldMap: [String: String] = [:],
                endpoint: ProviderEndpoint? = nil) {
        self.code = code
        self.amountMin = amountMin
        self.amountMax = amountMax
        self.fieldMap = fieldMap
        self.endpoint = endpoint
    }

    /// The provider's name of a gateway field.
    public func providerKey(_ gatewayKey: String) -> String { fieldMap[gatewayKey] ?? gatewayKey }

    /// The gateway's name of a provider field (the inverse of ``providerKey(_:)``).
    public func gatewayKey(_ providerKey: String) -> String {
        fieldMap.first(where: { $0.value == providerKey })?.key ?? providerKey
    }
}

/// How one provider serves one gateway service: its terms in every currency it pays out.
public struct ProviderServiceMapping: Sendable {
    /// The currencies served; nil: every currency of the gateway service.
    public let currencies: Set<String>?
    public let common: ProviderServiceTerms
    public let byCurrency: [String: ProviderServiceTerms]

    public init(currencies: Set<String>?, common: ProviderServiceTerms, byCurrency: [String: ProviderServiceTerms] = [:]) {
        self.currencies = currencies
        self.common = common
        self.byCurrency = byCurrency
    }

    public func terms(currency: String) -> ProviderServiceTerms? {
        if let currencies, !currencies.contains(currency) { return nil }
        return byCurrency[currency] ?? common
    }

    /// Every provider service code this mapping may use.
    public var codes: Set<String> { Set([common.code] + byCurrency.values.map(\.code)) }
}

/// A route with its limits parsed.
public struct CompiledRoute: Sendable {
    public let id: String
    public let service: String
    public let currencies: Set<String>?
    public let amountMin: DecimalLimit?
    public let amountMax: DecimalLimit?
    public let merchants: Set<String>?
    public let providers: [String]
    public var strategy: RouteStrategy = .ordered
    public var weights: [String: Int] = [:]
    public var failover = true
}

/// Every problem found in a routes file, each with the JSON path it concerns.
public struct RoutesValidationError: Error, Sendable, CustomStringConvertible {
    public struct Issue: Sendable, Codable, Hashable {
        public let path: String
        public let reason: String

        public init(path: String, reason: String) {
            self.path = path
            self.reason = reason
        }
    }

    public let issues: [Issue]

    public init(issues: [Issue]) { self.issues = issues }
    public var description: String { issues.map { "\($0.path): \($0.reason)" }.joined(separator: "\n") }
}

extension JSONValue {
    /// A limit written in routes.json (number or string) in minor units of `exponent` digits.
    func minor(exponent: Int) -> Int64? {
        guard let text = decimalText else { return nil }
        return try? MinorUnits.parseSigned(text, exponent: exponent)
    }
}
