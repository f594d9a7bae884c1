import Foundation
import HTTPTypes
import PayoutGateway
import PayoutSandbox
import Testing

/// Issue 12's example: one gateway `card` service; a JSON:API provider naming and limiting it per currency
/// (`card_usd`, `card_chf`); a v4 provider with a limit (and an endpoint of its own) in one currency only.
@Suite("Per-currency provider services: codes, limits, fields and endpoints per currency")
struct PerCurrencyRoutingTests {
    static let routes = """
        {"services":[
          {"code":"card","method":"payment_card","name":"Bank card","currencies":["USD","CHF","EUR"],
           "fields":[{"key":"card_number","required":true,"regexp":"^\\\\d{12,19}$"}]}],
         "providers":[
          {"id":"payelata","dialect":"jsonapi","base_url":"sandbox","poll_interval_seconds":0.1,
           "services":{"card":{"by_currency":{
             "USD":{"code":"card_usd","amount_max":"5000"},
             "CHF":{"code":"card_chf","amount_max":"3000"}}}}},
          {"id":"payneteasy","dialect":"paynet-v4","base_url":"sandbox","poll_interval_seconds":0.1,"timeout_seconds":1,
           "paynet":{"flow":"direct","endpoints":{"USD":{"endpoint_id":"1001"},"EUR":{"endpoint_id":"1002"}}},
           "services":{"card":{"currencies":["USD","EUR"],"field_map":{"card_number":"credit_card_number"},
             "by_currency":{"EUR":{"amount_max":"1000","endpoint":{"endpoint_id":"1003"}}}}}}],
         "routes":[{"id":"card","match":{"service":"card"},"providers":["payelata","payneteasy"]}]}
        """

    static func create(_ client: GatewayClient, reference: String, amount: String, currency: String, fields: String) async throws -> Answer {
        try await client.post("/api/payout-invoices", """
            {"data":{"type":"payout-invoice","attributes":{"service":"card","currency":"\(currency)","amount":\(amount),
            "reference_id":"\(reference)","fields":{\(fields)},"options":{"auto_process":true}}}}
            """)
    }

    @Test("each currency goes to the provider's own code, limit and endpoint; provider fields reach the catalogue and the create")
    func perCurrencyEndToEnd() async throws {
        let configuration = try await TestGateway.configuration(routesPath: try TestGateway.writeRoutes(Self.routes))
        try await TestGateway.withGateway(configuration) { app, client in
            let payelata = try #require(app.sandbox?.jsonapi("payelata"))
            let payneteasy = try #require(app.sandbox?.paynet("payneteasy"))
            let card = "\"card_number\":\"4444333322221111\""

            // The provider's CHF field (card_holder, required) appears in the prerequest once its services list is read.
            let key = GatewayConfiguration.DemoMerchant().publicKey
            var chfFields: [JSONValue] = []
            for _ in 0..<100 {
                let answer = try await client.post("/public-api/payout-prerequest", #"{"currency":"CHF","public_key":"\#(key)"}"#)
                chfFields = answer.json["data"]?["services"]?["card"]?["fields"]?.arrayValue ?? []
                if chfFields.contains(where: { $0["key"] == "card_holder" }) { break }
                try await Task.sleep(for: .milliseconds(100))
            }
            let holder = try #require(chfFields.first { $0["key"] == "card_holder" })
            #expect(holder["required"] == .bool(true))
            #expect(holder["label"]?["en"] == "Card holder")
            // A field both name keeps the gateway's definition.
            #expect(chfFields.first { $0["key"] == "card_number" }?["regexp"] == "^\\d{12,19}$")
            #expect(chfFields.first?["key"] == "card_number")
            // USD has no extra provider field.
            let usd = try await client.post("/public-api/payout-prerequest", #"{"currency":"USD","public_key":"\#(key)"}"#)
            #expect(usd.json["data"]?["services"]?["card"]?["fields"]?.arrayValue?.map { $0["key"]?.stringValue ?? "" } == ["card_number"])

            // USD within the JSON:API provider's USD limit: its card_usd service.
            let small = try await Self.create(client, reference: "usd-small", amount: "100", currency: "USD", fields: card)
            #expect(small.status == .created)
            let smallID = try #require(small.json["data"]?["id"]?.stringValue)
            #expect(try await client.waitForStatus(smallID, ["processed"])["gateway"]?["provider_id"] == "payelata")
            #expect(payelata.ledger().first { $0.reference == smallID }?.service == "card_usd")

            // USD above it: the v4 provider, on its USD endpoint.
            let large = try await Self.create(client, reference: "usd-large", amount: "6000", currency: "USD", fields: card)
            let largeID = try #require(large.json["data"]?["id"]?.stringValue)
            #expect(try await client.waitForStatus(largeID, ["processed"])["gateway"]?["provider_id"] == "payneteasy")
            #expect(payneteasy.ledger().first { $0.reference == largeID }?.endpoint == "1001")

            // CHF: card_chf, and the provider's required field is asked of the merchant by the gateway (422, nothing sent).
            let missing = try await Self.create(client, reference: "chf-no-holder", amount: "100", currency: "CHF", fields: card)
            #expect(missing.status == .unprocessableContent)
            #expect(missing.json["errors"]?["fields.card_holder"] != nil)
            let chf = try await Self.create(client, reference: "chf", amount: "100", currency: "CHF", fields: card + #","card_holder":"JANE DOE""#)
            #expect(chf.status == .created)
            let chfID = try #require(chf.json["data"]?["id"]?.stringValue)
            #expect(try await client.waitForStatus(chfID, ["processed"])["gateway"]?["provider_id"] == "payelata")
            #expect(payelata.ledger().first { $0.reference == chfID }?.service == "card_chf")
            // Above card_chf's own limit, and nobody else pays CHF.
            let chfLarge = try await Self.create(client, reference: "chf-large", amount: "4000", currency: "CHF",
                                                 fields: card + #","card_holder":"JANE DOE""#)
            #expect(chfLarge.status == .unprocessableContent)

            // EUR: only the v4 provider, limited to 1,000 there and sent to its EUR endpoint of its own (status too).
            let eur = try await Self.create(client, reference: "eur", amount: "500", currency: "EUR", fields: card)
            let eurID = try #require(eur.json["data"]?["id"]?.stringValue)
            #expect(try await client.waitForStatus(eurID, ["processed"])["gateway"]?["provider_id"] == "payneteasy")
            #expect(payneteasy.ledger().first { $0.reference == eurID }?.endpoint == "1003")
            let eurLarge = try await Self.create(client, reference: "eur-large", amount: "2000", currency: "EUR", fields: card)
            #expect(eurLarge.status == .unprocessableContent)

            // Every payout paid once.
            #expect((payelata.ledger() + payneteasy.ledger()).allSatisfy { $0.payouts <= 1 })
        }
    }

    @Test("the catalogue lists each currency with the provider's own limits")
    func catalogueLimits() async throws {
        let configuration = try await TestGateway.configuration(routesPath: try TestGateway.writeRoutes(Self.routes))
        try await TestGateway.withGateway(configuration) { _, client in
            let answer = try await client.get("/api/payout-services?page[size]=100")
            let entries = answer.json["data"]?.arrayValue ?? []
            func entry(_ currency: String) -> JSONValue? { entries.first { $0["attributes"]?["service_currency"]?.stringValue == currency } }
            // USD: payelata up to 5,000, payneteasy without a limit: no maximum.
            #expect(entry("USD")?["attributes"]?["amount_max"] == .null)
            #expect(entry("CHF")?["attributes"]?["amount_max"] == .number(3000))
            #expect(entry("EUR")?["attributes"]?["amount_max"] == .number(1000))
            // Each entry lists the fields a payout needs; CHF's include the provider's card_holder once its list is read.
            #expect(entry("USD")?["attributes"]?["fields"]?.arrayValue?.first?["key"] == "card_number")
            var chfKeys: [String] = []
            for _ in 0..<100 {
                let page = try await client.get("/api/payout-services?page[size]=100")
                let chf = page.json["data"]?.arrayValue?.first { $0["attributes"]?["service_currency"] == "CHF" }
                chfKeys = chf?["attributes"]?["fields"]?.arrayValue?.compactMap { $0["key"]?.stringValue } ?? []
                if chfKeys.contains("card_holder") { break }
                try await Task.sleep(for: .milliseconds(100))
            }
            #expect(chfKeys == ["card_number", "card_holder"])
        }
    }

    @Test("routes explain names the per-currency limit that excludes a provider")
    func explainPerCurrency() throws {
        let table = try RoutesCompiler().compile(data: Data(Self.routes.utf8))
        let router = PayoutRouter(table: table)
        let eur = try RouteExplanation.explain(router: router, service: "card", currency: "EUR", amount: "2000", merchantID: nil)
        #expect(eur.decision == nil)
        #expect(eur.skipped["payneteasy"] == "above its maximum")
        #expect(eur.skipped["payelata"] == "does not pay out EUR")
        let usd = try RouteExplanation.explain(router: router, service: "card", currency: "USD", amount: "6000", merchantID: nil)
        #expect(usd.decision?.candidates == ["payneteasy"])
        #expect(usd.skipped["payelata"] == "above its maximum")
    }

    @Test("by_currency is checked: currencies outside the service, endpoints on a dialect without them, finer-than-minor limits")
    func byCurrencyValidation() {
        let bad = """
            {"services":[{"code":"card","method":"payment_card","currencies":["USD","JPY"],"fields":[]}],
             "providers":[
              {"id":"a","dialect":"jsonapi","base_url":"sandbox","services":{"card":{"currencies":["USD"],"by_currency":{
                "JPY":{"code":"card_jpy"},"USD":{"amount_max":"10.005","endpoint":{"endpoint_id":"1"}}}}}},
              {"id":"b","dialect":"paynet-v4","base_url":"sandbox","paynet":{"flow":"direct","endpoints":{"USD":{"endpoint_id":"1"}}},
               "services":{"card":{"by_currency":{"JPY":{"amount_max":"99.5","endpoint":{"endpoint_id":"2","group_id":"3"}}}}}}],
             "routes":[{"id":"r","match":{"service":"card"},"providers":["a","b"]}]}
            """
        #expect(throws: RoutesValidationError.self) { try RoutesCompiler().compile(data: Data(bad.utf8)) }
        do {
            _ = try RoutesCompiler().compile(data: Data(bad.utf8))
        } catch {
            let paths = Set(error.issues.map(\.path))
            #expect(paths.contains("$.providers[0].services.card.by_currency.JPY"))
            #expect(paths.contains("$.providers[0].services.card.by_currency.USD.endpoint"))
            #expect(paths.contains("$.providers[0].services.card.by_currency.USD.amount_max"))
            #expect(paths.contains("$.providers[1].services.card.by_currency.JPY.endpoint"))
            #expect(paths.contains("$.providers[1].services.card.by_currency.JPY.amount_max"))
        }
    }

    @Test("merged fields: the gateway's definition wins, a provider can only make a field required or give a missing pattern")
    func fieldMerge() {
        let gateway = [
            FieldDefinition(key: "card_number", type: "string", required: true, regexp: "^\\d{12,19}$", label: ["en": "Card"], example: nil),
            FieldDefinition(key: "name", type: nil, required: false, regexp: nil, label: nil, example: nil),
        ]
        let provider = [
            FieldDefinition(key: "card_number", type: "string", required: false, regexp: "^.*$", label: ["en": "Carte"], example: "4111"),
            FieldDefinition(key: "name", type: "string", required: true, regexp: "^[A-Z ]+$", label: ["en": "Name"], example: nil),
            FieldDefinition(key: "birth_date", type: "date", required: true, regexp: nil, label: nil, example: nil),
        ]
        let merged = FieldMerge.merge(gateway: gateway, providers: [provider])
        #expect(merged.map(\.key) == ["card_number", "name", "birth_date"])
        #expect(merged[0].regexp == "^\\d{12,19}$")
        #expect(merged[0].required == true)
        #expect(merged[0].label == ["en": "Card"])
        #expect(merged[0].example == "4111")
        #expect(merged[1].required == true)
        #expect(merged[1].regexp == "^[A-Z ]+$")
        #expect(merged[2].required == true)
        #expect(FieldMerge.merge(gateway: gateway, providers: []).map(\.key) == ["card_number", "name"])
    }
}
