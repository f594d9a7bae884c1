import AsyncHTTPClient
import Foundation
import HTTPTypes
import NIOCore
@testable import PayoutGateway
@testable import PayoutSandbox
import Testing

@Suite("JSON:API provider adapter and sandbox")
struct JSONAPIProviderTests {
    static let twoProviders = """
        {"services":[{"code":"test_usd","method":"test","currencies":["USD"],"fields":[{"key":"account","required":true,"regexp":"^\\\\d{1,15}$"},
           {"key":"test_details_payout_status"}]}],
         "providers":[
           {"id":"alpha","dialect":"jsonapi","base_url":"sandbox","poll_interval_seconds":0.1,"services":{"test_usd":{"field_map":{"account":"acct"}}}},
           {"id":"beta","dialect":"jsonapi","base_url":"sandbox","poll_interval_seconds":0.1,"auto_process":true,"services":{"test_usd":{}}}],
         "routes":[{"id":"test","match":{"service":"test_usd"},"providers":["alpha","beta"]}]}
        """

    static func create(_ client: GatewayClient, reference: String, account: String = "12345", status: String? = nil, amount: String = "10") async throws -> String {
        let extra = status.map { #","test_details_payout_status":"\#($0)""# } ?? ""
        let body = """
            {"data":{"type":"payout-invoice","attributes":{"service":"test_usd","currency":"USD","amount":\(amount),"reference_id":"\(reference)",
            "fields":{"account":"\(account)"\(extra)}}}}
            """
        let response = try await client.post("/api/payout-invoices", body)
        #expect(response.status == .created)
        return try #require(response.json["data"]?["id"]?.stringValue)
    }

    @Test("stored, hidden from lookups past the grace window, 'duplicate' on resend: parked, never paid by the next provider; paid once when it shows")
    func hiddenPayoutIsNeverFailedOver() async throws {
        let routes = Self.twoProviders.replacingOccurrences(of: #"{"test_usd":{"field_map":{"account":"acct"}}}"#, with: #"{"test_usd":{}}"#)
        var configuration = try await TestGateway.configuration(routesPath: try TestGateway.writeRoutes(routes))
        // Hidden long enough that lookups, the resend and its "duplicate" all happen meanwhile, even on a loaded machine.
        configuration.sandboxLateVisibilityMillis = 8_000
        try await TestGateway.withGateway(configuration) { app, client in
            let alpha = try #require(app.sandbox?.jsonapi("alpha"))
            alpha.inject([.hiddenAfterStore])
            let body = """
                {"data":{"type":"payout-invoice","attributes":{"service":"test_usd","currency":"USD","amount":10,"reference_id":"hidden-1",
                "fields":{"account":"12345"},"options":{"auto_process":true}}}}
                """
            let id = try #require(try await client.post("/api/payout-invoices", body).json["data"]?["id"]?.stringValue)
            let parked = try await client.waitFor(id, seconds: 20) { $0["gateway"]?["pending_reason"]?.stringValue?.contains("duplicate") == true }
            #expect(parked["status"] == "process_pending")
            #expect(parked["gateway"]?["pending_reason"]?.stringValue?.contains("duplicate") == true)
            let processed = try await client.waitForStatus(id, ["processed"], seconds: 40)
            #expect(processed["gateway"]?["provider_id"] == "alpha")
            #expect(app.sandbox?.jsonapi("beta")?.ledger().contains { $0.reference == id } == false, "the next provider paid a payout the first one held")
            #expect(alpha.ledger().filter { $0.reference == id }.reduce(0) { $0 + $1.payouts } == 1)
        }
    }

    @Test("a 422 (not created) at the first provider lets the next candidate pay; auto_process providers pay on create")
    func failoverOnRejection() async throws {
        let configuration = try await TestGateway.configuration(routesPath: try TestGateway.writeRoutes(Self.twoProviders))
        try await TestGateway.withGateway(configuration) { app, client in
            let id = try await Self.create(client, reference: "failover-1")
            let attributes = try await client.waitForStatus(id, ["processed"])
            #expect(attributes["status"] == "processed")
            #expect(attributes["gateway"]?["provider_id"] == "beta")
            let attempts = attributes["gateway"]?["attempts"]?.arrayValue ?? []
            #expect(attempts.count == 2)
            #expect(attempts.first?["state"] == "not_created")
            #expect(attempts.first?["resolution"]?.stringValue?.contains("422") == true)
            #expect(app.sandbox?.jsonapi("alpha")?.ledger().isEmpty == true)
            #expect(app.sandbox?.jsonapi("beta")?.ledger().first { $0.reference == id }?.payouts == 1)
        }
    }

    @Test("a route with failover false ends the payout at the first definite refusal")
    func noFailover() async throws {
        let routes = Self.twoProviders.replacingOccurrences(of: #""providers":["alpha","beta"]}"#, with: #""providers":["alpha","beta"],"failover":false}"#)
        let configuration = try await TestGateway.configuration(routesPath: try TestGateway.writeRoutes(routes))
        try await TestGateway.withGateway(configuration) { app, client in
            let id = try await Self.create(client, reference: "no-failover-1")
            let attributes = try await client.waitForStatus(id, ["process_failed"])
            #expect(attributes["status"] == "process_failed")
            #expect(attributes["resolution"]?.stringValue?.contains("422") == true)
            #expect(app.sandbox?.jsonapi("beta")?.ledger().isEmpty == true)
        }
    }

    @Test("each final status reaches the merchant", arguments: [
        ("process_failed", "process_failed"), ("expired", "expired"), ("terminated", "terminated"), ("processed", "processed"), ("canceled", "canceled"),
    ])
    func finalStatuses(forced: String, expected: String) async throws {
        let configuration = try await TestGateway.configuration(routesPath: try TestGateway.writeRoutes(Self.twoProviders))
        try await TestGateway.withGateway(configuration) { _, client in
            let id = try await Self.create(client, reference: "final-\(forced)", status: forced)
            let attributes = try await client.waitForStatus(id, [expected])
            #expect(attributes["status"]?.stringValue == expected)
        }
    }

    @Test("duplicated, out-of-order and merged callbacks are harmless", arguments: [SandboxCallbackMode.duplicate, .outOfOrder, .merged])
    func callbackModes(mode: SandboxCallbackMode) async throws {
        let configuration = try await TestGateway.configuration(routesPath: try TestGateway.writeRoutes(Self.twoProviders))
        try await TestGateway.withGateway(configuration) { app, client in
            let beta = try #require(app.sandbox?.jsonapi("beta"))
            beta.setCallbackMode(mode)
            let paid = try await Self.create(client, reference: "cb-\(mode.rawValue)")
            let reversed = try await Self.create(client, reference: "cb-rev-\(mode.rawValue)", status: "canceled")
            #expect(try await client.waitForStatus(paid, ["processed"])["status"] == "processed")
            #expect(try await client.waitForStatus(reversed, ["canceled"])["status"] == "canceled")
            #expect(beta.ledger().first { $0.reference == paid }?.payouts == 1)
        }
    }

    @Test("provider callbacks: a good signature is accepted, a forged one refused (403), an unknown invoice 404")
    func callbackSignatures() async throws {
        let configuration = try await TestGateway.configuration(routesPath: try TestGateway.writeRoutes(Self.twoProviders))
        try await TestGateway.withGateway(configuration) { app, client in
            let beta = try #require(app.sandbox?.jsonapi("beta"))
            let id = try await Self.create(client, reference: "sig-1")
            _ = try await client.waitForStatus(id, ["processed"])
            let invoice = try #require(beta.ledger().first { $0.reference == id })
            let body = #"{"data":{"type":"payout-invoices","id":"\#(invoice.invoiceID)","attributes":{"status":"processed","reference_id":"\#(id)","test_mode":true}}}"#
            let good = Digest.callbackSignature(secret: beta.account.callbackSecret, body: Data(body.utf8))
            func post(_ text: String, _ signature: String) async throws -> Answer {
                try await client.post("/callbacks/beta", text, headers: [.contentType: "application/json", .init("X-Signature")!: signature])
            }
            #expect(try await post(body, good).status == .ok)
            #expect(try await post(body, "AAAA" + good.dropFirst(4)).status == .forbidden)
            #expect(try await post(body + " ", good).status == .forbidden)
            let unknown = #"{"data":{"type":"payout-invoices","id":"cpoi_unknown000000000","attributes":{"status":"processed","reference_id":"nope","test_mode":true}}}"#
            #expect(try await post(unknown, Digest.callbackSignature(secret: beta.account.callbackSecret, body: Data(unknown.utf8))).status == .notFound)
            // A forged callback changed nothing.
            #expect(try await client.get("/api/payout-invoices/\(id)").json["data"]?["attributes"]?["status"] == "processed")
        }
    }

    @Test("the services list is read across every page; prerequest regexps are normalised")
    func servicesPaging() async throws {
        let sandbox = JSONAPISandbox(prefix: "pp")
        let port = try await TestGateway.freePort()
        let server = SandboxServer(jsonapi: [sandbox])
        try await TestSandbox.run(server, port: port) {
            let config = try RoutesCompiler().compile(data: Data(Self.twoProviders.utf8)).providers["beta"]!.with(credentials: [
                "account_id": Secret(sandbox.account.accountID), "api_key": Secret(sandbox.account.apiKey), "public_key": Secret(sandbox.account.publicKey),
            ])
            let adapter = JSONAPIAdapter(config: config, baseURL: "http://127.0.0.1:\(port)/pp", http: ProviderHTTP(client: HTTPClient.shared), logger: TestGateway.logger)
            let services = try await adapter.fetchServices(pageSize: 2)
            // Five currencies of card, test_usd, and the per-currency card_usd and card_chf.
            #expect(services.count == 8)
            #expect(Set(services.map(\.id)).count == 8)
            #expect(services.contains { $0.service == "card" && $0.currency == "JPY" && $0.amountMin == "0.01" })
            let fields = try await adapter.fetchFields(currency: Currency(code: "USD")!, amountMinor: 1000)
            let card = try #require(fields.first { $0.service == "card" })
            #expect(card.fields.first?.regexp == "^\\d{12,19}$")
            #expect(FieldPattern.matches(card.fields.first?.regexp ?? "", "5123817234060000"))
        }
    }

    @Test("provider answers are classified by the dialect's directive table", arguments: [
        (201, SubmitKind.accepted), (409, .duplicate), (401, .rejected), (403, .rejected), (405, .rejected), (422, .rejected),
        (400, .ambiguous), (429, .ambiguous), (500, .ambiguous), (502, .ambiguous), (503, .ambiguous), (504, .ambiguous),
    ])
    func directiveTable(status: Int, expected: SubmitKind) throws {
        let config = try RoutesCompiler().compile(data: Data(Self.twoProviders.utf8)).providers["beta"]!
        let adapter = JSONAPIAdapter(config: config, baseURL: "http://127.0.0.1:9", http: ProviderHTTP(client: HTTPClient.shared), logger: TestGateway.logger)
        let body = status == 201
            ? #"{"data":{"type":"payout-invoices","id":"cpoi_x","attributes":{"status":"created","currency":"USD","amount":10}}}"#
            : #"{"errors":{"amount":"This value should be greater than 0."}}"#
        let outcome = adapter.classifySubmit(.response(status: status, headers: [("Retry-After", "2")], body: Data(body.utf8)), exponent: 2)
        #expect(SubmitKind(outcome) == expected)
        if status == 429, case .ambiguous(_, let retryAfter) = outcome { #expect(retryAfter == 2_000) }
        #expect(SubmitKind(adapter.classifySubmit(.lost("reset"), exponent: 2)) == .ambiguous)
        #expect(SubmitKind(adapter.classifySubmit(.notConnected("refused"), exponent: 2)) == .notSent)
    }

    @Test("error bodies are summarised from both shapes without secrets")
    func errorSummaries() {
        #expect(JSONAPIAdapter.errorSummary(status: 422, body: Data(#"{"errors":{"amount":"bad"}}"#.utf8)) == "answered 422: amount: bad")
        #expect(JSONAPIAdapter.errorSummary(status: 401, body: Data(#"{"errors":[{"status":"Unauthorized","code":"401"}]}"#.utf8)) == "answered 401: Unauthorized")
    }

    @Test("every status of both families maps; unknown ones are never final")
    func statusFamilies() {
        #expect(JSONAPIStatus.outcome("processed").0 == .succeeded)
        #expect(JSONAPIStatus.outcome("partially_processed").0 == .succeeded)
        #expect(JSONAPIStatus.outcome("process_failed").0 == .failed)
        #expect(JSONAPIStatus.outcome("expired").0 == .failed)
        #expect(JSONAPIStatus.outcome("canceled", wasProcessed: true).0 == .reversed)
        #expect(JSONAPIStatus.outcome("refunded", wasProcessed: true).0 == .reversed)
        #expect(JSONAPIStatus.outcome("canceling").0 == .succeeded)
        #expect(JSONAPIStatus.outcome("process_pending").0 == .pending)
        #expect(JSONAPIStatus.outcome("something_new").0 == .pending)
        #expect(!JSONAPIStatus.isFinal(JSONAPIStatus.outcome("something_new").0))
    }

    @Test("ids and references in paths are percent-encoded outside RFC 3986's unreserved ASCII")
    func pathEscaping() {
        #expect(JSONAPIAdapter.pathEscape("cpoi_AZaz09-._~") == "cpoi_AZaz09-._~")
        #expect(JSONAPIAdapter.pathEscape("a/b?c#d e") == "a%2Fb%3Fc%23d%20e")
        #expect(JSONAPIAdapter.pathEscape("é") == "%C3%A9")
        #expect(JSONAPIAdapter.pathEscape("") == "")
    }
}

/// The kind of a ``SubmitOutcome``, for table tests.
enum SubmitKind: Sendable {
    case accepted, rejected, duplicate, ambiguous, notSent

    init(_ outcome: SubmitOutcome) {
        switch outcome {
        case .accepted: self = .accepted
        case .rejected: self = .rejected
        case .duplicate: self = .duplicate
        case .ambiguous: self = .ambiguous
        case .notSent: self = .notSent
        }
    }
}

