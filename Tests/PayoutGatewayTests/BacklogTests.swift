import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
@testable import PayoutGateway
@testable import PayoutSandbox
import Testing

/// Backpressure: creates answer 429 with `Retry-After` while the engine's backlog is at its bound.
@Suite("Backpressure on creates")
struct BacklogTests {
    @Test("at the bound, creates and /process answer 429 with Retry-After in the error-array shape and write nothing; below it they go ahead",
          arguments: TestStores.backends)
    func boundedBacklog(database: TestDatabase) async throws {
        try await MerchantHandlerTests.withFront(database) { base in
            let gate = BacklogGate(limit: 2)
            let front = { var front = base; front.backlog = gate; return front }()
            let merchant = GatewayConfiguration.DemoMerchant().accountID
            let app = Application(router: buildRouter(front))
            try await app.test(.router) { client in
                func create(_ reference: String, autoProcess: Bool) async throws -> (HTTPResponse.Status, JSONValue, String?) {
                    try await client.execute(
                        uri: "/api/payout-invoices", method: .post, headers: TestGateway.demoAuth,
                        body: ByteBuffer(string: TestGateway.sampleCreate(reference: reference, autoProcess: autoProcess))
                    ) { response in
                        (response.status, try JSONValue.parse(Array(response.body.readableBytesView)), response.headers[.retryAfter])
                    }
                }
                // Invoices waiting for /process are not the engine's work: they never count.
                let waiting = try await create("bp-waiting", autoProcess: false)
                #expect(waiting.0 == .created)
                #expect(try await create("bp-1", autoProcess: true).0 == .created)
                #expect(try await create("bp-2", autoProcess: true).0 == .created)
                #expect(try await front.store.countBacklog() == 2)

                let refused = try await create("bp-3", autoProcess: true)
                #expect(refused.0 == .tooManyRequests)
                #expect(Int(refused.2 ?? "") ?? 0 >= 1)
                #expect(refused.1["errors"]?.arrayValue?.first?["code"] == "429")
                #expect(try await front.store.payout(merchantId: merchant, referenceId: "bp-3") == nil)

                // /process of the waiting invoice would add to the backlog: refused too, and it stays waiting.
                let id = try #require(waiting.1["data"]?["id"]?.stringValue)
                let process = try await client.execute(uri: "/api/payout-invoices/\(id)/process", method: .post, headers: TestGateway.demoAuth) {
                    ($0.status, $0.headers[.retryAfter])
                }
                #expect(process.0 == .tooManyRequests)
                #expect(process.1 != nil)
                #expect(try await front.store.payout(id: id)?.processRequested == false)

                // The engine finishes one: the next count lets creates through again.
                let finished = try #require(try await front.store.payout(merchantId: merchant, referenceId: "bp-1"))
                try await markFinal(front.store, finished)
                gate.record(count: try await front.store.countBacklog(), createdDuringCount: 2, nowMs: Clock.nowMillis())
                #expect(gate.estimate == 1)
                #expect(try await create("bp-4", autoProcess: true).0 == .created)
                #expect(try await create("bp-5", autoProcess: true).0 == .tooManyRequests)
            }
        }
    }

    @Test("Retry-After follows the measured drain rate, between 1 and 60 seconds; no bound never refuses")
    func retryAfterFromDrainRate() {
        let gate = BacklogGate(limit: 100)
        gate.record(count: 100, createdDuringCount: 0, nowMs: 10_000)
        #expect(gate.refusal() == 5)  // no drain measured yet
        // 50 drained in 1 s (the estimate averages with the previous zero): 25/s; one over the bound needs 1 s.
        gate.record(count: 150, createdDuringCount: 100, nowMs: 11_000)
        #expect(gate.refusal() == 3)  // 51 over the bound at 25/s
        gate.record(count: 99, createdDuringCount: 0, nowMs: 12_000)
        #expect(gate.refusal() == nil)
        for _ in 0..<10_000 { gate.created() }
        #expect(gate.refusal() == 60)
        let open = BacklogGate(limit: 0)
        for _ in 0..<10 { open.created() }
        #expect(open.refusal() == nil)
    }

    /// What the engine's last commit does to a payout: final, nothing due.
    func markFinal(_ store: any PayoutStore, _ payout: PayoutRecord) async throws {
        guard let claimed = try await store.claimPayout(id: payout.id, owner: "test", nowMs: Clock.nowMillis(), leaseMs: 10_000) else {
            Issue.record("could not claim \(payout.id)")
            return
        }
        var final = claimed
        final.status = PayoutStatus.processed.rawValue
        final.nextActionAt = nil
        #expect(try await store.commit(PayoutStepCommit(payout: final), owner: "test"))
    }

    @Test("with no bound (PAYOUT_GATEWAY_MAX_BACKLOG=0) the gateway runs and creates; the monitor does not end the service group")
    func noBoundKeepsRunning() async throws {
        var configuration = try await TestGateway.configuration()
        configuration.engine.maxBacklog = 0
        try await TestGateway.withGateway(configuration) { app, client in
            try await Task.sleep(for: .milliseconds(500))
            #expect(await client.isServing(instance: app.instanceID))
            let answer = try await client.post("/api/payout-invoices", TestGateway.sampleCreate(autoProcess: true))
            #expect(answer.status == 201)
        }
    }
}

@Suite("Merchant authentication cache")
struct MerchantAuthCacheTests {
    @Test("a verified header is served from memory until its time is up; a wrong key is never kept")
    func cache() async throws {
        try await MerchantHandlerTests.withFront { base in
            let cache = MerchantAuthCache(ttlMillis: 60_000)
            let front = { var front = base; front.authCache = cache; return front }()
            let app = Application(router: buildRouter(front))
            let good = TestGateway.demoAuth[.authorization] ?? ""
            try await app.test(.router) { client in
                var wrong = TestGateway.demoAuth
                wrong[.authorization] = "Basic " + Data("coma_DemoMerchant000001:not-the-key".utf8).base64EncodedString()
                try await client.execute(uri: "/api/payout-invoices", method: .get, headers: wrong) { #expect($0.status == .unauthorized) }
                #expect(cache.merchant(for: wrong[.authorization] ?? "", nowMillis: Clock.nowMillis()) == nil)
                try await client.execute(uri: "/api/payout-invoices", method: .get, headers: TestGateway.demoAuth) { #expect($0.status == .ok) }
            }
            let now = Clock.nowMillis()
            #expect(cache.merchant(for: good, nowMillis: now)?.id == GatewayConfiguration.DemoMerchant().accountID)
            #expect(cache.merchant(for: good, nowMillis: now + 60_001) == nil)
            let off = MerchantAuthCache(ttlMillis: 0)
            off.remember(try #require(try await front.store.merchant(id: GatewayConfiguration.DemoMerchant().accountID)), for: good, nowMillis: now)
            #expect(off.merchant(for: good, nowMillis: now) == nil)
        }
    }
}
