import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import PayoutGateway
import PayoutSandbox
import ServiceLifecycle
import Synchronization
import Testing

@Suite("End to end through the sandbox provider")
struct EndToEndTests {
    @Test("auto_process carries the seed's sample payout to processed, exactly one payout at the provider")
    func autoProcess() async throws {
        try await TestGateway.withGateway(try await TestGateway.configuration()) { app, client in
            let created = try await client.post("/api/payout-invoices", TestGateway.sampleCreate(reference: "e2e-auto", autoProcess: true))
            #expect(created.status == .created)
            let id = try #require(created.json["data"]?["id"]?.stringValue)
            let attributes = try await client.waitForStatus(id, ["processed"])
            #expect(attributes["status"] == "processed")
            #expect(attributes["processed_amount"] == 10)
            #expect(attributes["processed"]?.isNull == false)
            #expect(attributes["gateway"]?["provider_id"] == "payelata")
            let ledger = try #require(app.sandbox?.ledger().filter { $0.reference == id })
            #expect(ledger.count == 1)
            #expect(ledger.first?.payouts == 1)
            #expect(ledger.first?.amountMinor == 1000)
        }
    }

    @Test("auto_process false waits in created until /process, then reaches processed")
    func manualProcess() async throws {
        try await TestGateway.withGateway(try await TestGateway.configuration()) { app, client in
            let created = try await client.post("/api/payout-invoices", TestGateway.sampleCreate(reference: "e2e-manual", autoProcess: false))
            let id = try #require(created.json["data"]?["id"]?.stringValue)
            try await Task.sleep(for: .milliseconds(800))
            let waiting = try await client.get("/api/payout-invoices/\(id)").json["data"]?["attributes"]
            #expect(waiting?["status"] == "created")
            #expect(app.sandbox?.ledger().first { $0.reference == id }?.payouts ?? 0 == 0)
            let process = try await client.post("/api/payout-invoices/\(id)/process", "{}")
            #expect(process.status == .ok)
            #expect(process.json["data"]?["id"]?.stringValue == id)
            let done = try await client.waitForStatus(id, ["processed"])
            #expect(done["status"] == "processed")
            #expect(app.sandbox?.ledger().first { $0.reference == id }?.payouts == 1)
        }
    }

    @Test("an invoice never processed expires after its lifetime, and /process cannot revive it")
    func lifetime() async throws {
        var configuration = try await TestGateway.configuration()
        configuration.engine.invoiceLifetimeMillis = 1_500
        try await TestGateway.withGateway(configuration) { app, client in
            let created = try await client.post("/api/payout-invoices", TestGateway.sampleCreate(reference: "e2e-expire", autoProcess: false))
            let id = try #require(created.json["data"]?["id"]?.stringValue)
            let expired = try await client.waitForStatus(id, ["expired"])
            #expect(expired["status"] == "expired")
            let process = try await client.post("/api/payout-invoices/\(id)/process", "{}")
            #expect(process.json["data"]?["attributes"]?["status"] == "expired")
            try await Task.sleep(for: .milliseconds(800))
            #expect(try await client.get("/api/payout-invoices/\(id)").json["data"]?["attributes"]?["status"] == "expired")
            #expect(app.sandbox?.ledger().first { $0.reference == id }?.payouts ?? 0 == 0)
        }
    }

    @Test("a provider decline ends in process_failed with the provider's resolution; a reversal ends canceled")
    func failuresAndReversal() async throws {
        try await TestGateway.withGateway(try await TestGateway.configuration()) { app, client in
            let declined = try await client.post("/api/payout-invoices", TestGateway.sampleCreate(reference: "e2e-decline", amount: "10.13", autoProcess: true))
            let declinedID = try #require(declined.json["data"]?["id"]?.stringValue)
            let reversed = try await client.post("/api/payout-invoices", TestGateway.sampleCreate(reference: "e2e-reverse", amount: "10.16", autoProcess: true))
            let reversedID = try #require(reversed.json["data"]?["id"]?.stringValue)
            let failed = try await client.waitForStatus(declinedID, ["process_failed"])
            #expect(failed["status"] == "process_failed")
            #expect(failed["resolution"] == "declined_error")
            #expect(failed["processed_amount"] == .null)
            let canceled = try await client.waitForStatus(reversedID, ["canceled"])
            #expect(canceled["status"] == "canceled")
            #expect(app.sandbox?.ledger().first { $0.reference == declinedID }?.payouts == 0)
        }
    }

    @Test("provider faults on create never pay twice and never lose the payout", arguments: [
        SandboxFault.errorAfterStore, .errorBeforeStore, .timeoutAfterStore, .rateLimited, .lateVisibility, .resetAfterStore,
    ])
    func faultsOnCreate(fault: SandboxFault) async throws {
        var configuration = try await TestGateway.configuration(routesPath: try TestGateway.writeRoutes(Self.fastTimeoutRoutes))
        configuration.sandboxFaultDelayMillis = 2_000
        try await TestGateway.withGateway(configuration) { app, client in
            let sandbox = try #require(app.sandbox?.jsonapi("payelata"))
            sandbox.inject([fault])
            let created = try await client.post("/api/payout-invoices", TestGateway.sampleCreate(reference: "fault-\(fault.rawValue)", autoProcess: true))
            let id = try #require(created.json["data"]?["id"]?.stringValue)
            let attributes = try await client.waitForStatus(id, ["processed"], seconds: 20)
            #expect(attributes["status"] == "processed", "fault \(fault.rawValue) left the payout \(attributes["status"] ?? .null)")
            let lines = sandbox.ledger().filter { $0.reference == id }
            #expect(lines.count == 1, "the provider holds \(lines.count) invoices for one payout")
            #expect(lines.reduce(0) { $0 + $1.payouts } == 1)
        }
    }

    static let fastTimeoutRoutes = """
        {"services":[{"code":"card","method":"payment_card","currencies":["USD"],"fields":[{"key":"card_number","required":true,"regexp":"^\\\\d{12,19}$"}]}],
         "providers":[{"id":"payelata","dialect":"jsonapi","base_url":"sandbox","timeout_seconds":0.5,"poll_interval_seconds":0.2,"services":{"card":{}}}],
         "routes":[{"id":"card","match":{"service":"card"},"providers":["payelata"]}]}
        """

    @Test("status changes reach the merchant's callback_url signed with its callback secret")
    func merchantWebhooks() async throws {
        try await WebhookReceiver.serving(label: { $0.headers[.init("X-Signature")!] ?? "" }) { receiver, port in
            try await TestGateway.withGateway(try await TestGateway.configuration()) { _, client in
                let created = try await client.post("/api/payout-invoices", TestGateway.sampleCreate(reference: "hook-1", autoProcess: true, callback: "http://127.0.0.1:\(port)/hook"))
                let id = try #require(created.json["data"]?["id"]?.stringValue)
                _ = try await client.waitForStatus(id, ["processed"])
                let deadline = Date().addingTimeInterval(10)
                while Date() < deadline, !receiver.statuses.contains("processed") { try await Task.sleep(for: .milliseconds(50)) }
                #expect(receiver.statuses.contains("processed"))
                let secret = GatewayConfiguration.DemoMerchant().callbackSecret.value
                #expect(receiver.deliveries.allSatisfy { Digest.callbackSignature(secret: secret, body: $0.body) == $0.signature })
                let logs = try await client.get("/api/payout-invoices/\(id)").json["data"]?["attributes"]?["callback_logs"]?.arrayValue ?? []
                #expect(logs.contains { $0["state"] == "delivered" && $0["response_code"] == 200 })
            }
        }
    }
}

/// Records the webhooks a test merchant received.
final class WebhookReceiver: Sendable {
    struct Delivery: Sendable { let signature: String; let body: Data }
    private let state = Mutex<[Delivery]>([])

    func record(signature: String, body: Data) { state.withLock { $0.append(Delivery(signature: signature, body: body)) } }
    var deliveries: [Delivery] { state.withLock { $0 } }
    var statuses: [String] {
        deliveries.compactMap { try? JSONDecoder().decode(JSONValue.self, from: $0.body)["data"]?["attributes"]?["status"]?.stringValue }
    }

    /// A merchant's webhook endpoint (`POST /hook` answering 200) on a loopback port while `body` runs; each delivery
    /// is recorded with `label(request)` (a signature header, the authority it was sent to).
    static func serving(label: @escaping @Sendable (Request) -> String,
                        _ body: @Sendable (WebhookReceiver, Int) async throws -> Void) async throws {
        let receiver = WebhookReceiver()
        let port = try await TestGateway.freePort()
        let router = Router()
        router.post("/hook") { request, _ -> HTTPResponse.Status in
            var request = request
            let bytes = try await request.collectBody(upTo: 1 << 20)
            receiver.record(signature: label(request), body: Data(bytes.readableBytesView))
            return .ok
        }
        let hookApp = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: port)), logger: TestGateway.logger)
        try await withThrowingTaskGroup(of: Void.self) { group in
            let serviceGroup = ServiceGroup(configuration: .init(services: [hookApp], logger: TestGateway.logger))
            group.addTask { try await serviceGroup.run() }
            try await Task.sleep(for: .milliseconds(200))
            do {
                try await body(receiver, port)
            } catch {
                await serviceGroup.triggerGracefulShutdown()
                try? await group.waitForAll()
                throw error
            }
            await serviceGroup.triggerGracefulShutdown()
            try await group.waitForAll()
        }
    }
}
