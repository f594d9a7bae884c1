import PayoutGateway
import PayoutSandbox
import Foundation
import HTTPTypes
import Hummingbird
import Synchronization

/// A merchant's webhook endpoint that refuses a share of deliveries and records the verified ones.
final class ChaosWebhookReceiver: Sendable {
    private let statuses = Mutex<[String: Set<String>]>([:])
    private let badSignatures = Mutex(0)
    let secret: String
    let failureRate: Double

    init(secret: String, failureRate: Double) {
        self.secret = secret
        self.failureRate = failureRate
    }

    func router() -> Router<BasicRequestContext> {
        let router = Router()
        router.post("/webhook") { request, _ -> HTTPResponse.Status in
            var request = request
            let body = Data((try await request.collectBody(upTo: 1 << 20)).readableBytesView)
            guard Digest.constantTimeEquals(Digest.callbackSignature(secret: self.secret, body: body), request.headers[.init("X-Signature")!] ?? "") else {
                self.badSignatures.withLock { $0 += 1 }
                return .forbidden
            }
            if Double.random(in: 0..<1) < self.failureRate { return .internalServerError }
            if let document = try? JSONCoding.decode(JSONValue.self, from: body), let id = document["data"]?["id"]?.stringValue,
               let status = document["data"]?["attributes"]?["status"]?.stringValue {
                self.statuses.withLock { _ = $0[id, default: []].insert(status) }
            }
            return .ok
        }
        return router
    }

    func received(_ payoutID: String) -> Set<String> { statuses.withLock { $0[payoutID] ?? [] } }
    var signatureFailures: Int { badSignatures.withLock { $0 } }
}
