import Foundation
import HTTPTypes
import PayoutGateway
import PayoutSandbox
import Synchronization
import Testing

@Suite("Hot reload of routes.json")
struct ReloadTests {
    static func routes(usdProvider: String) -> String {
        """
        {"services":[{"code":"test_usd","method":"test","currencies":["USD"],"fields":[{"key":"account","required":true}]}],
         "providers":[
           {"id":"alpha","dialect":"jsonapi","base_url":"sandbox","poll_interval_seconds":0.2,"services":{"test_usd":{}}},
           {"id":"beta","dialect":"jsonapi","base_url":"sandbox","poll_interval_seconds":0.2,"services":{"test_usd":{}}}],
         "routes":[{"id":"usd","match":{"service":"test_usd"},"providers":["\(usdProvider)"]}]}
        """
    }

    static func body(_ reference: String) -> String {
        #"{"data":{"type":"payout-invoice","attributes":{"service":"test_usd","currency":"USD","amount":5,"reference_id":"\#(reference)","fields":{"account":"42"}}}}"#
    }

    @Test("an operator moves USD payouts to another provider under load with zero failed requests; a bad file is refused")
    func reloadUnderLoad() async throws {
        let path = try TestGateway.writeRoutes(Self.routes(usdProvider: "alpha"))
        var configuration = try await TestGateway.configuration(routesPath: path)
        configuration.routesPollMillis = 100
        configuration.adminToken = Secret("operator-token")
        try await TestGateway.withGateway(configuration) { app, client in
            let failures = Recorder<Int>()
            let admin: HTTPFields = [.authorization: "Bearer operator-token"]
            try await withThrowingTaskGroup(of: Void.self) { group in
                for worker in 0..<4 {
                    group.addTask {
                        for index in 0..<40 {
                            let response = try await client.post("/api/payout-invoices", Self.body("load-\(worker)-\(index)"))
                            if response.status != .created { failures.append(Int(response.status.code)) }
                        }
                    }
                }
                group.addTask {
                    try await Task.sleep(for: .milliseconds(150))
                    // A bad file is refused by the admin reload and by the watcher; the old table stays.
                    try Data(#"{"services":[],"providers":[],"routes":[{"id":"x","match":{"service":"nope"},"providers":["ghost"]}]}"#.utf8)
                        .write(to: URL(fileURLWithPath: path))
                    let refused = try await client.post("/admin/routes/reload", "", headers: admin)
                    #expect(refused.status == .unprocessableContent)
                    #expect(refused.json["errors"]?["$.routes[0].providers[0]"] != nil)
                    try await Task.sleep(for: .milliseconds(250))
                    try Data(Self.routes(usdProvider: "beta").utf8).write(to: URL(fileURLWithPath: path))
                    let accepted = try await client.post("/admin/routes/reload", "", headers: admin)
                    #expect(accepted.status == .ok)
                }
                try await group.waitForAll()
            }
            #expect(failures.values == [])
            let after = try await client.post("/api/payout-invoices", Self.body("after-reload"))
            #expect(after.json["data"]?["attributes"]?["gateway"]?["decision"]?["candidates"] == ["beta"])
            let explain = try await client.get("/admin/routes/explain?service=test_usd&currency=USD&amount=5", headers: admin)
            #expect(explain.status == .ok)
            #expect(explain.json["candidates"]?.arrayValue?.first?["provider"] == "beta")
            #expect(explain.json["excluded"]?["alpha"] == "not on route usd")
            #expect(try await client.get("/admin/routes/explain?service=test_usd&currency=USD&amount=5", headers: [:]).status == .unauthorized)
            // Every payout, routed before or after the swap, still completes on the provider it was routed to.
            let ledger = app.sandbox?.ledger() ?? []
            #expect(ledger.allSatisfy { $0.payouts <= 1 })
        }
    }

    @Test("the file watcher picks up an edited routes.json")
    func fileWatch() async throws {
        let path = try TestGateway.writeRoutes(Self.routes(usdProvider: "alpha"))
        var configuration = try await TestGateway.configuration(routesPath: path)
        configuration.routesPollMillis = 50
        try await TestGateway.withGateway(configuration) { _, client in
            try await Task.sleep(for: .milliseconds(100))
            try Data(Self.routes(usdProvider: "beta").utf8).write(to: URL(fileURLWithPath: path))
            let deadline = Date().addingTimeInterval(5)
            var candidates: JSONValue = .null
            var index = 0
            while Date() < deadline, candidates != ["beta"] {
                index += 1
                candidates = try await client.post("/api/payout-invoices", Self.body("watch-\(index)")).json["data"]?["attributes"]?["gateway"]?["decision"]?["candidates"] ?? .null
                try await Task.sleep(for: .milliseconds(50))
            }
            #expect(candidates == ["beta"])
        }
    }

    @Test("a services list that marks the service unavailable takes the provider out of rotation")
    func servicesListChanges() async throws {
        let file = """
            {"services":[{"code":"card","method":"payment_card","currencies":["USD"],"fields":[]}],
             "providers":[
               {"id":"alpha","dialect":"jsonapi","base_url":"sandbox","services_refresh_seconds":1,"services":{"card":{}}},
               {"id":"beta","dialect":"jsonapi","base_url":"sandbox","services":{"card":{}}}],
             "routes":[{"id":"usd","match":{"service":"card"},"providers":["alpha","beta"]}]}
            """
        let configuration = try await TestGateway.configuration(routesPath: try TestGateway.writeRoutes(file))
        try await TestGateway.withGateway(configuration) { app, client in
            let alpha = try #require(app.sandbox?.jsonapi("alpha"))
            alpha.setAvailable("card", currency: "USD", false)
            let deadline = Date().addingTimeInterval(6)
            var first: JSONValue = .null
            var index = 0
            while Date() < deadline, first != "beta" {
                index += 1
                let created = try await client.post("/api/payout-invoices", TestGateway.sampleCreate(reference: "svc-\(index)"))
                first = created.json["data"]?["attributes"]?["gateway"]?["decision"]?["candidates"]?.arrayValue?.first ?? .null
                try await Task.sleep(for: .milliseconds(100))
            }
            #expect(first == "beta")
            let prerequest = try await client.post("/public-api/payout-prerequest", #"{"currency":"USD","amount":10,"public_key":"\#(GatewayConfiguration.DemoMerchant().publicKey)"}"#, headers: [.contentType: "application/json"])
            #expect(prerequest.json["data"]?["services"]?["card"] != nil)
        }
    }
}

/// A thread-safe list for values recorded by concurrent test tasks.
final class Recorder<Value: Sendable>: Sendable {
    private let storage = Mutex<[Value]>([])
    func append(_ value: Value) { storage.withLock { $0.append(value) } }
    var values: [Value] { storage.withLock { $0 } }
}
