import Foundation
import HTTPTypes
import Hummingbird
import Logging

/// Every answer carries `X-Request-Id` (the client's, when it sent a usable one; otherwise a new one) and
/// `Server-Timing: gateway;dur=…` with the gateway's own time in milliseconds, so a merchant can tell the gateway's
/// time from its network's (no handler waits on a provider: provider calls happen in the engine, apart from
/// requests). The id is also on every log line of the request (`request.id`).
struct RequestIdentityMiddleware<Context: RequestContext>: RouterMiddleware {
    static var requestIDField: HTTPField.Name { HTTPField.Name("X-Request-Id")! }
    static var serverTimingField: HTTPField.Name { HTTPField.Name("Server-Timing")! }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let started = ContinuousClock.now
        let id = Self.usable(request.headers[Self.requestIDField]) ?? Identifier.random(length: 20)
        var response = try await LogContext.with(["request.id": .string(id)]) { try await next(request, context) }
        let elapsed = ContinuousClock.now - started
        response.headers[Self.requestIDField] = id
        response.headers[Self.serverTimingField] = "gateway;dur=" + Self.millisText(elapsed)
        return response
    }

    /// Milliseconds with two decimals (`3.07`), rounded half up; integer arithmetic (`String(format:)` costs more
    /// than a small request's handler).
    static func millisText(_ elapsed: Duration) -> String {
        let components = elapsed.components
        let hundredths = max(components.seconds, 0) * 100_000 + (max(components.attoseconds, 0) + 5_000_000_000_000) / 10_000_000_000_000
        let fraction = hundredths % 100
        return "\(hundredths / 100)." + (fraction < 10 ? "0" : "") + "\(fraction)"
    }

    /// A client's id is taken when it is 1–128 characters of letters, digits and `-_.:` (anything else could
    /// smuggle text into logs or headers); otherwise the gateway makes its own.
    static func usable(_ value: String?) -> String? {
        guard let value, !value.isEmpty, value.count <= 128,
              value.unicodeScalars.allSatisfy({ $0.isASCII && (CharacterSetASCII.isAlphanumeric($0) || "-_.:".unicodeScalars.contains($0)) })
        else { return nil }
        return value
    }
}

enum CharacterSetASCII {
    static func isAlphanumeric(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x30...0x39, 0x41...0x5A, 0x61...0x7A: return true
        default: return false
        }
    }
}
