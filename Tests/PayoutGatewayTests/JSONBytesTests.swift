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
