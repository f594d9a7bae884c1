import Foundation
import Logging
import NIOHTTP1

/// The PaynetEasy v4 dialect (Payneteasy, Cardzo, Billblend …): form-encoded, OAuth-signed payout / payout-check /
/// payout-pay, status through `/api/v2/status` (SHA-1 control) or `/api/v4/status` (OAuth).
public struct PaynetV4Adapter: ProviderAdapter {
    public let id: String
    public let baseURL: String
    let login: String
    let controlKey: Secret
    let privateKeyPEM: Secret?
    let options: PaynetOptions
    /// Gateway service → terms (a currency's own endpoint).
    let services: [String: ProviderServiceMapping]
    let timeoutSeconds: Double
    let http: ProviderHTTP
    let logger: Logger

    public var needsConfirmation: Bool { options.flow == .bankConfirmation }
    var useHMAC: Bool { options.signature == "hmac-sha1" }
    var statusV4: Bool { options.statusAPI == "v4" }
    var validatedStage: String { options.validatedStage ?? "payout_check_validated" }

    public init(config: ProviderConfig, baseURL: String, http: ProviderHTTP, logger: Logger) {
        self.id = config.id
        self.baseURL = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
        self.login = config.credential("login") ?? ""
        self.controlKey = Secret(config.credential("control_key") ?? "")
        self.privateKeyPEM = config.credential("private_key").map(Secret.init)
        self.options = config.options as? PaynetOptions ?? PaynetOptions(endpoints: [:])
        self.services = config.services
        self.timeoutSeconds = config.timeoutSeconds
        self.http = http
        self.logger = logger
    }

    /// The endpoint of a service in a currency: its own (`by_currency.{currency}.endpoint`), else the provider's.
    func url(_ command: String, service: String, currency: String) -> String? {
        let endpoint = services[service]?.terms(currency: currency)?.endpoint ?? options.endpoints[currency]
        guard let tail = endpoint?.pathComponent else { return nil }
        return "\(baseURL)/api/\(command)/\(tail)"
    }

    // MARK: Calls

    public func submit(_ request: ProviderPayoutRequest) async -> SubmitOutcome {
        let command = needsConfirmation ? "v4/payout-check" : "v4/payout"
        guard let url = url(command, service: request.gatewayService, currency: request.currency.code) else {
            return .rejected(reason: "no endpoint configured for \(request.currency.code)")
        }
        var parameters: [(String, String)] = [
            ("client_orderid", request.reference),
            ("amount", MinorUnits.format(request.amountMinor, exponent: request.currency.exponent)),
            ("currency", request.currency.code),
        ]
        if let description = request.description { parameters.append(("order_desc", String(description.prefix(64)))) }
        if let callback = request.callbackURL { parameters.append(("server_callback_url", callback)) }
        for (key, value) in (options.extraParameters ?? [:]).sorted(by: { $0.key < $1.key }) where !parameters.contains(where: { $0.0 == key }) {
            parameters.append((key, value))
        }
        for (key, value) in request.fields.sorted(by: { $0.key < $1.key }) where !parameters.contains(where: { $0.0 == key }) {
            parameters.append((key, value))
        }
        let result = await post(url, parameters)
        return classify(result, reference: request.reference)
    }

    public func confirm(reference: String, providerPayoutID: String, service: String, currency: Currency) async -> SubmitOutcome {
        guard let url = url("v4/payout-pay", service: service, currency: currency.code) else {
            return .rejected(reason: "no endpoint configured for \(currency.code)")
        }
        let result = await post(url, [("client_orderid", reference), ("orderid", providerPayoutID), ("login", login)])
        return classify(result, reference: reference)
    }

    public func lookup(reference: String, providerPayoutID: String?, service: String, currency: Currency) async -> LookupOutcome {
        // The status goes to the endpoint the payout was sent to: a provider may scope orders by endpoint.
        let command = statusV4 ? "v4/status" : "v2/status"
        guard let url = url(command, service: service, currency: currency.code) else {
            return .failed(reason: "no endpoint configured for \(currency.code)")
        }
        let orderID = providerPayoutID ?? ""
        var parameters: [(String, String)] = [("login", login), ("client_orderid", reference)]
        if !orderID.isEmpty { parameters.append(("orderid", orderID)) }
        let result: ProviderHTTPResult?
        if statusV4 {
            result = await post(url, parameters)
        } else {
            parameters.append(("control", PaynetControl.status(login: login, clientOrderID: reference, orderID: orderID, controlKey: controlKey.value)))
            result = await post(url, parameters, signed: false)
        }
        guard let result else { return .failed(reason: "no endpoint configured") }
        switch result {
        case .notConnected(let reason), .lost(let reason):
            return .failed(reason: reason)
        case .response(let status, _, let body):
            if status == 404 { return .absent }
            let answer = PaynetForm.parseAnswer(body)
            let type = answer["type"]?.lowercased() ?? ""
            if type == "validation-error" || type == "error" || (status != 200 && answer["status"] == nil) {
                let message = (answer["error-message"] ?? "").lowercased()
                if ["not found", "does not exist", "no such", "unknown order", "not exist"].contains(where: { message.contains($0) }) {
                    return .absent
                }
                return .failed(reason: "status answered \(status) \(type): \(answer["error-message"] ?? "")".prefix(200).description)
            }
            guard let raw = answer["status"] else { return .failed(reason: "status answer without status") }
            if let echoed = answer["merchant-order-id"], !echoed.isEmpty, echoed != reference {
                return .failed(reason: "status answer for another order")
            }
            return .found(snapshot(answer, rawStatus: raw))
        }
    }

    // MARK: Wire

    func post(_ url: String, _ parameters: [(String, String)], signed: Bool = true) async -> ProviderHTTPResult {
        var headers: [(String, String)] = [("Content-Type", "application/x-www-form-urlencoded")]
        if options.json == true { headers.append(("Accept", "application/vnd.pay+json")) }
        var body = parameters
        if signed {
            let method = useHMAC ? "HMAC-SHA1" : "RSA-SHA256"
            var oauth = PaynetOAuth.protocolParameters(consumerKey: login, method: method)
            let base = PaynetOAuth.baseString(url: url, parameters: parameters + oauth)
            do {
                let signature = useHMAC
                    ? PaynetOAuth.signHMAC(baseString: base, controlKey: controlKey.value)
                    : try PaynetOAuth.signRSA(baseString: base, privateKeyPEM: privateKeyPEM?.value ?? "")
                oauth.append(("oauth_signature", signature))
            } catch {
                return .notConnected("request signing failed")
            }
            headers.append(("Authorization", PaynetOAuth.header(oauth)))
            if useHMAC { body += oauth }
        }
        return await http.send(method: .POST, url: url, headers: headers, body: Data(PaynetForm.encode(body).utf8), timeoutSeconds: timeoutSeconds)
    }

    func classify(_ result: ProviderHTTPResult, reference: String) -> SubmitOutcome {
        switch result {
        case .notConnected(let reason):
            return .notSent(reason: reason)
        case .lost(let reason):
            return .ambiguous(reason: reason)
        case .response(let status, _, let body):
            let answer = PaynetForm.parseAnswer(body)
            let type = answer["type"]?.lowercased()
            if status >= 500 || status == 429 { return .ambiguous(reason: "answered \(status)") }
            if status == 401 || status == 403 { return .rejected(reason: "answered \(status): signature or credentials refused") }
            switch type {
            case "async-response"?:
                if let echoed = answer["merchant-order-id"], !echoed.isEmpty, echoed != reference {
                    return .ambiguous(reason: "merchant-order-id does not echo our client_orderid")
                }
                guard let orderID = answer["paynet-order-id"], !orderID.isEmpty else {
                    return .ambiguous(reason: "async-response without paynet-order-id")
                }
                return .accepted(ProviderSnapshot(
                    providerPayoutID: orderID, rawStatus: "async-response",
                    outcome: needsConfirmation ? .checking : .processing, merchantStatus: .processing,
                    serialNumber: answer["serial-number"]))
            case "validation-error"?, "error"?:
                let message = answer["error-message"] ?? ""
                let lowered = message.lowercased()
                if lowered.contains("duplicate") || lowered.contains("already exists") || lowered.contains("already used") {
                    return .duplicate
                }
                let code = answer["error-code"].map { " (code \($0))" } ?? ""
                return .rejected(reason: "\(type ?? "error"): \(message.prefix(200))\(code)")
            default:
                if status == 200 { return .ambiguous(reason: "answer without a known type") }
                if (400..<500).contains(status) { return .rejected(reason: "answered \(status)") }
                return .ambiguous(reason: "answered \(status)")
            }
        }
    }

    func snapshot(_ answer: [String: String], rawStatus: String) -> ProviderSnapshot {
        let stage = answer["order-stage"]
        // The check phase lasts until payout-pay moved the order past validation.
        let checkPhase = needsConfirmation && (stage?.lowercased().contains("check") ?? true)
        let (outcome, merchantStatus) = PaynetStatus.outcome(status: rawStatus, stage: stage, checkPhase: checkPhase, validatedStage: validatedStage)
        var resolution: String?
        if outcome == .failed {
            let message = answer["error-message"].flatMap { $0.isEmpty || $0 == "null" ? nil : $0 }
            resolution = [rawStatus.lowercased(), answer["error-code"], message].compactMap { $0 }.joined(separator: ": ")
        }
        var processedMinor: Int64?
        if outcome == .succeeded, let amount = answer["amount"], let currency = answer["currency"].flatMap(Currency.init(code:)) {
            processedMinor = try? MinorUnits.parse(amount, exponent: currency.exponent)
        }
        let redirect = answer["redirect-to"].flatMap { $0.isEmpty || $0 == "null" ? nil : $0 }
        return ProviderSnapshot(
            providerPayoutID: answer["paynet-order-id"], rawStatus: [rawStatus, stage].compactMap { $0 }.joined(separator: "/"),
            outcome: outcome, merchantStatus: merchantStatus, resolution: resolution, processedAmountMinor: processedMinor,
            redirectURL: redirect, currency: answer["currency"], serialNumber: answer["serial-number"])
    }
}
