import Foundation

/// Why a decimal amount was refused.
public enum AmountError: Error, Equatable, Sendable {
    case notANumber
    case tooManyDecimals(allowed: Int)
    case notPositive
    case tooLarge
}

/// Exact conversion between decimal amount text and integer minor units; no floating point anywhere.
public enum MinorUnits {
    /// The largest amount accepted, in minor units (keeps sums far from Int64 overflow).
    public static let maximum: Int64 = 1_000_000_000_000_000

    /// Parses decimal text (`10`, `100.55`, `1e2`, `"10.00"`) into minor units of `exponent` digits.
    /// Trailing zeros beyond the exponent are allowed (`10.500` for USD); other extra digits are refused.
    public static func parse(_ text: String, exponent: Int) throws(AmountError) -> Int64 {
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
        var scale = fractionPart.count - scientific  // value = digits * 10^-scale
        // Drop trailing zeros that only add precision.
        while scale > exponent, digits.last == "0" {
            digits.removeLast()
            scale -= 1
        }
        guard scale <= exponent else { throw .tooManyDecimals(allowed: exponent) }
        digits += String(repeating: "0", count: exponent - scale)
        let trimmed = digits.drop(while: { $0 == "0" })
        guard trimmed.count <= 18, let magnitude = Int64(trimmed.isEmpty ? "0" : String(trimmed)) else { throw .tooLarge }
        guard magnitude <= maximum else { throw .tooLarge }
        let value = negative ? -magnitude : magnitude
        guard value > 0 else { throw .notPositive }
        return value
    }

    /// Like `parse`, but accepts zero and negative values (fees, limits).
    public static func parseSigned(_ text: String, exponent: Int) throws(AmountError) -> Int64 {
        do {
            return try parse(text, exponent: exponent)
        } catch .notPositive {
            let trimmed = text.trimmingCharacters(in: .whitespaces)
            if trimmed.hasPrefix("-") {
                return -(try parse(String(trimmed.dropFirst()), exponent: exponent))
            }
            return 0
        }
    }

    /// Formats minor units as plain decimal text with exactly `exponent` decimals (`10.00`).
    public static func format(_ minor: Int64, exponent: Int) -> String {
        let negative = minor < 0
        var digits = String(minor.magnitude)
        guard exponent > 0 else { return (negative ? "-" : "") + digits }
        if digits.count <= exponent { digits = String(repeating: "0", count: exponent - digits.count + 1) + digits }
        let split = digits.index(digits.endIndex, offsetBy: -exponent)
        return (negative ? "-" : "") + digits[..<split] + "." + digits[split...]
    }

    /// The amount as a JSON number with no superfluous zeros (`10`, `100.55`), as the dialect writes it.
    public static func decimal(_ minor: Int64, exponent: Int) -> Decimal {
        Decimal(sign: minor < 0 ? .minus : .plus, exponent: -exponent, significand: Decimal(minor.magnitude))
    }
}
