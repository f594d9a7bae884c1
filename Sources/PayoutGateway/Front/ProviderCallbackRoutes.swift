import HTTPTypes
import Logging
import Foundation
import Hummingbird

/// Provider callbacks (`GET`/`POST /callbacks/{provider-id}`). A callback is verified and then only
/// triggers a status query: the gateway books a final state from its own lookup, never from the callback alone.
struct ProviderCallbackRoutes: Sendable {
    let services: FrontServices

    func register(on router: Router<BasicRequestContext>) {
        router.post("/callbacks/:provider") { request, context in try await receive(request, providerID: context.parameters.get("provider") ?? "") }
        router.get("/callbacks/:provider") { request, context in try await receive(request, providerID: context.parameters.get("provider") ?? "") }
    }

    func receive(_ request: Request, providerID: String) async throws -> Response {
        guard let provider = services.runtime.snapshot.table.providers[providerID] else { throw APIError.notFound }
        var request = request
        let body: ByteBuffer
        do { body = try await request.collectBody(upTo: FrontServices.maxBodyBytes) } catch { throw APIError.http(.contentTooLarge) }
        let raw = Data(buffer: body)
        switch provider.dialect {
        case .jsonapi:
            return try await receiveJSONAPI(request, raw: raw, provider: provider)
        case .paynetV4:
            return try await receivePaynet(request, raw: raw, provider: provider)
        }
    }

    /// v4 callbacks: GET with query parameters (POST form also accepted); `control` =
    /// sha1(status + orderid + client_orderid + control key), compared in constant time.
    func receivePaynet(_ request: Request, raw: Data, provider: ProviderConfig) async throws -> Response {
        var parameters: [String: String] = [:]
        if let query = request.uri.query { parameters = PaynetForm.decode(query) }
        for (key, value) in PaynetForm.decode(String(decoding: raw, as: UTF8.self)) where parameters[key] == nil { parameters[key] = value }
        let status = parameters["status"] ?? ""
        let orderID = parameters["orderid"] ?? ""
        let clientOrderID = parameters["client_orderid"] ?? parameters["merchant_order"] ?? ""
        guard let key = provider.credential("control_key"), !status.isEmpty, !orderID.isEmpty, !clientOrderID.isEmpty,
              Digest.constantTimeEquals(PaynetControl.callback(status: status, orderID: orderID, clientOrderID: clientOrderID, controlKey: key), parameters["control"] ?? "")
        else {
            services.logger.warning("provider callback with a bad control refused", metadata: ["provider.id": "\(provider.id)"])
            throw APIError.http(.forbidden)
        }
        var attempt = try await services.store.attempt(providerId: provider.id, providerPayoutId: orderID)
        if attempt == nil { attempt = try await services.store.attempt(providerId: provider.id, reference: clientOrderID) }
        guard let attempt, attempt.reference == clientOrderID else { throw APIError.notFound }
        try await services.store.nudge(payoutId: attempt.payoutId, atMs: Clock.nowMillis())
        services.logger.info("provider callback accepted", metadata: ["provider.id": "\(provider.id)", "payout.id": "\(attempt.payoutId)"])
        return Response(status: .ok, headers: [.contentType: "text/plain"], body: .init(byteBuffer: ByteBuffer(string: "OK")))
    }

    func receiveJSONAPI(_ request: Request, raw: Data, provider: ProviderConfig) async throws -> Response {
        let signature = request.headers[.init("X-Signature")!] ?? ""
        // The secret of the invoice's mode: test invoices are signed with the test secret, live ones with the live one.
        let testMode = (try? JSONCoding.decode(JSONValue.self, from: raw))?["data"].map { JSONAPIAdapter.attributes($0)["test_mode"]?.boolValue ?? false } ?? false
        let secret = testMode ? (provider.credential("callback_secret_test") ?? provider.credential("callback_secret")) : provider.credential("callback_secret")
        guard !signature.isEmpty, let secret, Digest.constantTimeEquals(Digest.callbackSignature(secret: secret, body: raw), signature) else {
            services.logger.warning("provider callback with a bad signature refused", metadata: ["provider.id": "\(provider.id)"])
            throw APIError.http(.forbidden)
        }
        guard let document = try? JSONCoding.decode(JSONValue.self, from: raw), let data = document["data"] else {
            throw APIError.http(.badRequest)
        }
        let providerPayoutID = data["id"]?.stringValue
        let reference = JSONAPIAdapter.attributes(data)["reference_id"]?.stringValue
        var attempt: AttemptRecord?
        if let providerPayoutID { attempt = try await services.store.attempt(providerId: provider.id, providerPayoutId: providerPayoutID) }
        if attempt == nil, let reference { attempt = try await services.store.attempt(providerId: provider.id, reference: reference) }
        guard let attempt else { throw APIError.notFound }
        try await services.store.nudge(payoutId: attempt.payoutId, atMs: Clock.nowMillis())
        services.logger.info("provider callback accepted", metadata: ["provider.id": "\(provider.id)", "payout.id": "\(attempt.payoutId)"])
        return Response(status: .ok, headers: [.contentType: "text/plain"], body: .init(byteBuffer: ByteBuffer(string: "OK")))
    }
}
