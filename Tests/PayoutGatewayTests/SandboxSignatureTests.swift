import Crypto
import Foundation
import PayoutSandbox
import Testing
import _CryptoExtras

/// The simulators check signatures with their own code; these are the reference vectors of
/// `../shared/protocols/paynet-v4.md` (§2.1–2.3) and `jsonapi-payouts.md` (callbacks), computed independently.
@Suite("Sandbox signatures against the protocol notes' reference vectors")
struct SandboxSignatureTests {
    @Test("OAuth base string: the notes' RSA-SHA256 test vector")
    func baseString() {
        let base = SandboxSignatures.oauthBaseString(url: "https://gateway.example/paynet/api/v4/sale/123", parameters: [
            ("oauth_consumer_key", "merchant"), ("amount", "1.00"), ("client_orderid", "hf-1"),
        ])
        #expect(base == "POST&https%3A%2F%2Fgateway.example%2Fpaynet%2Fapi%2Fv4%2Fsale%2F123&amount%3D1.00%26client_orderid%3Dhf-1%26oauth_consumer_key%3Dmerchant")
    }

    @Test("OAuth HMAC-SHA1: the notes' computed vector")
    func hmac() {
        let base = SandboxSignatures.oauthBaseString(url: "https://sandbox.payneteasy.com/paynet/api/v4/payout/1234", parameters: [
            ("client_orderid", "po-1"), ("amount", "10.50"), ("currency", "EUR"),
            ("oauth_consumer_key", "merchant1"), ("oauth_nonce", "abc123"), ("oauth_signature_method", "HMAC-SHA1"),
            ("oauth_timestamp", "1700000000"), ("oauth_version", "1.0"),
        ])
        #expect(SandboxSignatures.hmacSHA1(base: base, controlKey: "B17F59B4-A7DC-41B4-8FF9-37D986B43D20") == "D7Z54ZcjPyungHU+8/4/mjvZyZU=")
    }

    @Test("RFC 3986 encoding: unreserved kept, space %20, !'()* and UTF-8 bytes encoded in upper case")
    func percentEncoding() {
        #expect(SandboxSignatures.percentEncode("Az09-._~") == "Az09-._~")
        #expect(SandboxSignatures.percentEncode("a b+c!'()*") == "a%20b%2Bc%21%27%28%29%2A")
        #expect(SandboxSignatures.percentEncode("Jö") == "J%C3%B6")
    }

    @Test("SHA-1 controls: v2 status and callback, lowercase hex")
    func controls() {
        #expect(SandboxSignatures.statusControl(login: "merchant1", clientOrderID: "client-1", orderID: "1234567",
                                                controlKey: "B17F59B4-A7DC-41B4-8FF9-37D986B43D20") == "db06e69210e3fe35e6aa3295e02bb07bd46b60ff")
        #expect(SandboxSignatures.callbackControl(status: "approved", orderID: "1234567", clientOrderID: "client-1",
                                                  controlKey: "B17F59B4-A7DC-41B4-8FF9-37D986B43D20") == "36ac8ad66b39aca474767b962b2d4271b982534c")
    }

    @Test("RSA-SHA256: a signature by the key verifies; another base string or key does not")
    func rsa() throws {
        let key = try _RSA.Signing.PrivateKey(keySize: .bits2048)
        let other = try _RSA.Signing.PrivateKey(keySize: .bits2048)
        let base = SandboxSignatures.oauthBaseString(url: "http://127.0.0.1:1/p/paynet/api/v4/payout/1", parameters: [("amount", "1.00")])
        let signature = try key.signature(for: SHA256.hash(data: Data(base.utf8)), padding: .insecurePKCS1v1_5).rawRepresentation.base64EncodedString()
        #expect(SandboxSignatures.verifyRSASHA256(base: base, signature: signature, publicKeyPEM: key.publicKey.pemRepresentation))
        #expect(!SandboxSignatures.verifyRSASHA256(base: base + "x", signature: signature, publicKeyPEM: key.publicKey.pemRepresentation))
        #expect(!SandboxSignatures.verifyRSASHA256(base: base, signature: signature, publicKeyPEM: other.publicKey.pemRepresentation))
    }

    @Test("OAuth header: values percent-decoded, realm left out")
    func header() {
        let parsed = SandboxSignatures.oauthHeader(#"OAuth realm="", oauth_consumer_key="m%201", oauth_signature="a%2Bb%3D""#)
        #expect(parsed == ["oauth_consumer_key": "m 1", "oauth_signature": "a+b="])
    }

    @Test("JSON:API callback X-Signature: base64(SHA-1(secret + body + secret))")
    func jsonapiCallback() {
        // sha1("s{}s") computed independently (python: base64(hashlib.sha1(b"s{}s").digest())).
        #expect(SandboxSignatures.jsonapiCallbackSignature(secret: "s", body: Data("{}".utf8)) == "d02izSewfwSCP6IWB/aUsLRiLJU=")
    }
}
