import PayoutGateway
import Synchronization
import Foundation
import HTTPTypes
import Hummingbird
import Logging

extension PaynetSandbox {
    /// A form (or JSON) answer with a line feed after each value, as the platform sends it.
    struct Answer {
        var status: HTTPResponse.Status = .ok
        var values: [(String, String)]
        /// Drop the connection instead of answering (the order is stored).
        var reset = false
    }

    func register(on router: Router<BasicRequestContext>) {
        let api = router.group(RouterPath("\(id)/\(pathPrefix)/api"))
        for command in ["v4/payout", "v4/payout-check", "v4/payout-pay", "v4/status", "v2/status"] {
            api.post(RouterPath("\(command)/:endpoint")) { request, context in
                try await handle(command, request, endpoint: context.parameters.get("endpoint") ?? "")
            }
            api.post(RouterPath("\(command)/group/:group")) { request, context in
                try await handle(command, request, endpoint: "group/" + (context.parameters.get("group") ?? ""))
            }
        }
        let form = router.group(RouterPath("\(id)/\(pathPrefix)/receiver-form"))
        form.get(":order") { _, context in receiverForm(context.parameters.get("order") ?? "") }
        form.post(":order") { _, context in submitReceiverForm(context.parameters.get("order") ?? "") }
        router.get(RouterPath("\(id)/sandbox/ledger")) { _, _ in
            Response.json(.array(ledger().map { (try? JSONCoding.decode(JSONValue.self, from: JSONCoding.encode($0))) ?? .null }))
        }
    }

    /// `endpoint`: the endpoint (or `group/ID`) of the URL. Orders are scoped by it, as a provider may do: a status
    /// asked on another endpoint does not find them.
    func handle(_ command: String, _ request: Request, endpoint: String) async throws -> Response {
        var request = request
        let body = String(buffer: try await request.collectBody(upTo: 64 * 1024))
        let pairs = SandboxSignatures.formPairs(body)
        var parameters: [String: String] = [:]
        for (key, value) in pairs where parameters[key] == nil { parameters[key] = value }
        let json = request.headers[.accept]?.contains("application/vnd.pay+json") == true

        let answer: Answer
        if command == "v2/status" {
            let expected = SandboxSignatures.statusControl(
                login: parameters["login"] ?? "", clientOrderID: parameters["client_orderid"] ?? "",
                orderID: parameters["orderid"] ?? "", controlKey: controlKey)
            if parameters["login"] != login || !SandboxSignatures.equal(expected, parameters["control"] ?? "") {
                answer = Answer(values: [("type", "validation-error"), ("error-message", "Invalid control code"), ("error-code", "3")])
            } else {
                answer = status(parameters, endpoint: endpoint)
            }
        } else if !verifyOAuth(request, body: pairs) {
            answer = Answer(status: .forbidden, values: [("type", "error"), ("error-message", "Invalid OAuth signature"), ("error-code", "403")])
        } else {
            switch command {
            case "v4/payout": answer = try await create(parameters, bankCheck: false, endpoint: endpoint)
            case "v4/payout-check": answer = try await create(parameters, bankCheck: true, endpoint: endpoint)
            case "v4/payout-pay":
                if slowPayMillis > 0, Double.random(in: 0..<1) < slowPayRate {
                    try await Task.sleep(for: .milliseconds(slowPayMillis))
                }
                answer = pay(parameters)
            default: answer = status(parameters, endpoint: endpoint)
            }
        }
        return render(answer, json: json)
    }

    func render(_ answer: Answer, json: Bool) -> Response {
        if answer.reset { return brokenResponse() }
        if json {
            var object: [String: JSONValue] = [:]
            for (key, value) in answer.values { object[key] = .string(value) }
            let failed = ["validation-error", "error"].contains(object["type"]?.stringValue ?? "")
            return Response.json(.object(object), status: failed && answer.status == .ok ? .badRequest : answer.status)
        }
        let text = answer.values.map { SandboxSignatures.percentEncode($0.0) + "=" + SandboxSignatures.percentEncode($0.1) + "\n" }.joined(separator: "&")
        return Response(status: answer.status, headers: [.contentType: "text/html;charset=utf-8"], body: .init(byteBuffer: ByteBuffer(string: text)))
    }

    /// OAuth RSA-SHA256 (or HMAC-SHA1 with the control key) over the body and header parameters.
    func verifyOAuth(_ request: Request, body: [(String, String)]) -> Bool {
        let oauth = SandboxSignatures.oauthHeader(request.headers[.authorization] ?? "")
        guard oauth["oauth_consumer_key"] == login, let signature = oauth["oauth_signature"] else { return false }
        let host = request.head.authority ?? "127.0.0.1"
        let url = "http://\(host)\(request.uri.path)"
        // Everything signed: the body and the header's oauth_* parameters except the signature itself.
        let headerPairs = oauth.filter { $0.key.hasPrefix("oauth_") && $0.key != "oauth_signature" }.map { ($0.key, $0.value) }
        let bodyPairs = body.filter { oauth[$0.0] == nil }
        let base = SandboxSignatures.oauthBaseString(url: url, parameters: bodyPairs + headerPairs)
        switch oauth["oauth_signature_method"] {
        case "RSA-SHA256"?: return SandboxSignatures.verifyRSASHA256(base: base, signature: signature, publicKeyPEM: publicKeyPEM)
        case "HMAC-SHA1"?: return SandboxSignatures.equal(SandboxSignatures.hmacSHA1(base: base, controlKey: controlKey), signature)
        default: return false
        }
    }

    func nextFault() -> SandboxFault? { state.faults.next() }

    func create(_ parameters: [String: String], bankCheck: Bool, endpoint: String) async throws -> Answer {
        let clientOrderID = parameters["client_orderid"] ?? parameters["client-order-id"] ?? ""
        guard !clientOrderID.isEmpty, clientOrderID.count <= 128 else {
            return Answer(values: [("type", "validation-error"), ("error-message", "client_orderid is required"), ("error-code", "1")])
        }
        guard let currency = parameters["currency"].flatMap(Currency.init(code:)),
              let amount = try? MinorUnits.parse(parameters["amount"] ?? "", exponent: currency.exponent)
        else {
            return Answer(values: [("type", "validation-error"), ("merchant-order-id", clientOrderID), ("error-message", "Invalid amount or currency"), ("error-code", "1")])
        }
        guard parameters["credit_card_number"] != nil || parameters["account_number"] != nil || parameters["destination-card-no"] != nil else {
            return Answer(values: [("type", "validation-error"), ("merchant-order-id", clientOrderID), ("error-message", "Destination is required"), ("error-code", "1")])
        }
        let fault = nextFault()
        switch fault {
        case .errorBeforeStore?: return Answer(status: .internalServerError, values: [("type", "error"), ("error-message", "Internal error")])
        case .rateLimited?: return Answer(status: .tooManyRequests, values: [("type", "error"), ("error-message", "Too many requests")])
        default: break
        }
        let now = Clock.nowMillis()
        let script = amount % 100
        let outcome: (String, String?, String?) = switch script {
        case 13: ("declined", "Declined by issuer", "05")
        case 15: ("filtered", "Filtered by antifraud", "F1")
        case 17: ("error", "Processing error", "E1")
        case 14: ("processing", nil, nil)
        case 18: ("unknown", nil, nil)
        default: ("approved", nil, nil)
        }
        let serial = UUID().uuidString.lowercased()
        let created: PaynetOrder? = state.storage.withLock { storage in
            if duplicatePolicy == .reject, storage.byClientOrderID[clientOrderID] != nil { return nil }
            storage.nextOrderID += Int.random(in: 1...9)
            let orderID = String(storage.nextOrderID)
            var order = PaynetOrder(
                orderID: orderID, clientOrderID: clientOrderID, amountMinor: amount, currency: currency.code, exponent: currency.exponent,
                bankCheck: bankCheck, status: "processing", stage: bankCheck ? "payout_check_validating" : "payout_starting",
                finalStatus: outcome.0, errorMessage: outcome.1, errorCode: outcome.2, needsReceiverForm: script == 19,
                neverValidates: script == 21, dueAtMillis: bankCheck ? nil : now + processingMillis,
                visibleAtMillis: fault == .lateVisibility || fault == .hiddenAfterStore ? now + lateVisibilityMillis : now, callbackURL: parameters["server_callback_url"],
                redirectTo: nil, lastSerial: serial)
            order.endpoint = endpoint
            storage.save(order)
            storage.order.append(orderID)
            storage.byClientOrderID[clientOrderID, default: []].append(orderID)
            return order
        }
        guard var order = created else {
            return Answer(values: [("type", "validation-error"), ("merchant-order-id", clientOrderID), ("error-message", "Duplicate client_orderid"), ("error-code", "2")])
        }
        if order.needsReceiverForm, !bankCheck {
            order.dueAtMillis = nil
            order.redirectTo = receiverFormPath(order.orderID)
            let updated = order
            state.storage.withLock { $0.save(updated) }
        }
        switch fault {
        case .errorAfterStore?, .hiddenAfterStore?: return Answer(status: .badGateway, values: [("type", "error"), ("error-message", "Bad gateway")])
        case .timeoutAfterStore?: try await Task.sleep(for: .milliseconds(faultDelayMillis))
        case .resetAfterStore?: return Answer(values: [], reset: true)
        default: break
        }
        return Answer(values: [("type", "async-response"), ("serial-number", serial), ("merchant-order-id", clientOrderID),
                               ("paynet-order-id", order.orderID), ("end-point-id", "1")])
    }

    func pay(_ parameters: [String: String]) -> Answer {
        let clientOrderID = parameters["client_orderid"] ?? ""
        guard parameters["login"] == login else {
            return Answer(values: [("type", "validation-error"), ("error-message", "login is required"), ("error-code", "1")])
        }
        let now = Clock.nowMillis()
        return state.storage.withLock { storage -> Answer in
            guard let orderID = parameters["orderid"], var order = storage.orders[orderID], order.clientOrderID == clientOrderID else {
                return Answer(values: [("type", "validation-error"), ("merchant-order-id", clientOrderID), ("error-message", "Order not found"), ("error-code", "2")])
            }
            guard order.bankCheck, order.stage == "payout_check_validated", order.status == "processing" else {
                return Answer(values: [("type", "error"), ("merchant-order-id", clientOrderID), ("paynet-order-id", orderID),
                                       ("error-message", "Order is not validated for payout-pay"), ("error-code", "4")])
            }
            order.stage = "payout_processing"
            order.lastSerial = UUID().uuidString.lowercased()
            if order.needsReceiverForm {
                order.redirectTo = receiverFormPath(orderID)
            } else {
                order.dueAtMillis = now + processingMillis
            }
            storage.save(order)
            return Answer(values: [("type", "async-response"), ("serial-number", order.lastSerial), ("merchant-order-id", clientOrderID),
                                   ("paynet-order-id", orderID), ("end-point-id", "1")])
        }
    }

    func status(_ parameters: [String: String], endpoint: String) -> Answer {
        let clientOrderID = parameters["client_orderid"] ?? ""
        let now = Clock.nowMillis()
        return state.storage.withLock { storage -> Answer in
            let candidates = (storage.byClientOrderID[clientOrderID] ?? []).compactMap { storage.orders[$0] }
                .filter { $0.endpoint == endpoint }
            let match = parameters["orderid"].flatMap { id in candidates.first { $0.orderID == id } }
                ?? candidates.last.flatMap { $0.visibleAtMillis <= now ? $0 : nil }
            guard var order = match else {
                return Answer(values: [("type", "validation-error"), ("error-message", "Order not found"), ("error-code", "2")])
            }
            if order.bankCheck, order.stage == "payout_check_validating", !order.neverValidates {
                order.polls += 1
                if order.polls >= validateAfterPolls {
                    if ["declined", "filtered", "error"].contains(order.finalStatus) {
                        // The bank refuses the check itself: the order ends without payout-pay.
                        order.dueAtMillis = now
                    } else {
                        order.stage = "payout_check_validated"
                    }
                }
                storage.save(order)
            }
            var values: [(String, String)] = [
                ("type", "status-response"), ("status", order.status), ("order-stage", order.stage),
                ("amount", MinorUnits.format(order.amountMinor, exponent: order.exponent)), ("currency", order.currency),
                ("paynet-order-id", order.orderID), ("merchant-order-id", order.clientOrderID), ("serial-number", order.lastSerial),
                ("transaction-type", "payout"),
            ]
            if let redirect = order.redirectTo, order.status == "processing" { values.append(("redirect-to", redirect)) }
            if let message = order.errorMessage, order.status != "processing" {
                values.append(("error-message", message))
                values.append(("error-code", order.errorCode ?? ""))
            }
            return Answer(values: values)
        }
    }

    func receiverForm(_ orderID: String) -> Response {
        let html = """
            <html><body><h1>Payout \(orderID.filter(\.isNumber))</h1>
            <form method="post"><label>Receiver name <input name="receiver_name"></label><button type="submit">Submit</button></form>
            </body></html>
            """
        return Response(status: .ok, headers: [.contentType: "text/html;charset=utf-8"], body: .init(byteBuffer: ByteBuffer(string: html)))
    }

    func submitReceiverForm(_ orderID: String) -> Response {
        let now = Clock.nowMillis()
        let found = state.storage.withLock { storage -> Bool in
            guard var order = storage.orders[orderID], order.redirectTo != nil else { return false }
            order.redirectTo = nil
            order.needsReceiverForm = false
            order.dueAtMillis = now + processingMillis
            storage.save(order)
            return true
        }
        return Response(status: found ? .ok : .notFound, headers: [.contentType: "text/html;charset=utf-8"],
                        body: .init(byteBuffer: ByteBuffer(string: found ? "<html><body>Thank you.</body></html>" : "Not found")))
    }
}
