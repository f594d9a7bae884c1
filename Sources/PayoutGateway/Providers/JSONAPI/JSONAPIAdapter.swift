import HTTPTypes
import Foundation
import Logging
import NIOHTTP1

/// The JSON:API payout dialect (Payelata): Basic auth, `payout-invoices` create / process / status by id or reference.
public struct JSONAPIAdapter: ProviderAdapter {
    public let id: String
    public let baseURL: String
    let accountID: String
    let apiKey: Secret
    let publicKey: Secret?
    let callbackSecrets: (live: Secret?, test: Secret?)
    let autoProcess: Bool
    let timeoutSeconds: Double
    let http: ProviderHTTP
    let logger: Logger

    public var needsConfirmation: Bool { !autoProcess }

    public init(config: ProviderConfig, baseURL: String, http: ProviderHTTP, logger: Logger) {
        self.id = config.id
        self.baseURL = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
        self.accountID = config.credential("account_id") ?? ""
        self.apiKey = Secret(config.credential("api_key") ?? "")
        self.publicKey = config.credential("public_key").map(Secret.init)
        self.callbackSecrets = (config.credential("callback_secret").map(Secret.init), config.credential("callback_secret_test").map(Secret.init))
        self.autoProcess = config.autoProcess
        self.timeoutSeconds = config.timeoutSeconds
        self.http = http
        self.logger = logger
    }

    var headers: [(String, String)] {
        let token = Data("\(accountID):\(apiKey.value)".utf8).base64EncodedString()
        return [("Authorization", "Basic \(token)"), ("Content-Type", "application/json"), ("Accept", "application/json, application/vnd.api+json, */*")]
    }

    public func submit(_ request: ProviderPayoutRequest) async -> SubmitOutcome {
        var attributes: [String: JSONValue] = [
            "reference_id": .string(request.reference),
            "service": .string(request.service),
            "currency": .string(request.currency.code),
            "amount": .number(MinorUnits.decimal(request.amountMinor, exponent: request.currency.exponent)),
            "fields": .object(request.fields.mapValues { .string($0) }),
            "test_mode": .bool(request.testMode),
            "options": ["auto_process": .bool(request.autoProcess)],
        ]
        if let description = request.description { attributes["description"] = .string(description) }
        if let callback = request.callbackURL { attributes["callback_url"] = .string(callback) }
        let document: JSONValue = ["data": ["type": "payout-invoice", "attributes": .object(attributes)]]
        let body = (try? JSONCoding.encode(document)) ?? Data()
        let result = await http.send(method: .POST, url: "\(baseURL)/api/payout-invoices", headers: headers, body: body, timeoutSeconds: timeoutSeconds)
        return classifySubmit(result, exponent: request.currency.exponent)
    }

    public func confirm(reference: String, providerPayoutID: String, service: String, currency: Currency) async -> SubmitOutcome {
        let url = "\(baseURL)/api/payout-invoices/\(Self.pathEscape(providerPayoutID))/process"
        let result = await http.send(method: .POST, url: url, headers: headers, body: Data("{}".utf8), timeoutSeconds: timeoutSeconds)
        if case .response(let status, _, _) = result, status == 409 {
            return .ambiguous(reason: "process answered 409")
        }
        return classifySubmit(result, exponent: nil)
    }

    public func lookup(reference: String, providerPayoutID: String?, service: String, currency: Currency) async -> LookupOutcome {
        let url: String
        if let providerPayoutID {
            url = "\(baseURL)/api/payout-invoices/\(Self.pathEscape(providerPayoutID))"
        } else {
            url = "\(baseURL)/api/payout-invoices?filter%5Breference_id%5D=\(Self.queryEscape(reference))"
        }
        let result = await http.send(method: .GET, url: url, headers: headers, body: nil, timeoutSeconds: timeoutSeconds)
        switch result {
        case .notConnected(let reason), .lost(let reason):
            return .failed(reason: reason)
        case .response(let status, _, let body):
            if status == 404 { return .absent }
            guard status == 200 else { return .failed(reason: "status lookup answered \(status)") }
            guard let document = try? JSONCoding.decode(JSONValue.self, from: body) else {
                return .failed(reason: "status lookup answer is not JSON")
            }
            let resources = Self.resources(document)
            let matching = resources.filter { resource in
                guard providerPayoutID == nil else { return true }
                let ref = Self.attributes(resource)["reference_id"]?.stringValue
                return ref == nil || ref == reference
            }
            if matching.isEmpty { return .absent }
            if matching.count > 1 { return .failed(reason: "several invoices carry one reference") }
            guard var snapshot = Self.snapshot(matching[0], exponent: nil) else {
                return .failed(reason: "status lookup answer has no status")
            }
            snapshot.providerID = id
            return .found(snapshot)
        }
    }

    func classifySubmit(_ result: ProviderHTTPResult, exponent: Int?) -> SubmitOutcome {
        switch result {
        case .notConnected(let reason):
            return .notSent(reason: reason)
        case .lost(let reason):
            return .ambiguous(reason: reason)
        case .response(let status, let headers, let body):
            switch status {
            case 200, 201, 202:
                guard let document = try? JSONCoding.decode(JSONValue.self, from: body),
                      let resource = Self.resources(document).first,
                      let snapshot = Self.snapshot(resource, exponent: exponent)
                else { return .ambiguous(reason: "answer \(status) without an invoice") }
                return .accepted(snapshot)
            case 409:
                return .duplicate
            case 429:
                return .ambiguous(reason: "answered 429", retryAfterMillis: Self.retryAfter(headers))
            case 401, 403, 404, 405, 415, 422:
                return .rejected(reason: Self.errorSummary(status: status, body: body))
            default:
                // 400, 429, 5xx and anything unexpected: outcome unknown, check by reference first.
                return .ambiguous(reason: "answered \(status)")
            }
        }
    }

    /// `Retry-After` in seconds (the HTTP-date form is not used by these providers), capped at an hour.
    static func retryAfter(_ headers: [(String, String)]) -> Int64? {
        guard let value = headers.first(where: { $0.0.lowercased() == "retry-after" })?.1,
              let seconds = Double(value.trimmingCharacters(in: .whitespaces)), seconds >= 0
        else { return nil }
        return Int64(min(seconds, 3600) * 1000)
    }

    /// `data` as an object or an array (the filter answer's shape is not settled).
    static func resources(_ document: JSONValue) -> [JSONValue] {
        switch document["data"] {
        case .array(let items)?: return items
        case .object?: return [document["data"]!]
        default: return []
        }
    }

    static func attributes(_ resource: JSONValue) -> [String: JSONValue] {
        resource["attributes"]?.objectValue ?? resource.objectValue ?? [:]
    }

    static func snapshot(_ resource: JSONValue, exponent: Int?) -> ProviderSnapshot? {
        let attributes = attributes(resource)
        guard let raw = attributes["status"]?.stringValue else { return nil }
        let wasProcessed = !(attributes["processed"]?.isNull ?? true)
        let (outcome, merchantStatus) = JSONAPIStatus.outcome(raw, wasProcessed: wasProcessed)
        var processedMinor: Int64?
        if let text = attributes["processed_amount"]?.decimalText,
           let code = attributes["currency"]?.stringValue, let currency = Currency(code: code) {
            processedMinor = try? MinorUnits.parse(text, exponent: exponent ?? currency.exponent)
        }
        let resolution = attributes["resolution"]?.stringValue
        var snapshot = ProviderSnapshot(
            providerPayoutID: resource["id"]?.stringValue, rawStatus: raw, outcome: outcome,
            merchantStatus: merchantStatus, resolution: resolution, processedAmountMinor: processedMinor,
            currency: attributes["currency"]?.stringValue)
        if let code = attributes["currency"]?.stringValue, let currency = Currency(code: code), let amount = attributes["amount"]?.decimalText {
            snapshot.amountMinor = try? MinorUnits.parse(amount, exponent: currency.exponent)
        }
        snapshot.service = resource["relationships"]?["payout-service"]?["data"]?["id"]?.stringValue ?? attributes["service"]?.stringValue
        return snapshot
    }

    /// A short, secret-free summary of an error answer (array or field-keyed object shapes).
    static func errorSummary(status: Int, body: Data) -> String {
        guard let document = try? JSONCoding.decode(JSONValue.self, from: body) else { return "answered \(status)" }
        switch document["errors"] {
        case .object(let fields)?:
            let parts = fields.keys.sorted().map { "\($0): \(fields[$0]?.stringValue ?? "invalid")" }
            return "answered \(status): " + parts.joined(separator: "; ").prefix(300)
        case .array(let items)?:
            let parts = items.compactMap { $0["detail"]?.stringValue ?? $0["title"]?.stringValue ?? $0["status"]?.stringValue }
            return "answered \(status)" + (parts.isEmpty ? "" : ": " + parts.joined(separator: "; ").prefix(300))
        default:
            return "answered \(status)"
        }
    }

    /// Percent-encodes every byte of the UTF-8 text outside RFC 3986's unreserved characters (ASCII letters and
    /// digits, `-_.~`), so that an id or reference is one path segment or query value whatever it holds.
    static func pathEscape(_ text: String) -> String {
        func unreserved(_ byte: UInt8) -> Bool {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                 UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."), UInt8(ascii: "~"):
                return true
            default: return false
            }
        }
        guard !text.utf8.allSatisfy(unreserved) else { return text }
        let hex = Array("0123456789ABCDEF".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(text.utf8.count * 3)
        for byte in text.utf8 {
            if unreserved(byte) {
                out.append(byte)
            } else {
                out.append(UInt8(ascii: "%"))
                out.append(hex[Int(byte >> 4)])
                out.append(hex[Int(byte & 0x0F)])
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    static func queryEscape(_ text: String) -> String { pathEscape(text) }
}
