import Foundation

/// Exact decimal numbers to and from their text without Foundation's locale-aware parser and formatter, which cost
/// about 1.4 µs and 1.9 µs per number (every amount of every document the gateway reads or writes). Numbers outside
/// the fast range (more than 18 digits, exponents beyond ±18) take Foundation's path; the results are identical.
enum DecimalText {
    private static let largest = Decimal(UInt64(999_999_999_999_999_999))

    /// The number as `Decimal.description` writes it (`10`, `0.05`, `-12.345`, `1000`).
    static func text(_ value: Decimal) -> String {
        let exponent = value.exponent
        guard !value.isNaN, exponent >= -18, exponent <= 18 else { return value.description }
        let significand = value.significand
        guard significand.magnitude <= largest else { return value.description }
        return text(negative: value.sign == .minus, mantissa: NSDecimalNumber(decimal: significand).uint64Value, exponent: exponent)
    }

    /// `mantissa × 10^exponent` with no superfluous zeros, as `Decimal.description` writes it.
    static func text(negative: Bool, mantissa: UInt64, exponent: Int) -> String {
        var mantissa = mantissa
        var exponent = exponent
        guard mantissa != 0 else { return "0" }
        while exponent < 0, mantissa % 10 == 0 {
            mantissa /= 10
            exponent += 1
        }
        var digits: [UInt8] = []
        digits.reserveCapacity(24)
        if negative { digits.append(UInt8(ascii: "-")) }
        let significant = Array(String(mantissa).utf8)
        if exponent >= 0 {
            digits.append(contentsOf: significant)
            digits.append(contentsOf: repeatElement(UInt8(ascii: "0"), count: exponent))
        } else {
            let point = significant.count + exponent
            if point <= 0 {
                digits.append(UInt8(ascii: "0"))
                digits.append(UInt8(ascii: "."))
                digits.append(contentsOf: repeatElement(UInt8(ascii: "0"), count: -point))
                digits.append(contentsOf: significant)
            } else {
                digits.append(contentsOf: significant[..<point])
                digits.append(UInt8(ascii: "."))
                digits.append(contentsOf: significant[point...])
            }
        }
        return String(decoding: digits, as: UTF8.self)
    }

    /// A JSON number literal (already checked against the JSON grammar) as a `Decimal`; nil when it is outside the
    /// fast range (an exponent part, or more than 18 digits): the caller then parses the text.
    static func decimal(jsonLiteral bytes: UnsafeBufferPointer<UInt8>) -> Decimal? {
        var index = 0
        var negative = false
        if index < bytes.count, bytes[index] == UInt8(ascii: "-") {
            negative = true
            index += 1
        }
        var mantissa: UInt64 = 0
        var digits = 0
        var fractionDigits = 0
        var inFraction = false
        while index < bytes.count {
            let byte = bytes[index]
            if byte == UInt8(ascii: ".") {
                inFraction = true
            } else if byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") {
                digits += 1
                guard digits <= 18 else { return nil }
                mantissa = mantissa * 10 + UInt64(byte - UInt8(ascii: "0"))
                if inFraction { fractionDigits += 1 }
            } else {
                return nil  // an exponent part
            }
            index += 1
        }
        // Decimal has no negative zero (a negative sign with no digits is its NaN).
        return Decimal(sign: negative && mantissa != 0 ? .minus : .plus, exponent: -fractionDigits, significand: Decimal(mantissa))
    }
}
