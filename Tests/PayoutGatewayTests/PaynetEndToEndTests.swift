import Foundation
import HTTPTypes
import PayoutGateway
import PayoutSandbox
import Testing

@Suite("PaynetEasy v4 end to end through the sandbox")
struct PaynetEndToEndTests {
    /// Three v4 providers like the shipped file, with fast polls.
    static func routes(json: Bool = false, repeatedReference: String = "unknown") -> String {
        """
        {"services":[
          {"code":"card","method":"payment_card","currencies":["USD","EUR"],"fields":[
            {"key":"card_number","required":true,"regexp":"^\\\\d{12,19}$"},{"key":"card_printed_name"},{"key":"expire_month"},{"key":"expire_year"}]}],
         "providers":[
          {"id":"payneteasy","dialect":"paynet-v4","base_url":"sandbox","poll_interval_seconds":0.1,"timeout_seconds":1,
           "repeated_reference":"\(repeatedReference)",
           "paynet":{"flow":"direct","endpoints":{"USD":{"endpoint_id":"1001"}},"json":\(json)},
           "services":{"card":{"currencies":["USD"],"field_map":{"card_number":"credit_card_number"}}}},
          {"id":"cardzo","dialect":"paynet-v4","base_url":"sandbox","poll_interval_seconds":0.1,"timeout_seconds":1,
           "paynet":{"flow":"bank_confirmation","endpoints":{"EUR":{"group_id":"2100"}}},
           "services":{"card":{"currencies":["EUR"],"field_map":{"card_number":"credit_card_number"}}}},
          {"id":"billblend","dialect":"paynet-v4","base_url":"sandbox","poll_interval_seconds":0.1,"timeout_seconds":1,
           "paynet":{"flow":"bank_confirmation","endpoints":{"USD":{"endpoint_id":"3001"}},"status_api":"v4","sandbox_path_prefix":"checkout"},
           "services":{"card":{"currencies":["USD"],"field_map":{"card_number":"credit_card_number"}}}}],
         "routes":[
          {"id":"eur","match":{"service":"card","currencies":["EUR"]},"providers":["cardzo"]},
          {"id":"usd-big","match":{"service":"card","currencies":["USD"],"amount_min":"1000"},"providers":["billblend"]},
          {"id":"usd","match":{"service":"card","currencies":["USD"]},"providers":["payneteasy"]}]}
        """
    }

    static func configuration(json: Bool = false, repeatedReference: String = "unknown") async throws -> GatewayConfiguration {
        var configuration = try await TestGateway.configuration(routesPath: try TestGateway.writeRoutes(routes(json: json, repeatedReference: repeatedReference)))
        configuration.sandboxFaultDelayMillis = 2_000
        return configuration
    }

    static func create(_ client: GatewayClient, reference: String, amount: String, currency: String, autoProcess: Bool = true,
                       name: String = "JOHN DOE") async throws -> String {
        let body = """
            {"data":{"type":"payout-invoice","attributes":{"service":"card","currency":"\(currency)","amount":\(amount),
            "reference_id":"\(reference)","fields":{"card_number":"4444333322221111","card_printed_name":\(JSONCoding.encodeString(name))},
            "options":{"auto_process":\(autoProcess)}}}}
            """
        let response = try await client.post("/api/payout-invoices", body)
        #expect(response.status == .created)
        return try #require(response.json["data"]?["id"]?.stringValue)
    }

    @Test("a destination field the service does not define is refused (422) and never reaches a v4 form")
    func unknownFieldsRefused() async throws {
        try await TestGateway.withGateway(try await Self.configuration()) { app, client in
            let body = """
                {"data":{"type":"payout-invoice","attributes":{"service":"card","currency":"USD","amount":10,"reference_id":"v4-extra",
                "fields":{"card_number":"4444333322221111","notify_url":"http://attacker.example/n","redirect_url":"http://attacker.example/r"}}}}
                """
            let answer = try await client.post("/api/payout-invoices", body)
            #expect(answer.status == .unprocessableContent)
            #expect(answer.json["errors"]?["fields.notify_url"] != nil)
            #expect(answer.json["errors"]?["fields.redirect_url"] != nil)
            #expect(try #require(app.sandbox?.paynet("payneteasy")).ledger().isEmpty)
        }
    }

    @Test("Payneteasy direct payout reaches processed, paid once, in form and in JSON answers", arguments: [false, true])
    func directPayout(json: Bool) async throws {
        try await TestGateway.withGateway(try await Self.configuration(json: json)) { app, client in
            let id = try await Self.create(client, reference: "v4-direct", amount: "10.50", currency: "USD", name: "Jöhn & Co = 1+1 <x>")
            let attributes = try await client.waitForStatus(id, ["processed"])
            #expect(attributes["status"] == "processed")
            #expect(attributes["processed_amount"] == .number(Decimal(string: "10.5")!))
            #expect(attributes["gateway"]?["provider_id"] == "payneteasy")
            let attempt = attributes["gateway"]?["attempts"]?.arrayValue?.first
            #expect(attempt?["provider_payout_id"]?.stringValue?.allSatisfy(\.isNumber) == true)
            let lines = try #require(app.sandbox?.paynet("payneteasy")).ledger().filter { $0.reference == id }
            #expect(lines.count == 1)
            #expect(lines.first?.payouts == 1)
            #expect(lines.first?.amountMinor == 1050)
        }
    }

    @Test("Cardzo bank confirmation runs payout-check, waits for validation, then payout-pay (group endpoint)")
    func bankConfirmationAuto() async throws {
        try await TestGateway.withGateway(try await Self.configuration()) { app, client in
            let id = try await Self.create(client, reference: "v4-cardzo", amount: "20", currency: "EUR")
            let attributes = try await client.waitForStatus(id, ["processed"])
            #expect(attributes["status"] == "processed")
            #expect(attributes["gateway"]?["provider_id"] == "cardzo")
            #expect(try #require(app.sandbox?.paynet("cardzo")).ledger().first { $0.reference == id }?.payouts == 1)
        }
    }

    @Test("Billblend (checkout prefix, v4 status) with auto_process false waits in created after validation until /process")
    func bankConfirmationManual() async throws {
        try await TestGateway.withGateway(try await Self.configuration()) { app, client in
            let id = try await Self.create(client, reference: "v4-billblend", amount: "1500", currency: "USD", autoProcess: false)
            let waiting = try await client.waitFor(id) {
                $0["gateway"]?["attempts"]?.arrayValue?.first?["provider_status"]?.stringValue?.lowercased().contains("payout_check_validated") == true
            }
            // Validated by the bank, and still waiting for the merchant's /process.
            try await Task.sleep(for: .milliseconds(300))
            #expect(try await client.get("/api/payout-invoices/\(id)").json["data"]?["attributes"]?["status"] == "created")
            #expect(waiting["status"] == "created")
            #expect(waiting["gateway"]?["attempts"]?.arrayValue?.first?["provider_status"]?.stringValue?.lowercased().contains("payout_check_validated") == true)
            #expect(try #require(app.sandbox?.paynet("billblend")).ledger().first { $0.reference == id }?.payouts == 0)
            #expect(try await client.post("/api/payout-invoices/\(id)/process", "{}").status == .ok)
            let done = try await client.waitForStatus(id, ["processed"])
            #expect(done["status"] == "processed")
            #expect(try #require(app.sandbox?.paynet("billblend")).ledger().first { $0.reference == id }?.payouts == 1)
        }
    }

    @Test("declined, filtered and error end in process_failed with the provider's reason", arguments: ["10.13", "10.15", "10.17"])
    func failures(amount: String) async throws {
        try await TestGateway.withGateway(try await Self.configuration()) { _, client in
            let id = try await Self.create(client, reference: "v4-fail-\(amount)", amount: amount, currency: "USD")
            let attributes = try await client.waitForStatus(id, ["process_failed"])
            #expect(attributes["status"] == "process_failed")
            #expect(attributes["resolution"]?.stringValue?.isEmpty == false)
            #expect(attributes["resolution"] != "ok")
        }
    }

    @Test("a bank check that never validates never gets payout-pay")
    func declinedDuringCheck() async throws {
        try await TestGateway.withGateway(try await Self.configuration()) { app, client in
            // The check never validates (.21): the payout stays in processing, payout-pay is never sent.
            let id = try await Self.create(client, reference: "v4-never", amount: "10.21", currency: "EUR")
            let attributes = try await client.waitFor(id) {
                $0["gateway"]?["attempts"]?.arrayValue?.first?["provider_status"]?.stringValue?.contains("validating") == true
            }
            #expect(attributes["status"] == "processing")
            #expect(attributes["gateway"]?["attempts"]?.arrayValue?.first?["provider_status"]?.stringValue?.contains("validating") == true)
            try await Task.sleep(for: .milliseconds(500))
            #expect(try #require(app.sandbox?.paynet("cardzo")).ledger().first { $0.reference == id }?.payouts == 0)
        }
    }

    @Test("a declined bank check ends the payout as process_failed without payout-pay")
    func declinedCheck() async throws {
        try await TestGateway.withGateway(try await Self.configuration()) { app, client in
            let id = try await Self.create(client, reference: "v4-check-declined", amount: "20.13", currency: "EUR")
            let attributes = try await client.waitForStatus(id, ["process_failed"])
            #expect(attributes["status"] == "process_failed")
            #expect(attributes["resolution"]?.stringValue?.contains("declined") == true)
            let events = try await app.store.events(payoutId: id)
            #expect(!events.contains { $0.kind == "provider_confirm" })
        }
    }

    @Test("redirect-to is exposed for the receiver; after the form the payout is processed")
    func redirectTo() async throws {
        try await TestGateway.withGateway(try await Self.configuration()) { app, client in
            let id = try await Self.create(client, reference: "v4-redirect", amount: "10.19", currency: "USD")
            let deadline = Date().addingTimeInterval(10)
            var redirect: String?
            while Date() < deadline, redirect == nil {
                redirect = try await client.get("/api/payout-invoices/\(id)").json["data"]?["attributes"]?["gateway"]?["redirect_url"]?.stringValue
                try await Task.sleep(for: .milliseconds(50))
            }
            // Absolute, resolved against the provider's base URL: a receiver can open it as it is.
            let url = try #require(redirect)
            let sandboxBase = "http://127.0.0.1:\(try #require(app.sandboxPort))"
            #expect(url.hasPrefix(sandboxBase + "/"))
            #expect(url.contains("receiver-form"))
            let form = try await GatewayClient(base: sandboxBase).execute(
                uri: String(url.dropFirst(sandboxBase.count)), method: .post, headers: [.contentType: "application/x-www-form-urlencoded"])
            #expect(form.status == .ok)
            #expect(try await client.waitForStatus(id, ["processed"])["status"] == "processed")
        }
    }

    @Test("unknown stays process_pending, never final")
    func unknownStatus() async throws {
        try await TestGateway.withGateway(try await Self.configuration()) { _, client in
            let id = try await Self.create(client, reference: "v4-unknown", amount: "10.18", currency: "USD")
            let attributes = try await client.waitForStatus(id, ["process_pending"])
            #expect(attributes["status"] == "process_pending")
            try await Task.sleep(for: .milliseconds(500))
            #expect(try await client.get("/api/payout-invoices/\(id)").json["data"]?["attributes"]?["status"] == "process_pending")
        }
    }

    @Test("a 5xx before storing, at a provider not known to refuse a repeated client_orderid, parks the payout unpaid instead of resending")
    func unclearCreateParksWithoutResend() async throws {
        try await TestGateway.withGateway(try await Self.configuration()) { app, client in
            let sandbox = try #require(app.sandbox?.paynet("payneteasy"))
            sandbox.inject([.errorBeforeStore])
            let id = try await Self.create(client, reference: "v4-park", amount: "12", currency: "USD")
            let attributes = try await client.waitForStatus(id, ["process_pending"], seconds: 20)
            #expect(attributes["status"] == "process_pending")
            try await Task.sleep(for: .milliseconds(1_500))
            let gateway = try await client.get("/api/payout-invoices/\(id)").json["data"]?["attributes"]?["gateway"]
            #expect(gateway?["pending_reason"]?.stringValue?.contains("repeated_reference") == true)
            #expect(gateway?["attempts"]?.arrayValue?.first?["sends"] == 1, "an unclear create is never sent again")
            #expect(sandbox.ledger().filter { $0.reference == id }.isEmpty)
        }
    }

    @Test("faults on payout never pay twice", arguments: [SandboxFault.errorAfterStore, .errorBeforeStore, .timeoutAfterStore, .lateVisibility, .resetAfterStore])
    func faults(fault: SandboxFault) async throws {
        try await TestGateway.withGateway(try await Self.configuration(repeatedReference: "rejected")) { app, client in
            let sandbox = try #require(app.sandbox?.paynet("payneteasy"))
            sandbox.inject([fault])
            let id = try await Self.create(client, reference: "v4-fault-\(fault.rawValue)", amount: "12", currency: "USD")
            let attributes = try await client.waitForStatus(id, ["processed"], seconds: 20)
            #expect(attributes["status"] == "processed", "fault \(fault.rawValue)")
            let lines = sandbox.ledger().filter { $0.reference == id }
            #expect(lines.count == 1)
            #expect(lines.reduce(0) { $0 + $1.payouts } == 1)
        }
    }

    @Test("forged callbacks change nothing (403); unknown orders are 404")
    func forgedCallbacks() async throws {
        try await TestGateway.withGateway(try await Self.configuration()) { _, client in
            let forged = try await client.get("/callbacks/payneteasy?status=approved&orderid=1&client_orderid=cpoi_x&control=0000", headers: [:])
            #expect(forged.status == .forbidden)
            let unknownProvider = try await client.get("/callbacks/nobody?status=approved", headers: [:])
            #expect(unknownProvider.status == .notFound)
        }
    }
}
