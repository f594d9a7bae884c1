import HTTPTypes
import Logging
import Hummingbird

/// `GET /public-api/payout-invoices/{id}` and `?filter[reference_id]=` in the flat public shape.
/// The public key may come as `public_key` query parameter, `X-Public-Key` header or Bearer token;
/// without one the unguessable invoice id alone is accepted (the dialect's JS SDK sends none).
struct PublicInvoiceRoutes: Sendable {
    let front: FrontDependencies

    func register(on router: Router<BasicRequestContext>) {
        router.get("/public-api/payout-invoices/:id") { request, context in
            let merchant = try await merchant(request)
            let id = context.parameters.get("id") ?? ""
            guard id.count <= 64, let payout = try await front.store.payout(id: id),
                  merchant == nil || payout.merchantId == merchant?.id
            else { throw APIError.notFound }
            return Response.json(bytes: InvoiceDocument.publicShape(payout, method: payout.method))
        }
        router.get("/public-api/payout-invoices") { request, _ in
            guard let merchant = try await merchant(request) else { throw APIError.unauthorized }
            guard let reference = request.query("filter[reference_id]"),
                  let payout = try await front.store.payout(merchantId: merchant.id, referenceId: reference)
            else { throw APIError.notFound }
            return Response.json(bytes: InvoiceDocument.publicShape(payout, method: payout.method))
        }
    }

    /// The merchant named by a presented public key; nil when none is presented; 401 for an unknown key.
    func merchant(_ request: Request) async throws -> MerchantRecord? {
        var key = request.query("public_key") ?? request.headers[.init("X-Public-Key")!]
        if key == nil, let auth = request.headers[.authorization], auth.lowercased().hasPrefix("bearer ") {
            key = String(auth.dropFirst(7))
        }
        guard let key else { return nil }
        guard let merchant = try await front.merchant(publicKey: key) else { throw APIError.unauthorized }
        return merchant
    }
}
