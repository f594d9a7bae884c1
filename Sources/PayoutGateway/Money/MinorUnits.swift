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
        // ASCII text (every amount a dialect sends) is read byte by byte; other text may carry Unicode spaces around
        // the number, which Foundation trims.
        guard text.utf8.allSatisfy({ $0 < 0x80 }) else {
            return try parse(ascii: Array(text.trimmingCharacters(in: .whitespaces).utf8), exponent: exponent)
        }
        return try parse(ascii: Array(text.utf8), exponent: exponent)
    }

    private static func isDigit(_ byte: UInt8) -> Bool { byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") }

    /// value = digits × 10^-scale, digits being the integer part's and then the fraction's.
    private static func parse(ascii bytes: [UInt8], exponent: Int) throws(AmountError) -> Int64 {
        var start = 0
        var end = bytes.count
        while start < end, bytes[start] == 0x20 || bytes[start] == 0x09 { start += 1 }
        while end > start, bytes[end - 1] == 0x20 || bytes[end - 1] == 0x09 { end -= 1 }
        var negative = false
        if start < end, bytes[start] == UInt8(ascii: "-") {
            negative = true
            start += 1
        } else if start < end, bytes[start] == UInt8(ascii: "+") {
            start += 1
        }
        // The mantissa ends at the first `e`; what follows is a signed integer under 40.
        var mantissaEnd = start
        while mantissaEnd < end, bytes[mantissaEnd] != UInt8(ascii: "e"), bytes[mantissaEnd] != UInt8(ascii: "E") { mantissaEnd += 1 }
        var scientific = 0
        if mantissaEnd < end {
            var position = mantissaEnd + 1
            var exponentNegative = false
            if position < end, bytes[position] == UInt8(ascii: "-") || bytes[position] == UInt8(ascii: "+") {
                exponentNegative = bytes[position] == UInt8(ascii: "-")
                position += 1
            }
            guard position < end else { throw .notANumber }
            var magnitude = 0
            while position < end {
                guard isDigit(bytes[position]) else { throw .notANumber }
                magnitude = min(magnitude * 10 + Int(bytes[position] - UInt8(ascii: "0")), 1_000)
                position += 1
            }
            guard magnitude < 40 else { throw .notANumber }
            scientific = exponentNegative ? -magnitude : magnitude
        }
        // digits: the integer part's, then the fraction's (at most one point).
        var digits: [UInt8] = []
        digits.reserveCapacity(mantissaEnd - start)
        var fractionCount = 0
        var seenPoint = false
        for position in start..<mantissaEnd {
            let byte = bytes[position]
            if byte == UInt8(ascii: ".") {
                guard !seenPoint else { throw .notANumber }
                seenPoint = true
            } else {
                guard isDigit(byte) else { throw .notANumber }
                digits.append(byte)
                if seenPoint { fractionCount += 1 }
            }
        }
        guard !digits.isEmpty else { throw .notANumber }
        var scale = fractionCount - scientific
        // Drop trailing zeros that only add precision.
        while scale > exponent, digits.last == UInt8(ascii: "0") {
            digits.removeLast()
            scale -= 1
        }
        guard scale <= exponent else { throw .tooManyDecimals(allowed: exponent) }
        let appended = exponent - scale
        let firstSignificant = digits.firstIndex(where: { $0 != UInt8(ascii: "0") }) ?? digits.count
        let significant = digits.count - firstSignificant
        var magnitude: Int64 = 0
        if significant > 0 {
            guard significant + appended <= 18 else { throw .tooLarge }
            for digit in digits[firstSignificant...] { magnitude = magnitude * 10 + Int64(digit - UInt8(ascii: "0")) }
            for _ in 0..<appended { magnitude *= 10 }
        }
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
