import Foundation
import HTTPTypes
import Logging

/// Which protocol a provider speaks, by its routes.json name (`"dialect": "jsonapi"`). Open on purpose: a dialect is
/// known through its ``DialectDescription`` in a ``DialectRegistry``, not through a case of this type.
public struct ProviderDialect: RawRepresentable, Hashable, Sendable, Codable, CustomStringConvertible {
    public let rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }
    public init(from decoder: any Decoder) throws { rawValue = try decoder.singleValueContainer().decode(String.self) }
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }
    public var description: String { rawValue }

    public static let jsonapi = ProviderDialect(rawValue: "jsonapi")
    public static let paynetV4 = ProviderDialect(rawValue: "paynet-v4")
}

/// Everything the core needs to know about one dialect; each dialect folder declares one (`JSONAPIDialect`,
/// `PaynetV4Dialect`) and the core only iterates a ``DialectRegistry``: compiling routes.json, building adapters,
/// verifying callbacks. Adding a dialect is its folder plus its entry in ``DialectRegistry/standard`` (and, for the
/// schema, its options key in `routes.schema.json`).
public protocol DialectDescription: Sendable {
    var dialect: ProviderDialect { get }
    /// Credentials a provider of this dialect must reference (sandbox providers get theirs from their simulator).
    var requiredCredentials: [String] { get }
    /// The routes.json key of the dialect's own options object (`paynet`), if it has one.
    var optionsKey: String? { get }
    /// Whether `by_currency.{currency}.endpoint` means something for this dialect.
    var hasEndpoints: Bool { get }
    /// What to assume about a repeated reference when routes.json does not say.
    var defaultRepeatedReference: RepeatedReference { get }
    /// Checks the provider's dialect-specific settings and returns them compiled (the adapter reads them from
    /// ``ProviderConfig/options``); every issue carries its JSON path under `path`.
    func compileOptions(_ provider: ProviderDefinition, raw: JSONValue?, path: String, issues: inout [RoutesValidationError.Issue]) -> (any Sendable)?
    func makeAdapter(config: ProviderConfig, baseURL: String, http: ProviderHTTP, logger: Logger) -> any ProviderAdapter
    /// Verifies a callback (signature, control) and says which payout it is about; throws the answer otherwise
    /// (403 for a bad signature, 400 for a body that cannot be read).
    func verifyCallback(_ callback: ProviderCallback, provider: ProviderConfig) throws(APIError) -> CallbackSubject
}

extension DialectDescription {
    public var optionsKey: String? { nil }
    public var hasEndpoints: Bool { false }
    public func compileOptions(_ provider: ProviderDefinition, raw: JSONValue?, path: String, issues: inout [RoutesValidationError.Issue]) -> (any Sendable)? {
        nil
    }
}

/// A provider callback as received (`GET`/`POST /callbacks/{provider-id}`).
public struct ProviderCallback: Sendable {
    public let query: String?
    public let headers: HTTPFields
    public let body: Data

    public init(query: String?, headers: HTTPFields, body: Data) {
        self.query = query
        self.headers = headers
        self.body = body
    }
}

/// Which payout a verified callback is about: the provider's id of it and our reference, as far as it says.
public struct CallbackSubject: Sendable, Hashable {
    public var providerPayoutID: String?
    public var reference: String?
    /// Whether the attempt found by the provider's id must carry this reference too (v4: order id and client order id).
    public var referenceMustMatch: Bool

    public init(providerPayoutID: String?, reference: String?, referenceMustMatch: Bool = false) {
        self.providerPayoutID = providerPayoutID
        self.reference = reference
        self.referenceMustMatch = referenceMustMatch
    }
}

/// The dialects a gateway knows, by name.
public struct DialectRegistry: Sendable {
    public let descriptions: [ProviderDialect: any DialectDescription]

    public init(_ descriptions: [any DialectDescription]) {
        var byName: [ProviderDialect: any DialectDescription] = [:]
        for description in descriptions { byName[description.dialect] = description }
        self.descriptions = byName
    }

    /// The dialects this gateway ships.
    public static let standard = DialectRegistry([JSONAPIDialect(), PaynetV4Dialect()])

    public subscript(_ dialect: ProviderDialect) -> (any DialectDescription)? { descriptions[dialect] }

    /// This registry with one more dialect (tests register theirs this way).
    public func adding(_ description: any DialectDescription) -> DialectRegistry {
        DialectRegistry(Array(descriptions.values) + [description])
    }

    public var names: [String] { descriptions.keys.map(\.rawValue).sorted() }
}

/// A provider whose adapter can read its services list and field definitions (JSON:API's `/api/payout-services`
/// and prerequest). The services refresher asks adapters for this capability; dialects without it have none.
public protocol ProviderCatalogueSource: ProviderAdapter {
    func fetchServices(pageSize: Int, maxPages: Int) async throws -> [ProviderServiceInfo]
    /// Whether field definitions can be read (a credential they need is present).
    var canReadFields: Bool { get }
    func fetchFields(currency: Currency, amountMinor: Int64?) async throws -> [ProviderServiceFields]
}
