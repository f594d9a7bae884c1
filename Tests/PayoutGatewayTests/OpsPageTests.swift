import AsyncHTTPClient
import Foundation
import HTTPTypes
import NIOCore
import NIOHTTP1
@testable import PayoutGateway
import Testing

/// The ops page through a real gateway on loopback: the login, each section, a payout's story, the status query.
@Suite("Ops page")
struct OpsPageTests {
    struct Page: Sendable {
        let status: Int
        let headers: HTTPHeaders
        let text: String
    }

    /// A browser-like client that does not follow redirects (each hop is checked).
    static func fetch(_ client: HTTPClient, _ url: String, method: HTTPMethod = .GET, cookie: String? = nil, form: String? = nil, bearer: String? = nil) async throws -> Page {
        var request = HTTPClientRequest(url: url)
        request.method = method
        request.headers.add(name: "Connection", value: "close")
        if let cookie { request.headers.add(name: "Cookie", value: cookie) }
        if let bearer { request.headers.add(name: "Authorization", value: "Bearer " + bearer) }
        if let form {
            request.headers.add(name: "Content-Type", value: "application/x-www-form-urlencoded")
            request.body = .bytes(ByteBuffer(string: form))
        }
        let response = try await client.execute(request, timeout: .seconds(30))
        let body = try await response.body.collect(upTo: 8 << 20)
        return Page(status: Int(response.status.code), headers: response.headers, text: String(buffer: body))
    }

    @Test("an operator logs in with the token (HttpOnly, SameSite=Strict cookie), sees routing, providers, what needs attention and a payout's timeline, and asks for a status query")
    func loginSectionsAndTimeline() async throws {
        var configuration = try await TestGateway.configuration()
        configuration.adminToken = Secret("ops-token-\(UUID().uuidString)")
        let token = configuration.adminToken!.value
        let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: .init(redirectConfiguration: .disallow))
        do {
            try await walkThrough(configuration, token: token, client: client)
        } catch {
            try? await client.shutdown()
            throw error
        }
        try await client.shutdown()
    }

    func walkThrough(_ configuration: GatewayConfiguration, token: String, client: HTTPClient) async throws {
        try await TestGateway.withGateway(configuration) { _, gateway in
            let base = gateway.base
            // A processed payout and one waiting for /process.
            let created = try await gateway.post("/api/payout-invoices", TestGateway.sampleCreate(reference: "ops-ref-1", autoProcess: true)).json
            let id = try #require(created["data"]?["id"]?.stringValue)
            _ = try await gateway.waitForStatus(id, ["processed"])

            // Signed out: every page sends to the login; a wrong token is refused and sets no cookie.
            let anonymous = try await Self.fetch(client, base + "/ops")
            #expect(anonymous.status == 303)
            #expect(anonymous.headers.first(name: "Location") == "/ops/login")
            let form = try await Self.fetch(client, base + "/ops/login")
            #expect(form.status == 200)
            #expect(form.text.contains("type=\"password\""))
            let wrong = try await Self.fetch(client, base + "/ops/login", method: .POST, form: "token=nope")
            #expect(wrong.status == 401)
            #expect(wrong.headers.first(name: "Set-Cookie") == nil)
            // An oversized form is refused as such, not with a 500.
            let oversized = try await Self.fetch(client, base + "/ops/login", method: .POST, form: "token=" + String(repeating: "a", count: 6_000))
            #expect(oversized.status == 413)
            let release = try await Self.fetch(client, base + "/admin/payouts/cpoi_x/release", method: .POST,
                                               form: String(repeating: "a", count: 20_000), bearer: token)
            #expect(release.status == 413)

            // The token, posted once, gives a session cookie; the token is in no URL and no answer.
            let login = try await Self.fetch(client, base + "/ops/login", method: .POST,
                                             form: "token=" + (token.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? token))
            #expect(login.status == 303)
            #expect(login.headers.first(name: "Location") == "/ops")
            let setCookie = try #require(login.headers.first(name: "Set-Cookie"))
            #expect(setCookie.contains("HttpOnly"))
            #expect(setCookie.contains("SameSite=Strict"))
            let cookie = try #require(setCookie.split(separator: ";").first.map(String.init))

            let overview = try await Self.fetch(client, base + "/ops", cookie: cookie)
            #expect(overview.status == 200)
            #expect(overview.headers.first(name: "Content-Type")?.hasPrefix("text/html") == true)
            for section in ["Routing now", "Providers", "Needs attention", "Table version 1"] {
                #expect(overview.text.contains(section), "overview lacks \(section)")
            }
            // The shipped routes: card in USD goes to payelata; the provider row has its breaker and a chart.
            #expect(overview.text.contains("payelata"))
            #expect(overview.text.contains("<svg"))
            #expect(overview.text.contains("closed"))
            #expect(!overview.text.contains(token))

            // The list, filtered by reference; the payout's page with its timeline, attempts and routing decision.
            let list = try await Self.fetch(client, base + "/ops/payouts?reference=ops-ref-1", cookie: cookie)
            #expect(list.text.contains(id))
            let other = try await Self.fetch(client, base + "/ops/payouts?reference=no-such-ref", cookie: cookie)
            #expect(!other.text.contains(id))
            let story = try await Self.fetch(client, base + "/ops/payouts/\(id)", cookie: cookie)
            #expect(story.status == 200)
            for part in ["Timeline", "created", "status_changed", "Attempts", "payelata", "Routing decision", "processed"] {
                #expect(story.text.contains(part), "the payout page lacks \(part)")
            }
            // Card numbers only masked.
            #expect(!story.text.contains("5123817234060000"))

            // The status query makes the payout due now.
            let check = try await Self.fetch(client, base + "/ops/payouts/\(id)/check", method: .POST, cookie: cookie)
            #expect(check.status == 303)

            // Logged out: the cookie no longer opens the page.
            _ = try await Self.fetch(client, base + "/ops/logout", method: .POST, cookie: cookie)
            #expect(try await Self.fetch(client, base + "/ops", cookie: cookie).status == 303)
        }
    }

    @Test("sessions expire after their lifetime; page text is escaped")
    func sessionsAndEscaping() async throws {
        let sessions = OpsSessions()
        #expect(!sessions.isValid(nil, nowMillis: 0))
        let id = sessions.open(nowMillis: 0)
        #expect(sessions.isValid(id, nowMillis: 1))
        #expect(!sessions.isValid(id, nowMillis: sessions.lifetimeMillis + 1))
        #expect(OpsHTML.escape("<script>\"&'") == "&lt;script&gt;&quot;&amp;&#39;")
    }
}
