import Foundation
import HTTPTypes
@testable import PayoutGateway
@testable import PayoutSandbox
import Testing

/// Two gateway instances on one PostgreSQL, in front of one standalone provider sandbox, merchant traffic split
/// between them. Runs when `PAYOUT_GATEWAY_TEST_POSTGRES_URL` names a server.
@Suite("Two instances on one PostgreSQL")
struct MultiInstanceTests {
    @Test("payouts created through either instance are paid exactly once and read the same through both",
          .enabled(if: TestStores.postgresURL != nil, "needs PAYOUT_GATEWAY_TEST_POSTGRES_URL"))
    func twoInstancesShareTheWork() async throws {
        let database = try await TestStores.createDatabase()
        let sandboxPort = try await TestGateway.freePort()
        let payelata = JSONAPISandbox(prefix: "payelata", processingMillis: 200, callbackStepMillis: 100)
        let server = SandboxServer(jsonapi: [payelata])
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("pgw-multi-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        func secret(_ name: String, _ value: String) throws -> String {
            let path = directory.appendingPathComponent(name).path
            try Data(value.utf8).write(to: URL(fileURLWithPath: path))
            return path
        }
        let base = try #require(server.baseURL(provider: "payelata", port: sandboxPort))
        let routes = """
            {"services":[{"code":"card","method":"payment_card","currencies":["USD"],"fields":[{"key":"card_number","required":true}]}],
             "providers":[{"id":"payelata","dialect":"jsonapi","base_url":"\(base)","auto_process":true,"timeout_seconds":2,"poll_interval_seconds":0.2,
               "credentials":{"account_id":{"file":"\(try secret("account", payelata.account.accountID))"},
                              "api_key":{"file":"\(try secret("key", payelata.account.apiKey))"},
                              "callback_secret":{"file":"\(try secret("callback", payelata.account.callbackSecret))"}},
               "services":{"card":{}}}],
             "routes":[{"id":"all","match":{"service":"card"},"providers":["payelata"]}]}
            """
        let routesPath = try TestGateway.writeRoutes(routes)
        let dataKey = Secret(Data((0..<32).map { _ in UInt8.random(in: 0...255) }).base64EncodedString())
        let merchant = try await createMerchant(name: "two-instances", databaseURL: database.url, dataKeyFile: nil, dataKey: dataKey, logger: TestGateway.logger)
        let auth = TestGateway.basicAuth(merchant.accountID, merchant.apiKey)

        func configuration() async throws -> GatewayConfiguration {
            var configuration = try await TestGateway.configuration(routesPath: routesPath, database: database.url)
            configuration.dataKey = dataKey
            configuration.demoMerchant = nil
            configuration.engine.leaseMillis = 4_000
            return configuration
        }
        let first = try await configuration()
        let second = try await configuration()
        try await TestSandbox.run(server, port: sandboxPort) {
            try await TestGateway.withGateway(first) { appA, clientA in
                try await TestGateway.withGateway(second) { appB, clientB in
                    #expect(appA.instanceID != appB.instanceID)
                    var ids: [String] = []
                    for index in 0..<12 {
                        let client = index % 2 == 0 ? clientA : clientB
                        let body = TestGateway.sampleCreate(reference: "multi-\(index)", autoProcess: true)
                        let created = try await client.post("/api/payout-invoices", body, headers: auth)
                        #expect(created.status == .created)
                        ids.append(try #require(created.json["data"]?["id"]?.stringValue))
                    }
                    // The same reference through the other instance is the same payout (one unique index).
                    let again = try await clientB.post("/api/payout-invoices", TestGateway.sampleCreate(reference: "multi-0", autoProcess: true), headers: auth)
                    #expect(again.status == .conflict)
                    #expect(again.json["data"]?["id"]?.stringValue == ids[0])
                    for (index, id) in ids.enumerated() {
                        let reader = index % 2 == 0 ? clientB : clientA
                        let deadline = Date().addingTimeInterval(20)
                        var status: String?
                        while Date() < deadline {
                            status = try await reader.get("/api/payout-invoices/\(id)", headers: auth).json["data"]?["attributes"]?["status"]?.stringValue
                            if status == "processed" { break }
                            try await Task.sleep(for: .milliseconds(100))
                        }
                        #expect(status == "processed", "payout \(index) ended \(status ?? "-")")
                    }
                    let ledger = payelata.ledger()
                    for id in ids {
                        #expect(ledger.filter { $0.reference == id }.reduce(0) { $0 + $1.payouts } == 1, "\(id) was not paid exactly once")
                    }
                }
            }
        }
        await database.drop()
        try? FileManager.default.removeItem(at: directory)
    }
}
