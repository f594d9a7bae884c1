import Crypto
import Foundation
import _CryptoExtras

/// OAuth 1.0a request signing as the PaynetEasy v4 API uses it: RSA-SHA256 (v4 default) or HMAC-SHA1 with the
/// control key. No token; OAuth parameters go in the Authorization header only (HMAC also repeats them in the body).
public enum PaynetOAuth {
    /// RFC 3986 percent-encoding: unreserved `A-Z a-z 0-9 - . _ ~` stay, every other UTF-8 byte becomes `%XX`.
    public static func encode(_ text: String) -> String {
        var result = ""
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                 UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"):
                result.append(Character(UnicodeScalar(byte)))
            default:
                result += String(format: "%%%02X", byte)
            }
        }
        return result
    }

    /// The normalised URL: scheme and host lower-cased, default port dropped, path as is.
    public static func normalisedURL(_ url: String) -> String {
        guard let components = URLComponents(string: url), let scheme = components.scheme?.lowercased(),
              let host = components.host?.lowercased()
        else { return url }
        var text = "\(scheme)://\(host)"
        if let port = components.port, !((scheme == "http" && port == 80) || (scheme == "https" && port == 443)) {
            text += ":\(port)"
        }
        return text + components.percentEncodedPath
    }

    /// `POST&enc(url)&enc(sorted k=v pairs)` over body and OAuth parameters (not `oauth_signature`, not `realm`).
    public static func baseString(method: String = "POST", url: String, parameters: [(String, String)]) -> String {
        var encoded: [(key: String, value: String)] = []
        for (key, value) in parameters where key != "oauth_signature" && key != "realm" {
            encoded.append((encode(key), encode(value)))
        }
        encoded.sort { lhs, rhs in lhs.key == rhs.key ? lhs.value < rhs.value : lhs.key < rhs.key }
        let pairs = encoded.map { $0.key + "=" + $0.value }.joined(separator: "&")
        return method.uppercased() + "&" + encode(normalisedURL(url)) + "&" + encode(pairs)
    }

    /// The five OAuth protocol parameters for one request.
    public static func protocolParameters(consumerKey: String, method: String, nonce: String = Identifier.random(length: 24),
                                          timestamp: Int64 = Clock.nowSeconds()) -> [(String, String)] {
        [("oauth_consumer_key", consumerKey), ("oauth_nonce", nonce), ("oauth_signature_method", method),
         ("oauth_timestamp", String(timestamp)), ("oauth_version", "1.0")]
    }

    public static func signRSA(baseString: String, privateKeyPEM: String) throws -> String {
        let key = try _RSA.Signing.PrivateKey(pemRepresentation: privateKeyPEM)
        let signature = try key.signature(for: Data(baseString.utf8), padding: .insecurePKCS1v1_5)
        return signature.rawRepresentation.base64EncodedString()
    }

    public static func verifyRSA(baseString: String, signature: String, publicKeyPEM: String) -> Bool {
        guard let key = try? _RSA.Signing.PublicKey(pemRepresentation: publicKeyPEM),
              let raw = Data(base64Encoded: signature)
        else { return false }
        return key.isValidSignature(_RSA.Signing.RSASignature(rawRepresentation: raw), for: Data(baseString.utf8), padding: .insecurePKCS1v1_5)
    }

    /// HMAC-SHA1 keyed with `control key + "&"` (consumer secret, empty token secret).
    public static func signHMAC(baseString: String, controlKey: String) -> String {
        let key = SymmetricKey(data: Data((encode(controlKey) + "&").utf8))
        return Data(HMAC<Insecure.SHA1>.authenticationCode(for: Data(baseString.utf8), using: key)).base64EncodedString()
    }

    /// `OAuth k="v", …` with every value percent-encoded and keys sorted.
    public static func header(_ parameters: [(String, String)]) -> String {
        "OAuth " + parameters.sorted { $0.0 < $1.0 }.map { "\($0.0)=\"\(encode($0.1))\"" }.joined(separator: ", ")
    }

    /// Parses an `OAuth k="v", …` header into decoded pairs.
    public static func parseHeader(_ header: String) -> [String: String] {
        guard header.lowercased().hasPrefix("oauth ") else { return [:] }
        var result: [String: String] = [:]
        for part in header.dropFirst(6).split(separator: ",") {
            let pair = part.trimmingCharacters(in: .whitespaces)
            guard let equals = pair.firstIndex(of: "=") else { continue }
            let key = String(pair[..<equals])
            var value = String(pair[pair.index(after: equals)...])
            if value.hasPrefix("\""), value.hasSuffix("\""), value.count >= 2 { value = String(value.dropFirst().dropLast()) }
            result[key] = value.removingPercentEncoding ?? value
        }
        return result
    }
}

/// SHA-1 `control` checksums (v2 status, callbacks, final redirect): lowercase hex, the control key last.
public enum PaynetControl {
    /// sha1(login + client_orderid + orderid + control key) for `/api/v2/status`.
    public static func status(login: String, clientOrderID: String, orderID: String, controlKey: String) -> String {
        Digest.sha1Hex(login + clientOrderID + orderID + controlKey)
    }

    /// sha1(status + orderid + client_orderid + control key) for callbacks and the final redirect.
    public static func callback(status: String, orderID: String, clientOrderID: String, controlKey: String) -> String {
        Digest.sha1Hex(status + orderID + clientOrderID + controlKey)
    }
}
