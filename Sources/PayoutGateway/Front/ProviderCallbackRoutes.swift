import HTTPTypes
import Logging
import Foundation
import Hummingbird

/// Provider callbacks (`GET`/`POST /callbacks/{provider-id}`). The provider's dialect verifies a callback; it then
/// only triggers a status query: the gateway books a final state from its own lookup, never from the callback alone.
struct ProviderCallbackRoutes: Sendable {
    let front: FrontDependencies

    func register(on router: Router<BasicRequestContext>) {
        router.post("/callbacks/:provider") { request, context in try await receive(request, providerID: context.parameters.get("provider") ?? "") }
        router.get("/callbacks/:provider") { request, context in try await receive(request, providerID: context.parameters.get("provider") ?? "") }
    }

    func receive(_ request: Request, providerID: String) async throws -> Response {
        let table = front.runtime.snapshot.table
        guard let provider = table.providers[providerID], let dialect = table.dialects[provider.dialect] else { throw APIError.notFound }
        LogContext.set("provider.id", provider.id)
        var request = request
        let body: ByteBuffer
        do { body = try await request.collectBody(upTo: FrontDependencies.maxBodyBytes) } catch { throw APIError.http(.contentTooLarge) }
        let subject: CallbackSubject
        do {
            subject = try dialect.verifyCallback(ProviderCallback(query: request.uri.query, headers: request.headers, body: Data(buffer: body)), provider: provider)
        } catch {
            front.logger.warning("provider callback refused", metadata: ["provider.id": "\(provider.id)", "http.status": "\(error.status.code)"])
            throw error
        }
        var attempt: AttemptRecord?
        if let id = subject.providerPayoutID { attempt = try await front.store.attempt(providerId: provider.id, providerPayoutId: id) }
        if attempt == nil, let reference = subject.reference { attempt = try await front.store.attempt(providerId: provider.id, reference: reference) }
        guard let attempt, !subject.referenceMustMatch || attempt.reference == subject.reference else { throw APIError.notFound }
        try await front.store.nudge(payoutId: attempt.payoutId, atMs: Clock.nowMillis())
        front.logger.info("provider callback accepted", metadata: ["provider.id": "\(provider.id)", "payout.id": "\(attempt.payoutId)"])
        return Response(status: .ok, headers: [.contentType: "text/plain"], body: .init(byteBuffer: ByteBuffer(string: "OK")))
    }
}
