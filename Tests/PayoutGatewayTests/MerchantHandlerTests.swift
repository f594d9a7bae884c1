import AsyncHTTPClient
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
@testable import PayoutGateway
@testable import PayoutSandbox
import Testing

/// Handler tests through HummingbirdTesting's router client (no sockets, no engine).
@Suite("Merchant API handlers (router level)")
struct MerchantHandlerTests {
    /// Runs `body` with handler services over a fresh store (in-memory SQLite by default), closing it afterwards.
    static func withFront<Value: Sendable>(_ database: TestDatabase = .sqlite, _ body: (FrontDependencies) async throws -> Value) async throws -> Value {
        try await TestStores.withBackend(database) { backend in
            let store = SQLPayoutStore(backend: backend)
            let sealer = FieldSealer.random()
            let demo = GatewayConfiguration.DemoMerchant()
            try await store.insertMerchant(MerchantRecord(
                id: demo.accountID, name: "Demo", apiKeyHash: Digest.sha256Hex(demo.apiKey.value), publicKey: demo.publicKey,
                callbackSecretSealed: try sealer.seal(demo.callbackSecret.value), createdMs: Clock.nowMillis()))
            let table = try RoutesCompiler().compile(contentsOf: TestGateway.shippedRoutesPath)
            let runtime = GatewayRuntime(GatewayRuntime.makeSnapshot(
                table: table, http: ProviderHTTP(client: HTTPClient.shared), sandboxBaseURL: { _ in "http://127.0.0.1:9" }, logger: TestGateway.logger))
            let front = FrontDependencies(store: store, runtime: runtime, sealer: sealer, logger: TestGateway.logger, defaultTestMode: true)
            return try await body(front)
        }
    }

    @Test("create stores the payout masked and sealed; nothing is sent before the engine runs")
    func createStores() async throws {
        try await Self.withFront { front in
        let app = Application(router: buildRouter(front))
        try await app.test(.router) { client in
            try await client.execute(uri: "/api/payout-invoices", method: .post, headers: TestGateway.demoAuth, body: ByteBuffer(string: TestGateway.sampleCreate(reference: "router-1"))) { response in
                #expect(response.status == .created)
            }
        }
        let stored = try #require(try await front.store.payout(merchantId: GatewayConfiguration.DemoMerchant().accountID, referenceId: "router-1"))
        #expect(stored.fieldsMasked.contains("512381******0000"))
        #expect(!stored.fieldsMasked.contains("5123817234060000"))
        #expect(stored.fieldsSealed?.contains("5123817234060000") == false)
        #expect(try front.sealer.openFields(try #require(stored.fieldsSealed))["card_number"] == "5123817234060000")
        #expect(stored.amountMinor == 1000)
        #expect(try await front.store.attempts(payoutId: stored.id).isEmpty)
        let events = try await front.store.events(payoutId: stored.id)
        #expect(events.first?.kind == "created")
        #expect(events.allSatisfy { !$0.detail.contains("5123817234060000") })
        }
    }

    @Test("a create refused by validation leaves nothing behind")
    func refusedCreateLeavesNothing() async throws {
        try await Self.withFront { front in
        let app = Application(router: buildRouter(front))
        try await app.test(.router) { client in
            let body = TestGateway.sampleCreate(reference: "router-bad", amount: "0")
            try await client.execute(uri: "/api/payout-invoices", method: .post, headers: TestGateway.demoAuth, body: ByteBuffer(string: body)) { response in
                #expect(response.status == .unprocessableContent)
            }
        }
        #expect(try await front.store.payout(merchantId: GatewayConfiguration.DemoMerchant().accountID, referenceId: "router-bad") == nil)
        }
    }

    @Test("concurrent creates with one Idempotency-Key and different bodies make one payout: one 201, the others refused",
          arguments: TestStores.backends)
    func concurrentIdempotencyKey(database: TestDatabase) async throws {
        try await Self.withFront(database) { front in
            let app = Application(router: buildRouter(front))
            var headers = TestGateway.demoAuth
            headers[HTTPField.Name("Idempotency-Key")!] = "same-key"
            let requestHeaders = headers
            let statuses = try await app.test(.router) { client in
                try await withThrowingTaskGroup(of: HTTPResponse.Status.self) { group in
                    for index in 0..<12 {
                        group.addTask {
                            let body = ByteBuffer(string: TestGateway.sampleCreate(reference: "idem-\(index)"))
                            return try await client.execute(uri: "/api/payout-invoices", method: .post, headers: requestHeaders, body: body) { $0.status }
                        }
                    }
                    return try await group.reduce(into: [HTTPResponse.Status]()) { $0.append($1) }
                }
            }
            #expect(statuses.filter { $0 == .created }.count == 1, "answers: \(statuses.map(\.code))")
            #expect(statuses.allSatisfy { $0 == .created || $0 == .unprocessableContent || $0 == .conflict })
            let merchant = GatewayConfiguration.DemoMerchant().accountID
            #expect(try await front.store.payouts(merchantId: merchant, limit: 100, before: nil, after: nil).count == 1)
        }
    }

    @Test("an operator releases a parked attempt; unknown payouts are 404, a missing reason 422, no token 401")
    func operatorRelease() async throws {
        try await Self.withFront { front in
            let store = front.store
            let now = Clock.nowMillis()
            var payout = StoreFencingTests.payout("parked-1", now: now)
            payout.decision = JSONCoding.encodeString(RouteDecision(routeID: "r", strategy: "ordered", candidates: ["payelata", "cardzo"], skipped: [:], failover: true))
            _ = try await store.createPayout(payout, event: PayoutEventRecord(payoutId: payout.id, kind: "created", detail: "{}"))
            var claimed = try #require(try await store.claimPayout(id: payout.id, owner: "gw", nowMs: now, leaseMs: 10_000))
            claimed.status = "process_pending"
            claimed.pendingReason = "parked"
            claimed.nextActionAt = now + 60_000
            let attempt = AttemptRecord(
                id: "att_parked", payoutId: payout.id, providerId: "payelata", number: 1, reference: payout.id, state: "unclear",
                providerPayoutId: nil, providerStatus: nil, serialNumber: nil, outcome: nil, resolution: nil, confirmSent: false,
                lookupMisses: 2, sends: 1, detail: nil, createdMs: now, updatedMs: now, unclearSends: 1)
            #expect(try await store.commit(PayoutStepCommit(payout: claimed, attempts: [attempt]), owner: "gw"))

            let token = Secret("adm_test")
            let operatorActions = PayoutOperator(store: store, runtime: front.runtime, settings: EngineSettings(), logger: TestGateway.logger)
            let app = Application(router: buildRouter(front, admin: AdminRoutes(adminToken: token, reloader: nil, runtime: front.runtime, payouts: operatorActions)))
            let auth: HTTPFields = [.authorization: "Bearer adm_test"]
            let path = "/admin/payouts/\(payout.id)/release"
            try await app.test(.router) { client in
                let body = ByteBuffer(string: #"{"reason":"the provider confirmed it holds no order pay_1"}"#)
                try await client.execute(uri: path, method: .post, body: body) { #expect($0.status == .unauthorized) }
                try await client.execute(uri: "/admin/payouts/cpoi_nope/release", method: .post, headers: auth, body: body) { #expect($0.status == .notFound) }
                try await client.execute(uri: path, method: .post, headers: auth, body: ByteBuffer(string: "{}")) {
                    #expect($0.status == .unprocessableContent)
                }
                try await client.execute(uri: path, method: .post, headers: auth, body: body) { #expect($0.status == .ok) }
                // Released once: the attempt is no longer parked, so a second release is refused.
                try await client.execute(uri: path, method: .post, headers: auth, body: body) { #expect($0.status == .conflict) }
            }
            #expect(try await store.attempts(payoutId: payout.id).first?.phase == .notCreated)
            let stored = try #require(try await store.payout(id: payout.id))
            #expect(stored.status == "processing")
            #expect((stored.nextActionAt ?? .max) <= Clock.nowMillis())
        }
    }

    @Test("/ready is 200 while the store answers and routes are loaded, 503 naming the problem without routes")
    func readiness() async throws {
        try await Self.withFront { front in
            try await Application(router: buildRouter(front)).test(.router) { client in
                try await client.execute(uri: "/ready", method: .get) { response in
                    #expect(response.status == .ok)
                    #expect(String(buffer: response.body).contains("\"status\":\"ready\""))
                }
            }
            let empty = try RoutesCompiler().compile(data: Data(#"{"services":[],"providers":[],"routes":[]}"#.utf8))
            front.runtime.replace(GatewayRuntime.Snapshot(table: empty, adapters: [:]))
            try await Application(router: buildRouter(front)).test(.router) { client in
                try await client.execute(uri: "/ready", method: .get) { response in
                    #expect(response.status == .serviceUnavailable)
                    #expect(String(buffer: response.body).contains("no routing table loaded"))
                }
            }
        }
    }

    @Test("metrics are exposed in the Prometheus text format")
    func metrics() async throws {
        try await Self.withFront { front in
            let app = Application(router: buildRouter(front))
            try await app.test(.router) { client in
                try await client.execute(uri: "/metrics", method: .get) { response in
                    #expect(response.status == .ok)
                    #expect(response.headers[.contentType]?.hasPrefix("text/plain") == true)
                }
            }
        }
    }
}

@Suite("OpenAPI document")
struct OpenAPIDocumentTests {
    @Test("a known path with another method answers 405 with Allow listing its methods (RFC 9110)")
    func allowHeader() async throws {
        try await MerchantHandlerTests.withFront { front in
            try await Application(router: buildRouter(front)).test(.router) { client in
                try await client.execute(uri: "/api/payout-invoices", method: .delete) { response in
                    #expect(response.status == .methodNotAllowed)
                    #expect(response.headers[.allow] == "GET, POST")
                }
                try await client.execute(uri: "/api/payout-invoices/cpoi_x/process", method: .get) { response in
                    #expect(response.status == .methodNotAllowed)
                    #expect(response.headers[.allow] == "POST")
                }
            }
        }
    }

    @Test("/openapi.json serves the committed openapi.json, an OpenAPI 3.1 document naming every merchant path")
    func servedEqualsCommitted() async throws {
        let committed = try JSONCoding.decode(JSONValue.self, from: Data(contentsOf: TestGateway.repositoryRoot.appendingPathComponent("openapi.json")))
        try await MerchantHandlerTests.withFront { front in
            try await Application(router: buildRouter(front)).test(.router) { client in
                try await client.execute(uri: "/openapi.json", method: .get) { response in
                    #expect(response.status == .ok)
                    let served = try JSONCoding.decode(JSONValue.self, from: Data(buffer: response.body))
                    #expect(served == committed)
                    #expect(served["openapi"] == "3.1.0")
                    let paths = Set(served["paths"]?.objectValue?.keys.map { $0 } ?? [])
                    for (path, _) in frontRoutes {
                        let templated = path.replacingOccurrences(of: ":id", with: "{id}").replacingOccurrences(of: ":provider", with: "{provider}")
                        // Operator endpoints (bearer token) and the ops page (HTML, session cookie) are not the merchant API.
                        if path.hasPrefix("/admin") || path.hasPrefix("/ops") { continue }
                        #expect(paths.contains(templated), "\(templated) is not in openapi.json")
                    }
                }
            }
        }
    }
}
