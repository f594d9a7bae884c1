import Foundation
import HTTPTypes
import Hummingbird
import PayoutGateway
import PayoutSandbox
import ServiceLifecycle
import Testing

/// Merchant webhooks never reach inside (server-side request forgery): https outside demo mode, public addresses
/// only unless allow-listed, checked on the address connected to.
@Suite("Webhook destinations: https, public addresses, pinned connections")
struct WebhookDestinationTests {
    static let policy = WebhookDestinationPolicy(allowedHosts: ["hooks.partner.example"], requireHTTPS: true)

    @Test("callback URLs refused before anything is sent", arguments: [
        ("http://example.com/h", "https"),
        ("https://10.0.0.1/h", "public"), ("https://127.0.0.1/h", "public"), ("https://[::1]/h", "public"),
        ("https://169.254.169.254/latest/meta-data", "public"), ("https://[fd00::1]/h", "public"), ("https://[fe80::1]/h", "public"),
        ("https://[::ffff:127.0.0.1]/h", "public"), ("https://0.0.0.0/h", "public"), ("https://224.0.0.1/h", "public"),
        ("https://100.64.0.1/h", "public"), ("https://172.16.5.4/h", "public"), ("https://192.168.1.1/h", "public"),
        ("https://localhost/h", "public"), ("https://db.localhost/h", "public"), ("https://[::]/h", "public"),
        ("https://user:pass@example.com/h", "credentials"), ("ftp://example.com/h", "valid URL"),
    ])
    func refused(url: String, reason: String) {
        #expect(Self.policy.refusal(of: url)?.contains(reason) == true)
    }

    @Test("public https URLs and allow-listed hosts pass", arguments: [
        "https://example.com/h", "https://93.184.216.34/h", "https://[2606:4700::1111]/h",
        "http://hooks.partner.example/h", "https://hooks.partner.example:8443/h",
    ])
    func allowed(url: String) {
        #expect(Self.policy.refusal(of: url) == nil)
    }

    @Test("a name is resolved at delivery: any private address refuses it, otherwise the connection is pinned to a checked address")
    func routes() async {
        let resolve: @Sendable (String) async -> [IPAddressBytes] = { name in
            switch name {
            case "rebind.example": return [IPAddressBytes(literal: "93.184.216.34")!, IPAddressBytes(literal: "10.0.0.5")!]
            case "ok.example": return [IPAddressBytes(literal: "93.184.216.34")!]
            default: return []
            }
        }
        #expect(await Self.policy.route(for: "https://rebind.example/h", resolve: resolve) == .refused("the destination address is not public"))
        #expect(await Self.policy.route(for: "https://ok.example/h", resolve: resolve) == .pinned(host: "ok.example", address: "93.184.216.34"))
        #expect(await Self.policy.route(for: "https://nowhere.example/h", resolve: resolve) == .refused("the destination host does not resolve"))
        #expect(await Self.policy.route(for: "http://hooks.partner.example/h", resolve: resolve) == .direct)
    }

    @Test("outside demo mode a create with a private or http callback_url answers 422 and stores nothing")
    func createRefused() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("pgw-ssrf-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let configuration = try await TestGateway.configuration(routesPath: try MerchantAccessTests.liveRoutes(directory))
        try await TestGateway.withGateway(configuration) { app, client in
            try await app.store.insertMerchant(MerchantRecord(
                id: "coma_SsrfMerchant000001", name: "ssrf", apiKeyHash: Digest.sha256Hex("ssrf-key"), publicKey: "pk_test_ssrf",
                callbackSecretSealed: "unused", createdMs: 0))
            let auth = TestGateway.basicAuth("coma_SsrfMerchant000001", "ssrf-key")
            for (index, url) in ["https://127.0.0.1:9/h", "https://169.254.169.254/latest", "http://example.com/h"].enumerated() {
                let answer = try await client.post("/api/payout-invoices", TestGateway.sampleCreate(reference: "ssrf-\(index)", callback: url), headers: auth)
                #expect(answer.status == .unprocessableContent)
                #expect(answer.json["errors"]?["callback_url"] != nil)
                #expect(try await app.store.payout(merchantId: "coma_SsrfMerchant000001", referenceId: "ssrf-\(index)") == nil)
            }
            let good = try await client.post("/api/payout-invoices", TestGateway.sampleCreate(reference: "ssrf-ok", callback: "https://hooks.example.com/h"), headers: auth)
            #expect(good.status == .created)
        }
    }

    @Test("delivery connects to the address it checked (the name is only asked for); a name resolving inside is refused unsent")
    func pinnedDelivery() async throws {
        var configuration = try await TestGateway.configuration()
        configuration.engine.webhookAllowedHosts = []
        // hooks.test exists nowhere but in this resolver; 127.0.0.1 counts as public here, 10.x does not.
        configuration.engine.webhookResolve = { name in
            name == "hooks.test" ? [IPAddressBytes(literal: "127.0.0.1")!] : name == "inside.test" ? [IPAddressBytes(literal: "10.1.2.3")!] : []
        }
        configuration.engine.webhookAddressRefused = { $0.bytes.first == 10 }
        let gateway = configuration
        try await WebhookReceiver.serving(label: { $0.head.authority ?? "" }) { receiver, port in
            try await TestGateway.withGateway(gateway) { _, client in
                let pinned = try await client.post("/api/payout-invoices", TestGateway.sampleCreate(
                    reference: "pin-1", autoProcess: true, callback: "http://hooks.test:\(port)/hook"))
                let pinnedID = try #require(pinned.json["data"]?["id"]?.stringValue)
                let inside = try await client.post("/api/payout-invoices", TestGateway.sampleCreate(
                    reference: "pin-2", autoProcess: true, callback: "http://inside.test:\(port)/hook"))
                let insideID = try #require(inside.json["data"]?["id"]?.stringValue)
                _ = try await client.waitForStatus(pinnedID, ["processed"])
                _ = try await client.waitForStatus(insideID, ["processed"])
                let deadline = Date().addingTimeInterval(10)
                var pinnedLogs: [JSONValue] = []
                var insideLogs: [JSONValue] = []
                while Date() < deadline {
                    pinnedLogs = try await client.get("/api/payout-invoices/\(pinnedID)").json["data"]?["attributes"]?["callback_logs"]?.arrayValue ?? []
                    insideLogs = try await client.get("/api/payout-invoices/\(insideID)").json["data"]?["attributes"]?["callback_logs"]?.arrayValue ?? []
                    if pinnedLogs.contains(where: { $0["state"] == "delivered" }), !insideLogs.isEmpty, insideLogs.allSatisfy({ $0["state"] != "pending" }) { break }
                    try await Task.sleep(for: .milliseconds(50))
                }
                #expect(pinnedLogs.contains { $0["state"] == "delivered" && $0["response_code"] == 200 })
                #expect(receiver.deliveries.contains { $0.signature == "hooks.test:\(port)" })
                #expect(!insideLogs.isEmpty)
                #expect(insideLogs.allSatisfy { $0["state"] != "delivered" && $0["response_code"] == .null })
                #expect(receiver.deliveries.allSatisfy { !$0.signature.hasPrefix("inside.test") })
            }
        }
    }
}
