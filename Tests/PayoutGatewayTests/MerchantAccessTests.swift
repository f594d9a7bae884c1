import Foundation
import HTTPTypes
import PayoutGateway
import PayoutSandbox
import Testing

/// Who may use the merchant API: the demo merchant only in a demo, disabled merchants never, rotated keys during
/// their overlap only (issue 13, secure defaults).
@Suite("Merchant access: demo merchant, disable, key rotation")
struct MerchantAccessTests {
    static func directory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("pgw-access-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// The shipped sandbox routes plus one provider that is not a sandbox (its secrets in files).
    static func liveRoutes(_ directory: URL) throws -> String {
        func secret(_ name: String) throws -> String {
            let path = directory.appendingPathComponent(name).path
            try Data("secret-\(name)".utf8).write(to: URL(fileURLWithPath: path))
            return path
        }
        return try TestGateway.writeRoutes("""
            {"services":[{"code":"card","method":"payment_card","currencies":["USD"],"fields":[{"key":"card_number","required":true}]}],
             "providers":[
              {"id":"payelata","dialect":"jsonapi","base_url":"sandbox","services":{"card":{}}},
              {"id":"live","dialect":"jsonapi","base_url":"https://provider.invalid",
               "credentials":{"account_id":{"file":"\(try secret("account"))"},"api_key":{"file":"\(try secret("key"))"},
                              "callback_secret":{"file":"\(try secret("callback"))"}},
               "services":{"card":{}}}],
             "routes":[{"id":"all","match":{"service":"card"},"providers":["payelata","live"]}]}
            """)
    }

    static func status(_ client: GatewayClient, _ headers: HTTPFields) async -> HTTPResponse.Status? {
        try? await client.get("/api/payout-invoices", headers: headers).status
    }

    @Test("the demo key works only while every provider is a sandbox, and follows the configured key")
    func demoMerchant() async throws {
        let directory = try Self.directory()
        let database = "sqlite://\(directory.appendingPathComponent("gw.sqlite").path)"
        let demo = GatewayConfiguration.DemoMerchant()
        let oldKey = TestGateway.basicAuth(demo.accountID, demo.apiKey.value)

        // A demo: the account is created and answers.
        try await TestGateway.withGateway(try await TestGateway.configuration(database: database)) { _, client in
            #expect(await Self.status(client, oldKey) == .ok)
        }
        // Real providers in routes.json: the existing demo account is disabled at start-up.
        try await TestGateway.withGateway(try await TestGateway.configuration(routesPath: try Self.liveRoutes(directory), database: database)) { app, client in
            #expect(app.demoMerchant == nil)
            #expect(await Self.status(client, oldKey) == .unauthorized)
            let prerequest = try await client.post("/public-api/payout-prerequest", #"{"currency":"USD","public_key":"\#(demo.publicKey)"}"#)
            #expect(prerequest.status == .unauthorized)
        }
        // A demo again, with another key: the old key is refused, the configured one works.
        var configuration = try await TestGateway.configuration(database: database)
        configuration.demoMerchant?.apiKey = Secret("another_demo_key")
        try await TestGateway.withGateway(configuration) { _, client in
            #expect(await Self.status(client, oldKey) == .unauthorized)
            #expect(await Self.status(client, TestGateway.basicAuth(demo.accountID, "another_demo_key")) == .ok)
        }
    }

    @Test("a reload that brings a real provider shuts the demo merchant out at once, cached or not")
    func demoMerchantAfterReload() async throws {
        let directory = try Self.directory()
        let routes = try TestGateway.writeRoutes(String(decoding: try Data(contentsOf: URL(fileURLWithPath: TestGateway.shippedRoutesPath)), as: UTF8.self))
        var configuration = try await TestGateway.configuration(routesPath: routes)
        configuration.routesPollMillis = 100_000
        try await TestGateway.withGateway(configuration) { app, client in
            #expect(await Self.status(client, TestGateway.demoAuth) == .ok)
            try Data(contentsOf: URL(fileURLWithPath: try Self.liveRoutesWithoutNewSandbox(directory))).write(to: URL(fileURLWithPath: routes))
            try app.reloader.reload()
            #expect(await Self.status(client, TestGateway.demoAuth) == .unauthorized)
        }
    }

    /// The shipped file's sandbox providers plus a real one (a reload cannot add sandbox providers).
    static func liveRoutesWithoutNewSandbox(_ directory: URL) throws -> String {
        let path = directory.appendingPathComponent("api_key").path
        try Data("k".utf8).write(to: URL(fileURLWithPath: path))
        var file = try JSONCoding.decode(JSONValue.self, from: Data(contentsOf: URL(fileURLWithPath: TestGateway.shippedRoutesPath)))
        guard case .object(var object) = file, case .array(var providers)? = object["providers"] else { return "" }
        providers.append(try JSONCoding.decode(JSONValue.self, from: """
            {"id":"live","dialect":"jsonapi","base_url":"https://provider.invalid",
             "credentials":{"account_id":{"file":"\(path)"},"api_key":{"file":"\(path)"},"callback_secret":{"file":"\(path)"}},
             "services":{"card":{}}}
            """))
        object["providers"] = .array(providers)
        file = .object(object)
        let out = directory.appendingPathComponent("live-routes.json").path
        try Data(file.jsonBytes()).write(to: URL(fileURLWithPath: out))
        return out
    }

    @Test("merchants: a rotated key overlaps with the old one, an overlap of 0 ends it, a disabled merchant is refused and listed so")
    func rotateAndDisable() async throws {
        let directory = try Self.directory()
        let database = "sqlite://\(directory.appendingPathComponent("gw.sqlite").path)"
        let logger = TestGateway.logger
        let merchant = try await createMerchant(name: "rotating", databaseURL: database, dataKeyFile: nil, dataKey: nil, logger: logger)
        let key1 = TestGateway.basicAuth(merchant.accountID, merchant.apiKey)
        let key2 = TestGateway.basicAuth(merchant.accountID, try await MerchantAdmin.rotateKey(
            id: merchant.accountID, overlapSeconds: 3_600, databaseURL: database, logger: logger))
        try await TestGateway.withGateway(try await TestGateway.configuration(database: database)) { _, client in
            #expect(await Self.status(client, key1) == .ok)
            #expect(await Self.status(client, key2) == .ok)
        }
        let key3 = TestGateway.basicAuth(merchant.accountID, try await MerchantAdmin.rotateKey(
            id: merchant.accountID, overlapSeconds: 0, databaseURL: database, logger: logger))
        try await TestGateway.withGateway(try await TestGateway.configuration(database: database)) { _, client in
            #expect(await Self.status(client, key1) == .unauthorized)
            #expect(await Self.status(client, key2) == .unauthorized)
            #expect(await Self.status(client, key3) == .ok)
        }
        try await MerchantAdmin.setEnabled(false, id: merchant.accountID, databaseURL: database, logger: logger)
        let listed = try await MerchantAdmin.list(databaseURL: database, logger: logger).first { $0.id == merchant.accountID }
        #expect(listed?.disabledMs != nil)
        #expect(listed?.json.jsonString().contains(merchant.apiKey) == false)
        try await TestGateway.withGateway(try await TestGateway.configuration(database: database)) { _, client in
            #expect(await Self.status(client, key3) == .unauthorized)
        }
        await #expect(throws: MerchantAdmin.UnknownMerchant.self) {
            try await MerchantAdmin.setEnabled(false, id: "coma_nobody", databaseURL: database, logger: logger)
        }
        #expect(MerchantAdmin.parseDuration("24h") == 86_400)
        #expect(MerchantAdmin.parseDuration("90s") == 90)
        #expect(MerchantAdmin.parseDuration("x") == nil)
    }
}
