import Foundation
import HTTPTypes
import NIOCore
import PayoutGateway
import PayoutSandbox
import Synchronization
import Testing

/// A third dialect added by tests through the seam only: no file outside `TestDialect/` names it.
@Suite("Dialect seam: a test-only dialect registered through DialectRegistry")
struct DialectSeamTests {
    static func routes(tokenFile: String, ledger: String = #""ledger":{"settle_after_lookups":1},"#) -> String {
        """
        {"services":[{"code":"card","method":"payment_card","currencies":["USD"],"fields":[{"key":"card_number","required":true}]}],
         "providers":[
          {"id":"payelata","dialect":"jsonapi","base_url":"sandbox","services":{"card":{}}},
          {"id":"ledger1","dialect":"test-ledger","base_url":"https://ledger.invalid","poll_interval_seconds":0.1,\(ledger)
           "credentials":{"token":{"file":"\(tokenFile)"}},"services":{"card":{"amount_max":"500"}}}],
         "routes":[{"id":"cards","match":{"service":"card"},"providers":["ledger1"]}]}
        """
    }

    static func tokenFile() throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("ledger-token-\(UUID().uuidString)").path
        try Data("tok-123".utf8).write(to: URL(fileURLWithPath: path))
        return path
    }

    @Test("the standard registry refuses the unknown dialect; with it registered, its options and credentials are checked by it")
    func compile() throws {
        let token = try Self.tokenFile()
        let dialects = DialectRegistry.standard.adding(LedgerDialect(book: LedgerBook()))
        do {
            _ = try RoutesCompiler().compile(data: Data(Self.routes(tokenFile: token).utf8))
            Issue.record("an unknown dialect compiled")
        } catch {
            #expect(error.issues.contains { $0.path == "$.providers[1].dialect" && $0.reason.contains("unknown dialect test-ledger") })
        }
        let table = try RoutesCompiler(dialects: dialects).compile(data: Data(Self.routes(tokenFile: token).utf8))
        #expect(table.providers["ledger1"]?.options is LedgerDialect.Options)
        #expect(table.providers["ledger1"]?.repeatedReference == .rejected)
        do {
            _ = try RoutesCompiler(dialects: dialects).compile(data: Data(Self.routes(tokenFile: token, ledger: #""ledger":{"settle_after_lookups":99},"paynet":{},"#).utf8))
            Issue.record("bad options compiled")
        } catch {
            let paths = Set(error.issues.map(\.path))
            #expect(paths.contains("$.providers[1].ledger.settle_after_lookups"))
            #expect(paths.contains("$.providers[1].paynet"))
        }
    }

    @Test("a payout routed to the test dialect is paid once through its adapter; its callbacks are checked by it")
    func endToEnd() async throws {
        let book = LedgerBook()
        var configuration = try await TestGateway.configuration(routesPath: try TestGateway.writeRoutes(Self.routes(tokenFile: try Self.tokenFile())))
        configuration.dialects = DialectRegistry.standard.adding(LedgerDialect(book: book))
        try await TestGateway.withGateway(configuration) { app, client in
            // Not a demo (one provider is not a sandbox): a merchant of its own.
            try await app.store.insertMerchant(MerchantRecord(
                id: "coma_LedgerMerchant00001", name: "ledger", apiKeyHash: Digest.sha256Hex("ledger-key"), publicKey: "pk_test_ledger",
                callbackSecretSealed: "unused", createdMs: 0))
            let auth = TestGateway.basicAuth("coma_LedgerMerchant00001", "ledger-key")
            let created = try await client.post("/api/payout-invoices", TestGateway.sampleCreate(reference: "ledger-1", amount: "12.34", autoProcess: true),
                                                headers: auth)
            #expect(created.status == .created)
            let id = try #require(created.json["data"]?["id"]?.stringValue)
            let attributes = try await client.waitForStatus(id, ["processed"], headers: auth)
            #expect(attributes["gateway"]?["provider_id"] == "ledger1")
            let entry = try #require(book.entries.withLock { $0.values.first })
            #expect(entry.amountMinor == 1234)
            #expect(entry.paid == 1)
            #expect(book.entries.withLock { $0.count } == 1)
            // Its limit is honoured by the router like any other provider's.
            let large = try await client.post("/api/payout-invoices", TestGateway.sampleCreate(reference: "ledger-2", amount: "600"), headers: auth)
            #expect(large.status == .unprocessableContent)

            let reference = try #require(book.entries.withLock { $0.keys.first })
            let forged = try await client.execute(uri: "/callbacks/ledger1", method: .post, headers: [HTTPField.Name("X-Ledger-Token")!: "wrong"],
                                                  body: .init(string: reference))
            #expect(forged.status == .forbidden)
            let good = try await client.execute(uri: "/callbacks/ledger1", method: .post, headers: [HTTPField.Name("X-Ledger-Token")!: "tok-123"],
                                                body: .init(string: reference))
            #expect(good.status == .ok)
        }
    }
}
