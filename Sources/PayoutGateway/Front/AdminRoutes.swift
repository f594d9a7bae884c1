import Foundation
import HTTPTypes
import Hummingbird
import Logging

/// Operator endpoints: `POST /admin/routes/reload`, `GET /admin/routes/explain` and
/// `POST /admin/payouts/{id}/release`, behind a bearer token.
struct AdminRoutes: Sendable {
    let adminToken: Secret?
    let reloader: RoutesReloader?
    let runtime: GatewayRuntime
    var payouts: PayoutOperator?

    func register(on router: Router<BasicRequestContext>) {
        router.post("/admin/routes/reload") { request, _ in
            try authorize(request)
            guard let reloader else { throw APIError.http(.serviceUnavailable, detail: "Reload is not available.") }
            let summary: RoutesReloader.Summary
            do {
                summary = try reloader.reload()
            } catch let error as RoutesValidationError {
                var fields: [String: String] = [:]
                for issue in error.issues { fields[issue.path] = issue.reason }
                throw APIError.validation(fields)
            }
            return Response.json(["status": "reloaded", "services": .number(Decimal(summary.services)),
                                  "providers": .number(Decimal(summary.providers)), "routes": .number(Decimal(summary.routes))])
        }
        router.post("/admin/payouts/:id/release") { request, context in
            try authorize(request)
            guard let payouts else { throw APIError.http(.serviceUnavailable, detail: "Payout actions are not available.") }
            var request = request
            let body: ByteBuffer
            do { body = try await request.collectBody(upTo: 16 * 1024) } catch { throw APIError.http(.contentTooLarge) }
            let reason = (try? JSONCoding.decode(JSONValue.self, from: Data(buffer: body)))?["reason"]?.stringValue ?? ""
            guard !reason.trimmingCharacters(in: .whitespaces).isEmpty, reason.count <= 500 else {
                throw APIError.validation("reason", "Say in 1 to 500 characters what was checked with the provider.")
            }
            let id = context.parameters.get("id") ?? ""
            switch try await payouts.release(payoutID: id, reason: reason) {
            case .released:
                return Response.json(["status": "released", "id": .string(id)])
            case .notFound:
                throw APIError.notFound
            case .busy:
                throw APIError.http(.conflict, detail: "The payout is being worked on; try again in a moment.")
            case .refused(let phase):
                throw APIError.http(.conflict, detail: "Only a parked attempt can be released; this one is \(phase).")
            }
        }
        router.get("/admin/routes/explain") { request, _ in
            try authorize(request)
            let explanation = try RouteExplanation.explain(
                router: runtime.router(), service: request.query("service") ?? "", currency: request.query("currency") ?? "",
                amount: request.query("amount") ?? "", merchantID: request.query("merchant"))
            return Response.json(explanation.json)
        }
    }

    func authorize(_ request: Request) throws {
        guard let token = adminToken else { throw APIError.http(.forbidden, detail: "No operator token is configured.") }
        guard let header = request.headers[.authorization], header.lowercased().hasPrefix("bearer "),
              Digest.constantTimeEquals(String(header.dropFirst(7)).trimmingCharacters(in: .whitespaces), token.value)
        else { throw APIError.unauthorized }
    }
}

/// Why each provider is or is not a candidate for a payout: shared by the CLI and the admin endpoint.
public struct RouteExplanation: Sendable {
    public let decision: RouteDecision?
    public let failure: String?
    public let skipped: [String: String]
    public let fees: [String: Int64]
    public let currency: Currency

    public static func explain(router: PayoutRouter, service: String, currency: String, amount: String, merchantID: String?) throws(APIError) -> RouteExplanation {
        guard router.table.service(service) != nil else { throw APIError.validation("service", "Unknown service \(service).") }
        guard let currency = Currency(code: currency) else { throw APIError.validation("currency", "This value is not a valid currency.") }
        guard let amountMinor = try? MinorUnits.parse(amount, exponent: currency.exponent) else {
            throw APIError.validation("amount", "This value should be a positive amount in \(currency.code).")
        }
        do {
            let decision = try router.decide(service: service, currency: currency, amountMinor: amountMinor, merchantID: merchantID, reference: "explain")
            var fees: [String: Int64] = [:]
            for id in decision.candidates {
                if let fee = router.fee(id, service: service, currency: currency, amountMinor: amountMinor) { fees[id] = fee }
            }
            return RouteExplanation(decision: decision, failure: nil, skipped: decision.skipped, fees: fees, currency: currency)
        } catch {
            return RouteExplanation(decision: nil, failure: error.reason, skipped: error.skipped, fees: [:], currency: currency)
        }
    }

    public var json: JSONValue {
        [
            "route": decision?.routeID.map(JSONValue.string) ?? .null,
            "strategy": decision?.strategy.map(JSONValue.string) ?? .null,
            "candidates": .array((decision?.candidates ?? []).map { id in
                ["provider": .string(id), "fee": fees[id].map { .number(MinorUnits.decimal($0, exponent: currency.exponent)) } ?? .null]
            }),
            "excluded": .object(skipped.mapValues(JSONValue.string)),
            "error": failure.map(JSONValue.string) ?? .null,
        ]
    }

    /// The operator's text form.
    public var text: String {
        var lines: [String] = []
        if let decision {
            lines.append("route: \(decision.routeID ?? "-") (strategy \(decision.strategy ?? "ordered"))")
            lines.append("candidates:")
            for (index, id) in decision.candidates.enumerated() {
                let fee = fees[id].map { " (fee \(MinorUnits.format($0, exponent: currency.exponent)) \(currency.code))" } ?? ""
                lines.append("  \(index + 1). \(id)\(fee)")
            }
        } else {
            lines.append("no candidate: \(failure ?? "-")")
        }
        if !skipped.isEmpty {
            lines.append("excluded:")
            for id in skipped.keys.sorted() { lines.append("  \(id): \(skipped[id]!)") }
        }
        return lines.joined(separator: "\n")
    }
}
