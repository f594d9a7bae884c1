import Crypto
import Foundation
import _CryptoExtras

/// The simulators' own implementations of the providers' signatures and checksums, written from the protocol notes
/// (`../shared/protocols/`), never calling the gateway's signer: a signing mistake in the gateway is then caught by
/// the simulators instead of being copied into them. `SandboxSignatureTests` checks them against the notes'
/// reference vectors.
public enum SandboxSignatures {
    // MARK: PaynetEasy OAuth 1.0a (paynet-v4.md §2.1, §2.2)

    /// RFC 3986 percent-encoding: `A-Z a-z 0-9 - . _ ~` stay, every other UTF-8 byte is `%XX` in upper case.
    public static func percentEncode(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                 UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"):
                out.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                let hex = Array("0123456789ABCDEF".utf8)
                out.unicodeScalars.append("%")
                out.unicodeScalars.append(Unicode.Scalar(hex[Int(byte >> 4)]))
                out.unicodeScalars.append(Unicode.Scalar(hex[Int(byte & 0x0F)]))
            }
        }
        return out
    }

    /// `POST&enc(url)&enc(k=v&…)` over the parameters sorted by encoded key, then encoded value.
    public static func oauthBaseString(method: String = "POST", url: String, parameters: [(String, String)]) -> String {
        let encoded: [(key: String, value: String)] = parameters.map { (key: percentEncode($0.0), value: percentEncode($0.1)) }
        let sorted = encoded.sorted { lhs, rhs in lhs.key == rhs.key ? lhs.value < rhs.value : lhs.key < rhs.key }
        let normalized = sorted.map { $0.key + "=" + $0.value }.joined(separator: "&")
        return method.uppercased() + "&" + percentEncode(url) + "&" + percentEncode(normalized)
    }

    /// The `Authorization: OAuth k="v", …` header's parameters, values percent-decoded; `realm` left out.
    public static func oauthHeader(_ header: String) -> [String: String] {
        let trimmed = header.trimmingCharacters(in: .whitespaces)
        guard trimmed.count > 6, trimmed.prefix(6).lowercased() == "oauth " else { return [:] }
        var result: [String: String] = [:]
        for item in trimmed.dropFirst(6).split(separator: ",") {
            let parts = item.split(separator: "=", maxSplits: 1)
            guard parts.count == 2 else { continue }
            let key = parts[0].trimmingCharacters(in: .whitespaces)
            var value = parts[1].trimmingCharacters(in: .whitespaces)
            if value.first == "\"", value.last == "\"", value.count >= 2 { value = String(value.dropFirst().dropLast()) }
            guard key != "realm" else { continue }
            result[key] = value.removingPercentEncoding ?? value
        }
        return result
    }

    /// RSASSA-PKCS1-v1_5 with SHA-256 over the base string, the signature in standard Base64.
    public static func verifyRSASHA256(base: String, signature: String, publicKeyPEM: String) -> Bool {
        guard let key = try? _RSA.Signing.PublicKey(pemRepresentation: publicKeyPEM),
              let bytes = Data(base64Encoded: signature)
        else { return false }
        return key.isValidSignature(_RSA.Signing.RSASignature(rawRepresentation: bytes), for: SHA256.hash(data: Data(base.utf8)),
                                    padding: .insecurePKCS1v1_5)
    }

    /// HMAC-SHA1 keyed with `control key + "&"` (consumer secret, empty token secret), in standard Base64.
    public static func hmacSHA1(base: String, controlKey: String) -> String {
        let key = SymmetricKey(data: Data((percentEncode(controlKey) + "&").utf8))
        return Data(HMAC<Insecure.SHA1>.authenticationCode(for: Data(base.utf8), using: key)).base64EncodedString()
    }

    // MARK: PaynetEasy SHA-1 controls (paynet-v4.md §2.3)

    /// Lowercase hex SHA-1 of the values concatenated without separators.
    public static func sha1Hex(_ parts: String...) -> String {
        Insecure.SHA1.hash(data: Data(parts.joined().utf8)).map { String(format: "%02x", $0) }.joined()
    }

    /// v2 status: sha1(login + client_orderid + orderid + control key).
    public static func statusControl(login: String, clientOrderID: String, orderID: String, controlKey: String) -> String {
        sha1Hex(login, clientOrderID, orderID, controlKey)
    }

    /// Callbacks: sha1(status + orderid + client_orderid + control key).
    public static func callbackControl(status: String, orderID: String, clientOrderID: String, controlKey: String) -> String {
        sha1Hex(status, orderID, clientOrderID, controlKey)
    }

    /// `application/x-www-form-urlencoded` pairs in order (`+` is a space).
    public static func formPairs(_ body: String) -> [(String, String)] {
        body.split(separator: "&").map { pair in
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            func decode(_ text: Substring) -> String {
                let spaced = text.replacingOccurrences(of: "+", with: " ")
                return spaced.removingPercentEncoding ?? spaced
            }
            return (decode(parts[0]), parts.count > 1 ? decode(parts[1]) : "")
        }
    }

    // MARK: JSON:API callbacks (jsonapi-payouts.md, callbacks)

    /// `X-Signature`: base64(SHA-1(secret + raw body + secret)).
    public static func jsonapiCallbackSignature(secret: String, body: Data) -> String {
        Data(Insecure.SHA1.hash(data: Data(secret.utf8) + body + Data(secret.utf8))).base64EncodedString()
    }

    /// Compares in time that depends only on the lengths.
    public static func equal(_ lhs: String, _ rhs: String) -> Bool {
        let a = Array(lhs.utf8), b = Array(rhs.utf8)
        guard a.count == b.count else { return false }
        var difference: UInt8 = 0
        for index in a.indices { difference |= a[index] ^ b[index] }
        return difference == 0
    }
}
