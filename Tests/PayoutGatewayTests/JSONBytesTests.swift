import Foundation
import Testing
@testable import PayoutGateway
@testable import PayoutSandbox

@Suite("JSON trees read and written as bytes")
struct JSONBytesTests {
    @Test("the byte writer gives what Foundation's encoder gives, and parsing it gives the tree back")
    func roundTrip() throws {
        let tree: JSONValue = [
            "b": true, "a": .number(Decimal(string: "10.13")!), "nested": ["z": nil, "y": [1, "two", false]],
            "text": .string("quote \" backslash \\ slash / tab \t newline \n bell \u{07} é 𝄞"),
            "empty": .object([:]), "list": .array([]), "neg": .number(Decimal(string: "-0.5")!),
        ]
        let ours = tree.jsonString()
        let foundation = String(decoding: try JSONCoding.encoder().encode(tree), as: UTF8.self)
        #expect(ours == foundation)
        #expect(try JSONValue.parse(ours) == tree)
        #expect(try JSONDecoder().decode(JSONValue.self, from: Data(ours.utf8)) == tree)
    }

    @Test("numbers read and written without Foundation's parser agree with it on generated literals")
    func fastNumbers() throws {
        var generator = SeededRandom(seed: 1815)
        for round in 0..<20_000 {
            let integer = String(generator.next() % [10, 1_000, 1_000_000_000, UInt64.max][round % 4])
            let fraction = round % 3 == 0 ? "" : "." + String(generator.next() % 100_000_000_000).dropLast(Int(generator.next() % 8))
            let literal = (round % 5 == 0 ? "-" : "") + integer + (fraction == "." ? ".0" : fraction) + (round % 11 == 0 ? "e-3" : "")
            let parsed = try JSONValue.parse(literal)
            let expected = try #require(Decimal(string: literal, locale: Locale(identifier: "en_US_POSIX")))
            #expect(parsed == .number(expected), "\(literal)")
            #expect(parsed.jsonString() == expected.description, "\(literal)")
            #expect(parsed.decimalText == expected.description, "\(literal)")
        }
        for _ in 0..<20_000 {
            let value = Decimal(sign: generator.next() % 2 == 0 ? .plus : .minus, exponent: Int(generator.next() % 41) - 20,
                                significand: Decimal(generator.next() % [1_000, 999_999_999_999_999_999][Int(generator.next() % 2)]))
            #expect(DecimalText.text(value) == value.description, "\(value)")
        }
        #expect(try JSONValue.parse("-0").jsonString() == "0")
        #expect(try JSONValue.parse("-0.000") == .number(0))
    }

    @Test("numbers keep their exact decimal text")
    func exactNumbers() throws {
        #expect(try JSONValue.parse("10.13") == .number(Decimal(string: "10.13")!))
        #expect(try JSONValue.parse("0.1").jsonString() == "0.1")
        #expect(try JSONValue.parse("1e3") == .number(Decimal(1000)))
        #expect(try JSONValue.parse("123456789012345678901234567890") == .number(Decimal(string: "123456789012345678901234567890")!))
        #expect(try JSONValue.parse(" [ -0 , 2.50E-1 ] ") == .array([.number(0), .number(Decimal(string: "0.25")!)]))
    }

    @Test("escapes and surrogate pairs decode; the last of repeated keys wins")
    func escapes() throws {
        #expect(try JSONValue.parse(#""a\u00e9\ud834\udd1e\/\"\\\n""#) == .string("aé𝄞/\"\\\n"))
        #expect(try JSONValue.parse(#"{"k":1,"k":2}"#) == ["k": 2])
    }

    @Test("malformed texts are refused", arguments: [
        "", " ", "{", "[1,]", "{\"a\":1,}", "01", "1.", ".5", "-", "1e", "+1", "tru", "nul", "\"abc", "{\"a\" 1}",
        "{a:1}", "[1] x", "\"\u{01}\"", "\"\\x\"", "\"\\ud834\"", "\"\\udd1e\"", "\"\\u12G4\"", "NaN", "1e999999",
    ])
    func refused(text: String) {
        #expect(throws: JSONValue.ParseError.self) { try JSONValue.parse(text) }
    }

    @Test("invalid UTF-8 and nesting deeper than the limit are refused")
    func limits() throws {
        #expect(throws: JSONValue.ParseError.self) { try JSONValue.parse([0x22, 0xFF, 0x22]) }
        let deep = String(repeating: "[", count: JSONValue.maxDepth + 1) + String(repeating: "]", count: JSONValue.maxDepth + 1)
        #expect(throws: JSONValue.ParseError.self) { try JSONValue.parse(deep) }
        let fine = String(repeating: "[", count: JSONValue.maxDepth) + String(repeating: "]", count: JSONValue.maxDepth)
        #expect(throws: Never.self) { try JSONValue.parse(fine) }
    }

    @Test("a stored routing decision reads back the same through the byte parser")
    func routeDecision() throws {
        let decisions = [
            RouteDecision(routeID: "card-usd", strategy: "ordered", candidates: ["a", "b"], skipped: ["c": "breaker open"], failover: false),
            RouteDecision(routeID: nil, strategy: nil, candidates: [], skipped: [:], failover: nil),
        ]
        for decision in decisions {
            let text = decision.jsonText
            #expect(text == JSONCoding.encodeString(decision))
            #expect(RouteDecision.parse(text) == decision)
            #expect(try JSONCoding.decode(RouteDecision.self, from: text) == decision)
        }
        #expect(RouteDecision.parse("{}") == nil)
        #expect(RouteDecision.parse("not json") == nil)
    }

    @Test("provider redirect URLs become absolute against the provider's base URL; other schemes are dropped")
    func redirectURLs() {
        let base = "http://127.0.0.1:9090/cardzo/paynet"
        #expect(RedirectURL.absolute("/cardzo/paynet/receiver-form/7000001", base: base) == "http://127.0.0.1:9090/cardzo/paynet/receiver-form/7000001")
        #expect(RedirectURL.absolute("receiver-form/7", base: base) == "http://127.0.0.1:9090/cardzo/paynet/receiver-form/7")
        #expect(RedirectURL.absolute("https://bank.example/3ds?x=1", base: base) == "https://bank.example/3ds?x=1")
        #expect(RedirectURL.absolute("javascript:alert(1)", base: base) == nil)
        #expect(RedirectURL.absolute("", base: base) == nil)
        #expect(RedirectURL.absolute("ftp://files.example/x", base: base) == nil)
    }
}

@Suite("Provider texts masked at the edge")
struct ProviderTextMaskingTests {
    @Test("card and account numbers in free text are masked; short numbers and words stay")
    func maskText() {
        #expect(Masking.maskText("card 5123817234060000 declined") == "card 512381******0000 declined")
        #expect(Masking.maskText("pan 5123 8172 3406 0000 refused") == "pan 512381******0000 refused")
        #expect(Masking.maskText("account 40817810099910004312 blocked") == "account ****************4312 blocked")
        #expect(Masking.maskText("error 422: amount 10.13 over limit 5000") == "error 422: amount 10.13 over limit 5000")
        #expect(Masking.maskText("5123817234060000") == "512381******0000")
        #expect(!Masking.maskText("x-5123817234060000-y").contains("5123817234060000"))
    }

    @Test("every text of a provider's answer is masked before the lifecycle sees it; the redirect becomes absolute")
    func outcomes() {
        let echo = "card 5123817234060000 is blocked"
        let snapshot = ProviderSnapshot(
            providerPayoutID: "1", rawStatus: "declined/" + echo, outcome: .failed, merchantStatus: .processFailed,
            resolution: echo, redirectURL: "/form/1")
        let base = "http://127.0.0.1:9/prov"
        let outcomes: [SubmitOutcome] = [
            .accepted(snapshot), .rejected(reason: echo), .ambiguous(reason: echo, retryAfterMillis: 5), .notSent(reason: echo),
        ]
        for outcome in outcomes {
            let kept = outcome.fromProvider(base: base)
            #expect(!"\(kept)".contains("5123817234060000"))
            #expect("\(kept)".contains("512381******0000"))
        }
        if case .accepted(let kept) = SubmitOutcome.accepted(snapshot).fromProvider(base: base) {
            #expect(kept.redirectURL == "http://127.0.0.1:9/form/1")  // an absolute path keeps the host only
        }
        for outcome in [LookupOutcome.found(snapshot), .failed(reason: echo)] {
            #expect(!"\(outcome.fromProvider(base: base))".contains("5123817234060000"))
        }
    }

}

@Suite("Invoice documents written straight to bytes")
struct InvoiceDocumentTests {
    /// A payout with every optional column set (texts that need escaping included), and one with none.
    static func documentPayouts() -> [PayoutRecord] {
        let bare = PayoutStoreTests.createdPayout("bare", merchant: "m", now: 1_700_000_000_123, amountMinor: 1_050)
        var full = bare
        (full.referenceId, full.currency, full.amountMinor, full.feeMinor) = ("ref \"quoted\" \\ é", "JPY", 1_234_567, 25)
        (full.description, full.metadata, full.customerId) = ("line\nbreak\t\u{01}", #"{"order":{"n":[1,"a",null]}}"#, "cust-1")
        (full.fieldsMasked, full.callbackUrl, full.providerId) = (#"{"card_number":"512381******0000"}"#, "https://m.test/cb?a=1&b=/", "sandbox-jsonapi")
        full.decision = RouteDecision(routeID: "r1", strategy: "priority", candidates: ["a", "b"], skipped: ["c": "limit"], failover: true).jsonText
        (full.redirectUrl, full.pendingReason, full.processedAt, full.processedAmountMinor) = ("https://p.test/form/1", "needs review", 1_700_000_100, 1_234_000)
        (full.status, full.resolution, full.processRequested, full.testMode) = ("process_failed", "declined", true, false)
        return [bare, full]
    }

    static func documentAttempts(_ payout: PayoutRecord) -> [AttemptRecord] {
        let attempt = AttemptRecord(
            id: "catt_1", payoutId: payout.id, providerId: "payelata", number: 1, reference: payout.id, state: "held",
            providerPayoutId: "pp-\"1\"", providerStatus: "process_pending", serialNumber: "s-1", outcome: "pending",
            resolution: "r", confirmSent: true, lookupMisses: 2, sends: 3, detail: "x", createdMs: 1, updatedMs: 2)
        var second = attempt
        (second.id, second.number, second.reference, second.providerPayoutId, second.providerStatus, second.resolution) =
            ("catt_2", 2, payout.id + "-2", nil, nil, nil)
        return [attempt, second]
    }

    static let documentWebhooks = [
        WebhookRecord(id: 7, payoutId: "p", merchantId: "m", url: "https://m.test/cb", body: "{}", payoutStatus: "processed",
                      state: "delivered", attempts: 2, nextAttemptAt: 0, lastCode: 200, lastError: nil, createdMs: 5_000, updatedMs: 9_999),
        WebhookRecord(id: 8, payoutId: "p", merchantId: "m", url: "https://m.test/cb", body: "{}", payoutStatus: "process_failed",
                      state: "pending", attempts: 1, nextAttemptAt: 0, lastCode: nil, lastError: "timed out", createdMs: 6_000, updatedMs: 6_000),
    ]

    @Test("invoice documents are written with sorted keys: parsing one and writing the tree again gives the same bytes")
    func invoiceDocumentsAreCanonical() throws {
        for payout in Self.documentPayouts() {
            let attempts = Self.documentAttempts(payout)
            let documents = [
                InvoiceDocument.single(payout, attempts: attempts, webhooks: Self.documentWebhooks),
                InvoiceDocument.single(payout, attempts: [], webhooks: []),
                InvoiceDocument.publicShape(payout, method: "payment_card"),
                InvoiceRoutes.listDocument([payout, payout], attempts: [payout.id: attempts], size: 20, before: "a", after: nil,
                                           prev: "", next: "/api/payout-invoices?page[size]=20&page[before]=a"),
                InvoiceRoutes.listDocument([], attempts: [:], size: 5, before: nil, after: nil, prev: "", next: ""),
            ]
            for document in documents {
                let text = String(decoding: document, as: UTF8.self)
                #expect(try JSONValue.parse(document).jsonString() == text)
            }
        }
    }

    @Test("the writer puts separators where due, whatever the keys' length")
    func writerSeparators() throws {
        var json = JSONWriter()
        json.object { json in
            json.key("a"); json.integer(-7)
            json.key("bb"); json.array { json in json.null(); json.bool(true); json.money(5, exponent: 2); json.object { _ in } }
            json.key("é"); json.string("x\"y")
        }
        #expect(String(decoding: json.bytes, as: UTF8.self) == #"{"a":-7,"bb":[null,true,0.05,{}],"é":"x\"y"}"#)
    }

    @Test("an invoice document carries every stored column: amounts by the currency's exponent, stored JSON as stored")
    func invoiceDocumentValues() throws {
        let payouts = Self.documentPayouts()
        let (bare, full) = (payouts[0], payouts[1])
        let document = try JSONValue.parse(InvoiceDocument.single(full, attempts: Self.documentAttempts(full), webhooks: Self.documentWebhooks))
        let resource = try #require(document["data"])
        #expect(resource["id"] == .string(full.id))
        #expect(resource["type"] == "payout-invoices")
        #expect(resource["links"]?["self"] == .string("/api/payout-invoices/\(full.id)"))
        #expect(resource["relationships"]?["customer"]?["data"] == ["type": "customers", "id": "cust-1"])
        #expect(resource["relationships"]?["payout-method"]?["data"] == ["type": "payout-methods", "id": .string(full.method)])
        #expect(resource["relationships"]?["payout-service"]?["data"] == ["type": "payout-services", "id": "card"])
        let attributes = try #require(resource["attributes"])
        // JPY has no minor unit: 1,234,567 minor units are 1234567 yen.
        for key in ["amount", "payout_amount", "service_amount", "service_payout_amount"] {
            #expect(attributes[key] == .number(1_234_567), "\(key)")
        }
        #expect(attributes["fee"] == .number(25))
        #expect(attributes["writeoff"] == .number(1_234_592))
        #expect(attributes["processed"] == .number(1_700_000_100))
        #expect(attributes["processed_amount"] == .number(1_234_000))
        #expect(attributes["processed_fee"] == .number(25))
        #expect(attributes["processed_writeoff"] == .number(1_234_025))
        #expect(attributes["reference_id"] == .string(full.referenceId))
        #expect(attributes["description"] == .string("line\nbreak\t\u{01}"))
        #expect(attributes["metadata"] == ["order": ["n": [1, "a", nil]]])
        #expect(attributes["fields"] == ["card_number": "512381******0000"])
        #expect(attributes["callback_url"] == "https://m.test/cb?a=1&b=/")
        #expect(attributes["serial_number"] == .string(String(full.id.dropFirst(5))))
        #expect(attributes["status"] == "process_failed")
        #expect(attributes["resolution"] == "declined")
        #expect(attributes["test_mode"] == false)
        #expect(attributes["created"] == .number(1_700_000_000))
        #expect(attributes["exchange_rate"] == 1)
        #expect(attributes["source"] == "merchant_api")
        #expect(attributes["callback_logs"]?.arrayValue?.count == 2)
        #expect(attributes["callback_logs"]?.arrayValue?[1] == [
            "id": 8, "url": "https://m.test/cb", "payout_status": "process_failed", "state": "pending", "attempts": 1,
            "response_code": nil, "error": "timed out", "created": 6, "updated": 6,
        ])
        let gateway = try #require(attributes["gateway"])
        #expect(gateway["provider_id"] == "sandbox-jsonapi")
        #expect(gateway["redirect_url"] == "https://p.test/form/1")
        #expect(gateway["pending_reason"] == "needs review")
        #expect(gateway["process_requested"] == true)
        #expect(gateway["updated_ms"] == .number(1_700_000_000_123))
        #expect(gateway["decision"] == ["route_id": "r1", "strategy": "priority", "candidates": ["a", "b"], "skipped": ["c": "limit"], "failover": true])
        #expect(gateway["attempts"]?.arrayValue?[0] == [
            "number": 1, "provider_id": "payelata", "reference": .string(full.id), "state": "held", "provider_payout_id": "pp-\"1\"",
            "provider_status": "process_pending", "resolution": "r", "sends": 3,
        ])
        #expect(gateway["attempts"]?.arrayValue?[1]["provider_payout_id"] == .null)

        // Nothing optional set: nulls, empty objects, no decision, no callback_logs when webhooks are not asked for.
        var listed = JSONWriter()
        InvoiceDocument.resource(bare, attempts: [], webhooks: nil, into: &listed)
        let plain = try JSONValue.parse(listed.bytes)
        #expect(plain["attributes"]?["amount"] == .number(Decimal(string: "10.5")!))
        #expect(plain["attributes"]?["processed"] == .null)
        #expect(plain["attributes"]?["processed_amount"] == .null)
        #expect(plain["attributes"]?["processed_fee"] == 0)
        #expect(plain["attributes"]?["processed_writeoff"] == .null)
        #expect(plain["attributes"]?["metadata"] == .object([:]))
        #expect(plain["attributes"]?["description"] == .null)
        #expect(plain["attributes"]?["callback_logs"] == nil as JSONValue?)
        #expect(plain["attributes"]?["gateway"]?["decision"] == nil as JSONValue?)
        #expect(plain["relationships"]?["customer"]?["data"] == .null)

        // A damaged stored column is left out, never spliced into the answer.
        var damaged = bare
        (damaged.fieldsMasked, damaged.metadata, damaged.decision) = (#"{"card_number":"5123"#, "", #"{"route_id""#)
        let repaired = try JSONValue.parse(InvoiceDocument.single(damaged, attempts: [], webhooks: []))
        #expect(repaired["data"]?["attributes"]?["fields"] == .object([:]))
        #expect(repaired["data"]?["attributes"]?["metadata"] == .object([:]))
        #expect(repaired["data"]?["attributes"]?["gateway"]?["decision"] == nil as JSONValue?)
    }
}
