import Crypto
import Foundation

/// Random identifiers in the dialect's style: a prefix plus 16 alphanumerics (`cpoi_…`, `coma_…`).
public enum Identifier {
    static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789")

    static let alphabetBytes = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789".utf8)

    /// `length` characters from one system random draw per 8 characters (62 symbols, rejection-sampled so that
    /// every symbol is equally likely).
    public static func random(length: Int = 16) -> String {
        var generator = SystemRandomNumberGenerator()
        var bytes: [UInt8] = []
        bytes.reserveCapacity(length)
        while bytes.count < length {
            var word = generator.next()
            for _ in 0..<8 where bytes.count < length {
                let byte = UInt8(truncatingIfNeeded: word)
                word >>= 8
                // 248 = 4 × 62: bytes above it would favour the first symbols.
                if byte < 248 { bytes.append(alphabetBytes[Int(byte % 62)]) }
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    public static func make(_ prefix: String, length: Int = 16) -> String {
        prefix + random(length: length)
    }

    /// Digits and letters in byte order, so that text in them sorts as the numbers do.
    static let orderedAlphabet = Array("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz".utf8)

    /// `prefix` and 16 characters: the creation time in milliseconds as 7 ordered base-62 digits (until the year
    /// 2081), then 9 random ones (53 bits). Ids made later sort after earlier ones, so a store's indexes on them take
    /// new rows at their right edge instead of on a random page each (fewer pages written per commit, a hotter cache).
    public static func timeOrdered(_ prefix: String, nowMillis: Int64) -> String {
        var digits = [UInt8](repeating: orderedAlphabet[0], count: 7)
        var value = UInt64(max(nowMillis, 0))
        for index in stride(from: 6, through: 0, by: -1) {
            digits[index] = orderedAlphabet[Int(value % 62)]
            value /= 62
        }
        return prefix + String(decoding: digits, as: UTF8.self) + random(length: 9)
    }

    /// A deterministic 16-alphanumeric id derived from a stable name (for catalogue entries).
    public static func derived(_ prefix: String, from name: String) -> String {
        let digest = SHA256.hash(data: Data(name.utf8))
        let chars = digest.prefix(16).map { alphabet[Int($0) % alphabet.count] }
        return prefix + String(chars)
    }

    /// A URL-safe random secret with `bytes` of entropy.
    public static func secret(bytes: Int = 32) -> String {
        var generator = SystemRandomNumberGenerator()
        let raw = (0..<bytes).map { _ in UInt8.random(in: 0...255, using: &generator) }
        return Data(raw).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }
}

/// Hashing and constant-time comparison helpers for credentials and signatures.
public enum Digest {
    public static func sha256Hex(_ text: String) -> String {
        hex(SHA256.hash(data: Data(text.utf8)))
    }

    public static func sha1Hex(_ text: String) -> String {
        hex(Insecure.SHA1.hash(data: Data(text.utf8)))
    }

    static let hexDigits = Array("0123456789abcdef".utf8)

    /// Lower-case hexadecimal of a digest's bytes.
    public static func hex(_ bytes: some Sequence<UInt8>) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(64)
        for byte in bytes {
            out.append(hexDigits[Int(byte >> 4)])
            out.append(hexDigits[Int(byte & 0x0f)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// base64(sha1(secret + body + secret)): the JSON:API dialect's callback signature.
    public static func callbackSignature(secret: String, body: some DataProtocol) -> String {
        var hasher = Insecure.SHA1()
        hasher.update(data: Data(secret.utf8))
        hasher.update(data: Data(body))
        hasher.update(data: Data(secret.utf8))
        return Data(hasher.finalize()).base64EncodedString()
    }

    /// Compares two strings in time that depends only on their lengths.
    public static func constantTimeEquals(_ lhs: String, _ rhs: String) -> Bool {
        let left = Array(lhs.utf8)
        let right = Array(rhs.utf8)
        var difference = UInt8(left.count == right.count ? 0 : 1)
        let count = max(left.count, right.count)
        for index in 0..<count {
            let l = index < left.count ? left[index] : 0
            let r = index < right.count ? right[index] : 0
            difference |= l ^ r
        }
        return difference == 0
    }
}

/// Wall-clock time in the units the store and the dialect use.
public enum Clock {
    public static func nowMillis() -> Int64 { Int64((Date().timeIntervalSince1970 * 1000).rounded()) }
    public static func nowSeconds() -> Int64 { Int64(Date().timeIntervalSince1970) }
}
