import Foundation
import PayoutGateway
import PayoutSandbox
import Testing

@Suite("Minor units")
struct MoneyTests {
    @Test("decimal text converts exactly by the currency's exponent", arguments: [
        ("10", 2, Int64(1000)), ("100.55", 2, 10055), ("0.01", 2, 1), ("10.500", 2, 1050), ("1e2", 2, 10000),
        ("1.5E1", 0, 15), ("500", 0, 500), ("1.234", 3, 1234), ("0.1", 3, 100), ("9999999.99", 2, 999999999),
    ])
    func parses(text: String, exponent: Int, expected: Int64) throws {
        #expect(try MinorUnits.parse(text, exponent: exponent) == expected)
    }

    @Test("too many decimals, zero, negative and junk are refused")
    func refuses() {
        #expect(throws: AmountError.tooManyDecimals(allowed: 0)) { try MinorUnits.parse("1.5", exponent: 0) }
        #expect(throws: AmountError.tooManyDecimals(allowed: 2)) { try MinorUnits.parse("0.001", exponent: 2) }
        #expect(throws: AmountError.notPositive) { try MinorUnits.parse("0", exponent: 2) }
        #expect(throws: AmountError.notPositive) { try MinorUnits.parse("-5", exponent: 2) }
        #expect(throws: AmountError.notANumber) { try MinorUnits.parse("ten", exponent: 2) }
        #expect(throws: AmountError.notANumber) { try MinorUnits.parse("1.2.3", exponent: 2) }
        #expect(throws: AmountError.tooLarge) { try MinorUnits.parse("1e30", exponent: 2) }
    }

    @Test("the byte parser agrees with the character-by-character reading on generated text")
    func agreesWithReference() {
        var generator = SeededRandom(seed: 15)
        let alphabet = Array("0123456789000..eE+- \t1x")
        var checked = 0
        for round in 0..<40_000 {
            let length = 1 + Int(generator.next() % 14)
            var text = String((0..<length).map { _ in alphabet[Int(generator.next() % UInt64(alphabet.count))] })
            if round % 3 == 0 { text = String(generator.next() % 100_000) + "." + String(generator.next() % 1_000) }
            if round % 7 == 0 { text = "\u{00A0}" + text + "\u{2003}" }
            let exponent = [0, 2, 3, 8][round % 4]
            let ours = Result(catching: { () throws(AmountError) -> Int64 in try MinorUnits.parse(text, exponent: exponent) })
            let reference = Result(catching: { () throws(AmountError) -> Int64 in try Self.referenceParse(text, exponent: exponent) })
            #expect(ours == reference, "\(text.debugDescription) exponent \(exponent)")
            if case .success = reference { checked += 1 }
        }
        #expect(checked > 10_000)
    }

    /// The reading the byte parser replaced (Characters, Foundation trimming), kept as the reference.
    static func referenceParse(_ text: String, exponent: Int) throws(AmountError) -> Int64 {
        var chars = Substring(text.trimmingCharacters(in: .whitespaces))
        var negative = false
        if chars.first == "-" { negative = true; chars = chars.dropFirst() } else if chars.first == "+" { chars = chars.dropFirst() }
        var mantissa = chars
        var scientific = 0
        if let e = chars.firstIndex(where: { $0 == "e" || $0 == "E" }) {
            mantissa = chars[..<e]
            guard let value = Int(chars[chars.index(after: e)...]), abs(value) < 40 else { throw .notANumber }
            scientific = value
        }
        let parts = mantissa.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count <= 2 else { throw .notANumber }
        let integerPart = parts[0]
        let fractionPart = parts.count == 2 ? parts[1] : ""
        guard !(integerPart.isEmpty && fractionPart.isEmpty),
              integerPart.allSatisfy({ $0.isASCII && $0.isNumber }),
              fractionPart.allSatisfy({ $0.isASCII && $0.isNumber })
        else { throw .notANumber }
        var digits = String(integerPart) + String(fractionPart)
        var scale = fractionPart.count - scientific
        while scale > exponent, digits.last == "0" {
            digits.removeLast()
            scale -= 1
        }
        guard scale <= exponent else { throw .tooManyDecimals(allowed: exponent) }
        digits += String(repeating: "0", count: exponent - scale)
        let trimmed = digits.drop(while: { $0 == "0" })
        guard trimmed.count <= 18, let magnitude = Int64(trimmed.isEmpty ? "0" : String(trimmed)) else { throw .tooLarge }
        guard magnitude <= MinorUnits.maximum else { throw .tooLarge }
        let value = negative ? -magnitude : magnitude
        guard value > 0 else { throw .notPositive }
        return value
    }

    @Test("formatting round-trips and JSON numbers carry no float noise")
    func formats() throws {
        #expect(MinorUnits.format(1050, exponent: 2) == "10.50")
        #expect(MinorUnits.format(5, exponent: 3) == "0.005")
        #expect(MinorUnits.format(500, exponent: 0) == "500")
        let data = try JSONEncoder().encode(["a": MinorUnits.decimal(10055, exponent: 2), "b": MinorUnits.decimal(1, exponent: 2)])
        #expect(String(decoding: data, as: UTF8.self).contains("100.55"))
        #expect(String(decoding: data, as: UTF8.self).contains("0.01"))
    }

    @Test("JSON numbers are read from their exact text")
    func jsonNumbers() throws {
        let value = try JSONDecoder().decode(JSONValue.self, from: Data(#"{"amount": 100.55, "small": 0.1}"#.utf8))
        #expect(try MinorUnits.parse(value["amount"]?.decimalText ?? "", exponent: 2) == 10055)
        #expect(try MinorUnits.parse(value["small"]?.decimalText ?? "", exponent: 3) == 100)
    }

    @Test("ISO 4217 exponents")
    func currencies() {
        #expect(Currency(code: "JPY")?.exponent == 0)
        #expect(Currency(code: "USD")?.exponent == 2)
        #expect(Currency(code: "BHD")?.exponent == 3)
        #expect(Currency(code: "XXX") == nil)
        #expect(Currency(code: "usd") == nil)
    }
}

@Suite("Masking")
struct MaskingTests {
    @Test("card numbers keep first 6 and last 4; accounts keep last 4; names stay")
    func masks() {
        let masked = Masking.maskFields([
            "card_number": "5123817234060000", "account_number": "40817810099910004312",
            "card_printed_name": "JOHN DOE", "test_details_payout_status": "processed", "cvv": "123",
        ])
        #expect(masked["card_number"] == "512381******0000")
        #expect(masked["account_number"] == "****************4312")
        #expect(masked["card_printed_name"] == "JOHN DOE")
        #expect(masked["test_details_payout_status"] == "processed")
        #expect(masked["cvv"] == "***")
    }

    @Test("the callback signature is base64(sha1(secret + body + secret))")
    func signature() {
        // Expected value computed independently with Python: base64(hashlib.sha1(b"sbodys").digest()).
        #expect(Digest.callbackSignature(secret: "s", body: Data("body".utf8)) == "iMUTKg31Vs+06IsBsB9BhsTcPGw=")
        #expect(Digest.constantTimeEquals("abc", "abc"))
        #expect(!Digest.constantTimeEquals("abc", "abd"))
        #expect(!Digest.constantTimeEquals("abc", "abcd"))
    }
}
