import Foundation
import PayoutGateway
import PayoutSandbox
import Testing

@Suite("PaynetEasy v4 signatures and checksums")
struct PaynetProtocolTests {
    @Test("the OAuth base string matches the published test vector")
    func baseStringVector() {
        let base = PaynetOAuth.baseString(url: "https://gateway.example/paynet/api/v4/sale/123", parameters: [
            ("oauth_consumer_key", "merchant"), ("amount", "1.00"), ("client_orderid", "hf-1"),
        ])
        #expect(base == "POST&https%3A%2F%2Fgateway.example%2Fpaynet%2Fapi%2Fv4%2Fsale%2F123&amount%3D1.00%26client_orderid%3Dhf-1%26oauth_consumer_key%3Dmerchant")
    }

    @Test("HMAC-SHA1 OAuth matches the computed vector")
    func hmacVector() {
        let parameters = [("client_orderid", "po-1"), ("amount", "10.50"), ("currency", "EUR")]
            + PaynetOAuth.protocolParameters(consumerKey: "merchant1", method: "HMAC-SHA1", nonce: "abc123", timestamp: 1_700_000_000)
        let base = PaynetOAuth.baseString(url: "https://sandbox.payneteasy.com/paynet/api/v4/payout/1234", parameters: parameters)
        #expect(PaynetOAuth.signHMAC(baseString: base, controlKey: "B17F59B4-A7DC-41B4-8FF9-37D986B43D20") == "D7Z54ZcjPyungHU+8/4/mjvZyZU=")
    }

    @Test("v2 status control and callback control match the worked examples")
    func controls() {
        #expect(PaynetControl.status(login: "merchant1", clientOrderID: "client-1", orderID: "1234567", controlKey: "B17F59B4-A7DC-41B4-8FF9-37D986B43D20")
            == "db06e69210e3fe35e6aa3295e02bb07bd46b60ff")
        #expect(PaynetControl.callback(status: "approved", orderID: "1234567", clientOrderID: "client-1", controlKey: "B17F59B4-A7DC-41B4-8FF9-37D986B43D20")
            == "36ac8ad66b39aca474767b962b2d4271b982534c")
    }

    @Test("RSA-SHA256 signatures verify with the public key and fail when anything changes")
    func rsaRoundTrip() throws {
        let sandbox = try PaynetSandbox(id: "p")
        let base = PaynetOAuth.baseString(url: "http://127.0.0.1:1/p/paynet/api/v4/payout/1", parameters: [("amount", "1.00"), ("card_printed_name", "Jöhn & Co = 1+1")])
        let signature = try PaynetOAuth.signRSA(baseString: base, privateKeyPEM: sandbox.privateKeyPEM)
        #expect(PaynetOAuth.verifyRSA(baseString: base, signature: signature, publicKeyPEM: sandbox.publicKeyPEM))
        #expect(!PaynetOAuth.verifyRSA(baseString: base + "x", signature: signature, publicKeyPEM: sandbox.publicKeyPEM))
    }

    @Test("percent-encoding keeps unreserved characters only; forms survive &, =, + and non-ASCII")
    func encoding() {
        #expect(PaynetOAuth.encode("a b!*'()~._-") == "a%20b%21%2A%27%28%29~._-")
        #expect(PaynetOAuth.encode("ü") == "%C3%BC")
        let body = PaynetForm.encode([("name", "A&B=C+D ü"), ("x", "1")])
        #expect(PaynetForm.decode(body) == ["name": "A&B=C+D ü", "x": "1"])
    }

    @Test("answers are parsed with trailing line feeds trimmed, and as JSON")
    func answers() {
        let form = "type=async-response\n&serial-number=00000000-0000-0000-0000-000002d9b22a\n&merchant-order-id=po-1\n&paynet-order-id=6768788\n"
        let parsed = PaynetForm.parseAnswer(Data(form.utf8))
        #expect(parsed["type"] == "async-response")
        #expect(parsed["paynet-order-id"] == "6768788")
        let json = PaynetForm.parseAnswer(Data(#"{"type":"status-response","paynet-order-id":6768788,"status":"approved"}"#.utf8))
        #expect(json["paynet-order-id"] == "6768788")
        #expect(json["status"] == "approved")
    }

    @Test("status and order-stage map to outcomes", arguments: [
        ("approved", "payout_approved", false, ProviderOutcome.succeeded),
        ("declined", "payout_declined", false, .failed), ("filtered", nil, false, .failed), ("error", nil, true, .failed),
        ("processing", "payout_processing", false, .processing), ("unknown", nil, false, .pending), ("weird", nil, false, .pending),
        ("processing", "payout_check_validating", true, .checking), ("processing", "PAYOUT_CHECK_VALIDATED", true, .awaitingConfirmation),
    ] as [(String, String?, Bool, ProviderOutcome)])
    func statusMapping(status: String, stage: String?, checkPhase: Bool, expected: ProviderOutcome) {
        #expect(PaynetStatus.outcome(status: status, stage: stage, checkPhase: checkPhase, validatedStage: "payout_check_validated").0 == expected)
    }
}
