import AsyncHTTPClient
import Foundation
@testable import PayoutGateway
@testable import PayoutSandbox
import Testing

@Suite("PaynetEasy v4 adapter against the sandbox")
struct PaynetAdapterTests {
    static func adapter(_ sandbox: PaynetSandbox, port: Int, signature: String = "rsa-sha256", privateKey: String? = nil,
                        controlKey: String? = nil, endpoints: String = #"{"USD":{"endpoint_id":"77"}}"#) throws -> PaynetV4Adapter {
        let file = """
            {"services":[{"code":"card","method":"payment_card","currencies":["USD","EUR"],"fields":[]}],
             "providers":[{"id":"\(sandbox.id)","dialect":"paynet-v4","base_url":"sandbox","timeout_seconds":15,
               "paynet":{"flow":"direct","signature":"\(signature)","endpoints":\(endpoints)},"services":{"card":{}}}],
             "routes":[{"id":"r","match":{"service":"card"},"providers":["\(sandbox.id)"]}]}
            """
        let config = try RoutesCompiler().compile(data: Data(file.utf8)).providers[sandbox.id]!.with(credentials: [
            "login": Secret(sandbox.login), "control_key": Secret(controlKey ?? sandbox.controlKey),
            "private_key": Secret(privateKey ?? sandbox.privateKeyPEM),
        ])
        return PaynetV4Adapter(config: config, baseURL: sandbox.baseURL(port: port), http: ProviderHTTP(client: HTTPClient.shared), logger: TestGateway.logger)
    }

    static func request(_ reference: String) -> ProviderPayoutRequest {
        ProviderPayoutRequest(
            reference: reference, service: "card", gatewayService: "card", currency: Currency(code: "USD")!, amountMinor: 1050,
            fields: ["credit_card_number": "4444333322221111", "card_printed_name": "Ünïcode & Co = 100% + ~"],
            description: "a=b&c", testMode: true, callbackURL: nil, autoProcess: false)
    }

    @Test("a request signed with another key is refused with 403 and counts as not created; HMAC-SHA1 signing is accepted")
    func signaturesBothWays() async throws {
        let sandbox = try PaynetSandbox(id: "sig")
        let port = try await TestGateway.freePort()
        try await TestSandbox.run(SandboxServer(jsonapi: [], paynet: [sandbox]), port: port) {
            let good = try Self.adapter(sandbox, port: port)
            let outcome = await good.submit(Self.request("ok-1"))
            guard case .accepted(let snapshot) = outcome else {
                Issue.record("a correctly signed payout was not accepted: \(outcome)")
                return
            }
            #expect(snapshot.providerPayoutID?.allSatisfy(\.isNumber) == true)

            let stranger = try PaynetSandbox(id: "other")
            let forged = try Self.adapter(sandbox, port: port, privateKey: stranger.privateKeyPEM)
            guard case .rejected(let reason) = await forged.submit(Self.request("forged-1")) else {
                Issue.record("a payout signed with another key was not refused")
                return
            }
            #expect(reason.contains("403"))
            #expect(!sandbox.ledger().contains { $0.reference == "forged-1" })

            let hmac = try Self.adapter(sandbox, port: port, signature: "hmac-sha1")
            guard case .accepted = await hmac.submit(Self.request("hmac-1")) else {
                Issue.record("an HMAC-SHA1 signed payout was not accepted")
                return
            }
            let wrongControl = try Self.adapter(sandbox, port: port, controlKey: "wrong")
            // A wrong control key breaks the v2 status checksum: the lookup fails, it never reports "absent".
            guard case .failed = await wrongControl.lookup(reference: "ok-1", providerPayoutID: nil, service: "card", currency: Currency(code: "USD")!) else {
                Issue.record("a status lookup with a wrong control key did not fail")
                return
            }
            guard case .found(let status) = await good.lookup(reference: "ok-1", providerPayoutID: snapshot.providerPayoutID, service: "card", currency: Currency(code: "USD")!) else {
                Issue.record("the status lookup did not find the order")
                return
            }
            #expect(status.currency == "USD")
            guard case .absent = await good.lookup(reference: "never-sent", providerPayoutID: nil, service: "card", currency: Currency(code: "USD")!) else {
                Issue.record("an unknown order was not reported absent")
                return
            }
        }
    }

    @Test("the status is asked on the endpoint the payout was sent to (a provider may scope orders by endpoint)")
    func statusOnTheSendingEndpoint() async throws {
        let sandbox = try PaynetSandbox(id: "scope")
        let port = try await TestGateway.freePort()
        try await TestSandbox.run(SandboxServer(jsonapi: [], paynet: [sandbox]), port: port) {
            let adapter = try Self.adapter(sandbox, port: port, endpoints: #"{"EUR":{"endpoint_id":"88"},"USD":{"group_id":"77"}}"#)
            guard case .accepted = await adapter.submit(Self.request("scoped-1")) else {
                Issue.record("the USD payout was not accepted")
                return
            }
            guard case .found = await adapter.lookup(reference: "scoped-1", providerPayoutID: nil, service: "card", currency: Currency(code: "USD")!) else {
                Issue.record("the USD payout's status was not found on the USD endpoint")
                return
            }
            guard case .absent = await adapter.lookup(reference: "scoped-1", providerPayoutID: nil, service: "card", currency: Currency(code: "EUR")!) else {
                Issue.record("the sandbox does not scope orders by endpoint")
                return
            }
        }
    }

    @Test("a repeated client_orderid is a duplicate, adopted rather than paid twice")
    func duplicateClientOrderID() async throws {
        let sandbox = try PaynetSandbox(id: "dup")
        let port = try await TestGateway.freePort()
        try await TestSandbox.run(SandboxServer(jsonapi: [], paynet: [sandbox]), port: port) {
            let adapter = try Self.adapter(sandbox, port: port)
            _ = await adapter.submit(Self.request("dup-1"))
            #expect(await adapter.submit(Self.request("dup-1")) == .duplicate)
            #expect(sandbox.ledger().filter { $0.reference == "dup-1" }.count == 1)
        }
    }
}
