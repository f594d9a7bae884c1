import Foundation
import HTTPTypes
import Hummingbird
import Logging

/// PaynetEasy v4 (Payneteasy, Cardzo, Billblend …) as the core sees it: its `paynet` options, credentials,
/// endpoints, adapter and callback check.
public struct PaynetV4Dialect: DialectDescription {
    public init() {}
    public var dialect: ProviderDialect { .paynetV4 }
    public var requiredCredentials: [String] { ["login", "control_key"] }
    public var optionsKey: String? { "paynet" }
    public var hasEndpoints: Bool { true }
    /// Undocumented (§8 of the notes): a repeat might create a second payout.
    public var defaultRepeatedReference: RepeatedReference { .unknown }

    public func compileOptions(_ provider: ProviderDefinition, raw: JSONValue?, path: String, issues: inout [RoutesValidationError.Issue]) -> (any Sendable)? {
        func issue(_ path: String, _ reason: String) { issues.append(.init(path: path, reason: reason)) }
        guard let raw else {
            issue("\(path).paynet", "required for dialect paynet-v4 (flow, endpoints)")
            return nil
        }
        let options: PaynetOptions
        do {
            options = try JSONCoding.decode(PaynetOptions.self, from: Data(raw.jsonBytes()))
        } catch let error as DecodingError {
            issue(RoutesCompiler.path(of: error).replacingOccurrences(of: "$", with: "\(path).paynet"), RoutesCompiler.reason(of: error))
            return nil
        } catch {
            issue("\(path).paynet", "invalid")
            return nil
        }
        let ownEndpoints = provider.services.values.contains { ($0.byCurrency ?? [:]).values.contains { $0.endpoint != nil } }
        if options.endpoints.isEmpty, !ownEndpoints { issue("\(path).paynet.endpoints", "must name an endpoint per currency") }
        for (currency, endpoint) in options.endpoints {
            if Currency(code: currency) == nil { issue("\(path).paynet.endpoints.\(currency)", "unknown ISO 4217 currency") }
            if endpoint.pathComponent == nil { issue("\(path).paynet.endpoints.\(currency)", "exactly one of endpoint_id or group_id") }
        }
        if let api = options.statusAPI, !["v2", "v4"].contains(api) { issue("\(path).paynet.status_api", "must be v2 or v4") }
        if let signature = options.signature, !["rsa-sha256", "hmac-sha1"].contains(signature) {
            issue("\(path).paynet.signature", "must be rsa-sha256 or hmac-sha1")
        }
        if !provider.isSandbox, (options.signature ?? "rsa-sha256") == "rsa-sha256", provider.credentials?["private_key"] == nil {
            issue("\(path).credentials.private_key", "required for rsa-sha256 signatures")
        }
        for (code, mapping) in provider.services {
            let perCurrency = mapping.byCurrency ?? [:]
            for currency in mapping.currencies ?? Array(perCurrency.keys).sorted()
            where options.endpoints[currency] == nil && perCurrency[currency]?.endpoint == nil {
                issue("\(path).services.\(code).currencies", "no endpoint for \(currency) in paynet.endpoints or by_currency.\(currency).endpoint")
            }
        }
        return options
    }

    public func makeAdapter(config: ProviderConfig, baseURL: String, http: ProviderHTTP, logger: Logger) -> any ProviderAdapter {
        PaynetV4Adapter(config: config, baseURL: baseURL, http: http, logger: logger)
    }

    /// GET with query parameters (a POST form is also read); `control` = sha1(status + orderid + client_orderid +
    /// control key), compared in constant time.
    public func verifyCallback(_ callback: ProviderCallback, provider: ProviderConfig) throws(APIError) -> CallbackSubject {
        var parameters: [String: String] = [:]
        if let query = callback.query { parameters = PaynetForm.decode(query) }
        for (key, value) in PaynetForm.decode(String(decoding: callback.body, as: UTF8.self)) where parameters[key] == nil { parameters[key] = value }
        let status = parameters["status"] ?? ""
        let orderID = parameters["orderid"] ?? ""
        let clientOrderID = parameters["client_orderid"] ?? parameters["merchant_order"] ?? ""
        guard let key = provider.credential("control_key"), !status.isEmpty, !orderID.isEmpty, !clientOrderID.isEmpty,
              Digest.constantTimeEquals(PaynetControl.callback(status: status, orderID: orderID, clientOrderID: clientOrderID, controlKey: key),
                                        parameters["control"] ?? "")
        else { throw APIError.http(.forbidden) }
        return CallbackSubject(providerPayoutID: orderID, reference: clientOrderID, referenceMustMatch: true)
    }
}

/// How a PaynetEasy v4 provider instance is reached.
public struct PaynetOptions: Sendable, Codable, Hashable {
    /// `direct` (payout) or `bank_confirmation` (payout-check, then payout-pay once the bank validated).
    public var flow: PaynetFlow?
    /// Currency → exactly one of an endpoint id or an endpoint-group id.
    public var endpoints: [String: ProviderEndpoint]
    /// `v2` (SHA-1 `control`, the use-case pages' choice, default) or `v4` (OAuth).
    public var statusAPI: String?
    /// `rsa-sha256` (default) or `hmac-sha1` (OAuth with the control key).
    public var signature: String?
    /// Ask for JSON answers (`Accept: application/vnd.pay+json`).
    public var json: Bool?
    /// Extra non-secret parameters sent with every payout (`purpose`, `ipaddress` …).
    public var extraParameters: [String: String]?
    /// Order-stage (case-insensitive) that means the bank validated a payout-check.
    public var validatedStage: String?
    /// For `base_url: "sandbox"`: the white label's path prefix to simulate (`paynet`, `checkout`).
    public var sandboxPathPrefix: String?

    enum CodingKeys: String, CodingKey {
        case flow, endpoints, signature, json
        case sandboxPathPrefix = "sandbox_path_prefix"
        case statusAPI = "status_api"
        case extraParameters = "extra_parameters"
        case validatedStage = "validated_stage"
    }
}

public enum PaynetFlow: String, Sendable, Codable, Hashable {
    case direct
    case bankConfirmation = "bank_confirmation"
}

