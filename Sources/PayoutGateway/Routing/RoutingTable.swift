import Foundation

/// A validated, compiled routes.json: what the front and the engine read. Immutable; reloads swap it whole.
public struct RoutingTable: Sendable {
    public let services: [GatewayService]
    public let providers: [String: ProviderConfig]
    public let routes: [CompiledRoute]
    public let pollInterval: Double

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
    public let services: [String: ProviderServiceDefinition]
    public let autoProcess: Bool
    public let testMode: Bool
    public let timeoutSeconds: Double
    public let pollIntervalSeconds: Double
    public let enabled: Bool
    public let paynet: PaynetOptions?
    public var servicesRefreshSeconds: Double = 60
    public var servicesMaxAgeSeconds: Double = 900
    public var eligibilityFlags: [String] = ["available", "enabled"]
    public var repeatedReference: RepeatedReference = .unknown

    public func credential(_ name: String) -> String? { credentials[name]?.value }
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
    }

    public let issues: [Issue]
    public var description: String { issues.map { "\($0.path): \($0.reason)" }.joined(separator: "\n") }
}

extension JSONValue {
    /// A limit written in routes.json (number or string) in minor units of `exponent` digits.
    func minor(exponent: Int) -> Int64? {
        guard let text = decimalText else { return nil }
        return try? MinorUnits.parseSigned(text, exponent: exponent)
    }
}
