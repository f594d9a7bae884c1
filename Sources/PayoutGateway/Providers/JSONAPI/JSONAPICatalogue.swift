import Foundation
import NIOHTTP1

/// One provider-side payout service (`/api/payout-services`), amounts kept as exact decimal text.
public struct ProviderServiceInfo: Sendable, Hashable, Codable {
    public var id: String
    public var service: String
    public var method: String?
    public var currency: String
    public var available: Bool
    public var active: Bool
    public var enabled: Bool
    public var amountMin: String?
    public var amountMax: String?
    public var feeRate: String?
    public var feeFix: String?
    public var feeMin: String?
    public var feeMax: String?
}

/// A provider's field definitions for a service, from the public prerequest.
public struct ProviderServiceFields: Sendable, Hashable {
    public var service: String
    public var fields: [FieldDefinition]
}

/// Why a catalogue read failed (no secrets, no bodies).
public struct CatalogueError: Error, Sendable, CustomStringConvertible {
    public let description: String
    public init(description: String) { self.description = description }
}

extension JSONAPIAdapter: ProviderCatalogueSource {
    /// Field definitions need the `public_key` credential (the prerequest is a public call).
    public var canReadFields: Bool { publicKey != nil }

    /// Every page of `/api/payout-services`: `links.next` followed verbatim (host-relative), else
    /// `page[number]` up to `meta.pages`. At most `maxPages` pages.
    public func fetchServices(pageSize: Int = 100, maxPages: Int = 100) async throws -> [ProviderServiceInfo] {
        var services: [ProviderServiceInfo] = []
        var next: String? = "\(baseURL)/api/payout-services?page%5Bnumber%5D=1&page%5Bsize%5D=\(pageSize)"
        var number = 1
        var seen = Set<String>()
        while let url = next, services.count < 100_000, number <= maxPages {
            guard seen.insert(url).inserted else { break }
            let result = await http.send(method: .GET, url: url, headers: headers, body: nil, timeoutSeconds: timeoutSeconds)
            guard case .response(let status, _, let body) = result, status == 200,
                  let document = try? JSONCoding.decode(JSONValue.self, from: body)
            else { throw CatalogueError(description: "payout-services page \(number) failed") }
            services += Self.resources(document).compactMap(Self.serviceInfo)
            next = nil
            if let link = document["links"]?["next"]?.stringValue, !link.isEmpty {
                next = resolve(link)
            } else if let pages = document["meta"]?["pages"]?.decimalText.flatMap({ Int($0) }), number < pages {
                next = "\(baseURL)/api/payout-services?page%5Bnumber%5D=\(number + 1)&page%5Bsize%5D=\(pageSize)"
            }
            number += 1
        }
        return services
    }

    /// Field definitions per service from `POST /public-api/payout-prerequest` (needs the `public_key` credential).
    public func fetchFields(currency: Currency, amountMinor: Int64?) async throws -> [ProviderServiceFields] {
        guard let publicKey else { throw CatalogueError(description: "no public_key credential") }
        var body: [String: JSONValue] = ["currency": .string(currency.code), "public_key": .string(publicKey.value)]
        if let amountMinor { body["amount"] = .number(MinorUnits.decimal(amountMinor, exponent: currency.exponent)) }
        let result = await http.send(method: .POST, url: "\(baseURL)/public-api/payout-prerequest",
                                     headers: [("Content-Type", "application/json")], body: try JSONCoding.encode(JSONValue.object(body)),
                                     timeoutSeconds: timeoutSeconds)
        guard case .response(200, _, let data) = result, let document = try? JSONCoding.decode(JSONValue.self, from: data),
              let services = document["data"]?["services"]?.objectValue
        else { throw CatalogueError(description: "payout-prerequest failed") }
        return services.keys.sorted().map { code in
            let fields = (services[code]?["fields"]?.arrayValue ?? []).compactMap { field -> FieldDefinition? in
                guard let key = field["key"]?.stringValue else { return nil }
                let pattern = field["regexp"]?.stringValue.map(FieldPattern.normalise)
                return FieldDefinition(
                    key: key, type: field["type"]?.stringValue, required: field["required"]?.boolValue,
                    // A pattern that does not compile never fails a payout: it is dropped.
                    regexp: pattern.flatMap { FieldPattern.compile($0) == nil ? nil : $0 },
                    label: field["label"]?.objectValue?.compactMapValues(\.stringValue), example: field["example"]?.stringValue)
            }
            return ProviderServiceFields(service: code, fields: fields)
        }
    }

    /// A `links` value: absolute URLs on the provider's host as they are, host-relative ones on its host.
    func resolve(_ link: String) -> String? {
        guard let base = URLComponents(string: baseURL), let scheme = base.scheme, let host = base.host else { return nil }
        let origin = "\(scheme)://\(host)" + (base.port.map { ":\($0)" } ?? "")
        if link.hasPrefix("/") { return origin + Self.bracketsEncoded(link) }
        guard let absolute = URLComponents(string: link), absolute.host == host else { return nil }
        return Self.bracketsEncoded(link)
    }

    static func bracketsEncoded(_ link: String) -> String {
        link.replacingOccurrences(of: "[", with: "%5B").replacingOccurrences(of: "]", with: "%5D")
    }

    static func serviceInfo(_ resource: JSONValue) -> ProviderServiceInfo? {
        let attributes = attributes(resource)
        guard let id = resource["id"]?.stringValue, let service = attributes["service"]?.stringValue else { return nil }
        return ProviderServiceInfo(
            id: id, service: service, method: attributes["service_method"]?.stringValue,
            currency: attributes["service_currency"]?.stringValue ?? attributes["currency"]?.stringValue ?? "",
            available: attributes["available"]?.boolValue ?? false, active: attributes["active"]?.boolValue ?? false,
            enabled: attributes["enabled"]?.boolValue ?? false,
            amountMin: attributes["amount_min"]?.decimalText, amountMax: attributes["amount_max"]?.decimalText,
            feeRate: attributes["fee_rate"]?.decimalText, feeFix: attributes["fee_fix"]?.decimalText,
            feeMin: attributes["fee_min"]?.decimalText, feeMax: attributes["fee_max"]?.decimalText)
    }
}
