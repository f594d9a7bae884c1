import AsyncHTTPClient
import Foundation
import Hummingbird
@testable import PayoutGateway
@testable import PayoutSandbox
import ServiceLifecycle
import Synchronization
import Testing

/// The webhook dispatcher against a real receiver on loopback: one merchant's hanging endpoint must not hold the others.
@Suite("Webhook delivery fairness")
struct WebhookFairnessTests {
    @Test("a merchant whose endpoint hangs does not delay another merchant's webhooks")
    func hangingMerchantDoesNotStallOthers() async throws {
        let port = try await TestGateway.freePort()
        let delivered = Mutex<[String: Date]>([:])
        let router = Router()
        router.post("/slow") { _, _ -> HTTPResponse.Status in
            try await Task.sleep(for: .seconds(10))
            return .ok
        }
        router.post("/fast") { _, _ -> HTTPResponse.Status in
            delivered.withLock { $0["fast", default: Date()] = Date() }
            return .ok
        }
        let receiver = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: port)), logger: TestGateway.logger)

        try await MerchantHandlerTests.withFront { front in
            let store = front.store
            let sealer = front.sealer
            try await store.insertMerchant(MerchantRecord(
                id: "slow-merchant", name: "Slow", apiKeyHash: "-", publicKey: "pk_slow", callbackSecretSealed: try sealer.seal("s1"), createdMs: 0))
            let fastMerchant = GatewayConfiguration.DemoMerchant().accountID
            let now = Clock.nowMillis()
            // 20 webhooks to the hanging endpoint first, then one to the healthy one.
            var payouts: [(String, String)] = (0..<20).map { _ in ("slow-merchant", "http://127.0.0.1:\(port)/slow") }
            payouts.append((fastMerchant, "http://127.0.0.1:\(port)/fast"))
            for (index, (merchant, url)) in payouts.enumerated() {
                var payout = StoreFencingTests.payout("hook-\(index)", now: now + Int64(index), callback: url)
                payout.merchantId = merchant
                _ = try await store.createPayout(payout, event: PayoutEventRecord(payoutId: payout.id, kind: "created", detail: "{}"))
                var claimed = try #require(try await store.claimPayout(id: payout.id, owner: "gw", nowMs: now, leaseMs: 10_000))
                claimed.status = "processed"
                claimed.nextActionAt = nil
                #expect(try await store.commit(PayoutStepCommit(payout: claimed, webhookBody: "{}"), owner: "gw"))
            }
            var settings = EngineSettings()
            settings.webhookTimeoutSeconds = 10
            settings.idleMillis = 20
            // The receivers are on loopback: allowed hosts (http, private addresses).
            settings.webhookAllowedHosts = ["127.0.0.1"]
            let dispatcher = WebhookDispatcher(store: store, http: ProviderHTTP(client: HTTPClient.shared), sealer: sealer, settings: settings, logger: TestGateway.logger)
            let group = ServiceGroup(configuration: .init(services: [receiver, dispatcher], logger: TestGateway.logger))
            let started = Date()
            try await withThrowingTaskGroup(of: Void.self) { tasks in
                tasks.addTask { try await group.run() }
                let deadline = Date().addingTimeInterval(9)
                while Date() < deadline, delivered.withLock({ $0["fast"] }) == nil {
                    try await Task.sleep(for: .milliseconds(20))
                }
                await group.triggerGracefulShutdown()
                tasks.cancelAll()
            }
            let fastAt = try #require(delivered.withLock { $0["fast"] }, "the healthy merchant's webhook never arrived")
            #expect(fastAt.timeIntervalSince(started) < 4, "it waited \(fastAt.timeIntervalSince(started)) s behind the hanging endpoint")
        }
    }
}
