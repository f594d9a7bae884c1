import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore

/// The ops page at `/ops`: routing now, providers, what needs attention, and every payout's story. Behind the
/// operator token through a login form and a session cookie (HttpOnly, SameSite=Strict; the token never goes in a
/// URL). Actions are POST forms (a SameSite=Strict cookie is not sent with another site's form).
struct OpsRoutes: Sendable {
    let adminToken: Secret?
    let front: FrontDependencies
    let sessions: OpsSessions
    /// Whether the listener is TLS (the cookie is then `Secure`).
    let secureCookie: Bool

    func register(on router: Router<BasicRequestContext>) {
        router.get("/ops/login") { _, _ in html(OpsHTML.loginPage(error: adminToken == nil ? "No operator token is configured." : nil)) }
        router.post("/ops/login") { request, _ in try await login(request) }
        router.post("/ops/logout") { request, _ in
            sessions.close(Self.cookie(request))
            var response = redirect("/ops/login")
            response.headers[.setCookie] = "\(OpsSessions.cookieName)=; Path=/ops; Max-Age=0; HttpOnly; SameSite=Strict"
            return response
        }
        router.get("/ops") { request, _ in
            guard signedIn(request) else { return redirect("/ops/login") }
            return html(try await overview(), refresh: request.uri.queryParameters["refresh"].flatMap { Int(String($0)) })
        }
        router.get("/ops/payouts") { request, _ in
            guard signedIn(request) else { return redirect("/ops/login") }
            return html(try await payouts(request))
        }
        router.get("/ops/payouts/:id") { request, context in
            guard signedIn(request) else { return redirect("/ops/login") }
            return try await payout(context.parameters.get("id") ?? "")
        }
        // Ask the provider now: the payout is due at once (the engine's next claim steps it, with a status query).
        router.post("/ops/payouts/:id/check") { request, context in
            guard signedIn(request) else { return redirect("/ops/login") }
            let id = context.parameters.get("id") ?? ""
            guard id.count <= 64, try await front.store.payout(id: id) != nil else { throw APIError.notFound }
            try await front.store.nudge(payoutId: id, atMs: Clock.nowMillis())
            front.logger.notice("operator asked for a status query", metadata: ["payout.id": "\(id)"])
            return redirect("/ops/payouts/\(id)?checked=1")
        }
    }

    // MARK: Session

    static func cookie(_ request: Request) -> String? {
        guard let header = request.headers[.cookie] else { return nil }
        for part in header.split(separator: ";") {
            let pair = part.trimmingCharacters(in: .whitespaces)
            if pair.hasPrefix(OpsSessions.cookieName + "=") { return String(pair.dropFirst(OpsSessions.cookieName.count + 1)) }
        }
        return nil
    }

    func signedIn(_ request: Request) -> Bool {
        adminToken != nil && sessions.isValid(Self.cookie(request), nowMillis: Clock.nowMillis())
    }

    func login(_ request: Request) async throws -> Response {
        var request = request
        let body: ByteBuffer
        do { body = try await request.collectBody(upTo: 4 * 1024) } catch { throw APIError.http(.contentTooLarge) }
        let form = String(buffer: body)
        var token = ""
        for pair in form.split(separator: "&") where pair.hasPrefix("token=") {
            token = String(pair.dropFirst(6)).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? ""
        }
        guard let adminToken, !token.isEmpty, Digest.constantTimeEquals(token, adminToken.value) else {
            front.logger.warning("ops login refused")
            return html(OpsHTML.loginPage(error: "That is not the operator token."), status: .unauthorized)
        }
        let session = sessions.open(nowMillis: Clock.nowMillis())
        var response = redirect("/ops")
        response.headers[.setCookie] = "\(OpsSessions.cookieName)=\(session); Path=/ops; HttpOnly; SameSite=Strict"
            + (secureCookie ? "; Secure" : "") + "; Max-Age=\(sessions.lifetimeMillis / 1000)"
        front.logger.notice("ops login")
        return response
    }

    // MARK: Pages

    func overview() async throws -> String {
        let now = Clock.nowMillis()
        let runtime = front.runtime
        let table = runtime.snapshot.table
        let router = runtime.router(nowMillis: now)
        let loads = runtime.tableLoads

        // Routing now: every service × currency, at the service's smallest amount.
        var routing: [[String]] = []
        for service in table.services.sorted(by: { $0.code < $1.code }) {
            for code in service.currencies.sorted() {
                guard let currency = Currency(code: code) else { continue }
                let amount = service.amountMin?.text ?? MinorUnits.format(1, exponent: currency.exponent)
                let explanation = try? RouteExplanation.explain(router: router, service: service.code, currency: code, amount: amount, merchantID: nil)
                let goes = explanation?.decision.map { decision in
                    "\(OpsHTML.escape(decision.routeID ?? "-")): " + decision.candidates.map(OpsHTML.escape).joined(separator: " → ")
                } ?? "<span class=\"bad\">nowhere: \(OpsHTML.escape(explanation?.failure ?? "-"))</span>"
                let excluded = (explanation?.skipped ?? [:]).sorted { $0.key < $1.key }
                    .map { "<b>\(OpsHTML.escape($0.key))</b>: \(OpsHTML.escape($0.value))" }.joined(separator: "<br>")
                routing.append([OpsHTML.escape(service.code), OpsHTML.escape(code), goes, excluded.isEmpty ? "<span class=\"muted\">none</span>" : excluded])
            }
        }
        var loadLine = "Table version \(loads.version), loaded \(OpsHTML.time(loads.loadedAtMillis)) (\(OpsHTML.age(now - loads.loadedAtMillis)) ago)."
        if let refused = loads.lastRefusedAtMillis {
            loadLine += " <span class=\"bad\">Last reload refused \(OpsHTML.time(refused)):</span> "
                + loads.lastRefusedErrors.map(OpsHTML.escape).joined(separator: "; ")
        }

        // Providers.
        let services = runtime.servicesCache.snapshot()
        var providers: [[String]] = []
        for id in table.providers.keys.sorted() {
            let breaker: String
            switch runtime.health.state(id)?.phase ?? .closed {
            case .closed: breaker = "<span class=\"ok\">closed</span>"
            case .open(let until): breaker = until > now ? "<span class=\"bad\">open (\(OpsHTML.age(until - now)) left)</span>" : "half-open"
            case .halfOpen: breaker = "half-open"
            }
            let list = services[id].map { entry in
                (entry.fetchedAtMillis > 0 ? OpsHTML.age(now - entry.fetchedAtMillis) : "never read")
                    + (entry.lastError.map { " <span class=\"bad\">(last read failed: \(OpsHTML.escape(String($0.prefix(120)))))</span>" } ?? "")
            } ?? "<span class=\"muted\">not read</span>"
            let stats = runtime.callStats.summary(id, nowMillis: now)
            let latency = stats.latency.keys.sorted().map { call in
                let value = stats.latency[call]!
                return "\(OpsHTML.escape(call)): \(OpsHTML.format(value.p50)) / \(OpsHTML.format(value.p99)) ms"
            }.joined(separator: "<br>")
            providers.append([
                OpsHTML.escape(id), breaker, list, "\(stats.callsPerMinute.last ?? 0) / \(stats.calls)",
                stats.calls == 0 ? "-" : (stats.errorShare > 0.1 ? "<span class=\"bad\">" : "<span>") + String(format: "%.1f %%", stats.errorShare * 100) + "</span>",
                latency.isEmpty ? "<span class=\"muted\">no calls</span>" : latency,
                OpsHTML.sparkline(calls: stats.callsPerMinute, failures: stats.failuresPerMinute, label: "\(id): calls per minute, last hour"),
            ])
        }

        // Needs attention.
        let pending = try await front.store.pendingPayouts(limit: 100)
        let attention = pending.map { payout in [
            "<a href=\"/ops/payouts/\(OpsHTML.escape(payout.id))\">\(OpsHTML.escape(payout.id))</a>",
            OpsHTML.escape(payout.merchantId), OpsHTML.escape(payout.providerId ?? "-"),
            OpsHTML.escape(PendingReasonKind.classify(payout.pendingReason).rawValue),
            OpsHTML.escape(payout.pendingReason ?? "the provider reports it pending"), OpsHTML.age(now - payout.updatedMs),
            "<form method=\"post\" action=\"/ops/payouts/\(OpsHTML.escape(payout.id))/check\"><button type=\"submit\">Query status now</button></form>",
        ] }
        let failing = try await front.store.failingWebhooks(minimumAttempts: 3, limit: 50)
        let webhooks = failing.map { webhook in [
            "<a href=\"/ops/payouts/\(OpsHTML.escape(webhook.payoutId))\">\(OpsHTML.escape(webhook.payoutId))</a>",
            OpsHTML.escape(webhook.merchantId), OpsHTML.escape(webhook.payoutStatus), "\(webhook.attempts)",
            OpsHTML.escape(webhook.lastCode.map { "HTTP \($0)" } ?? webhook.lastError ?? "-"), OpsHTML.age(now - webhook.createdMs),
        ] }
        let state = try await front.store.operationalState(nowMs: now)
        let counts = state.nonFinalByStatus.sorted { $0.key < $1.key }.map { "\(OpsHTML.escape($0.key)) \($0.value)" }.joined(separator: ", ")

        return """
        <section id="routing"><h2>Routing now</h2><p>\(loadLine)</p>
        \(OpsHTML.table(["Service", "Currency", "Goes to (route: candidates in order)", "Excluded providers and why"], routing, empty: "No services are configured."))</section>
        <section id="providers"><h2>Providers</h2>
        \(OpsHTML.table(["Provider", "Breaker", "Services list age", "Calls this minute / hour", "Error share (1 h)", "p50 / p99 by call (1 h)", "Calls per minute (1 h; failures red)"], providers, empty: "No providers are configured."))</section>
        <section id="attention"><h2>Needs attention</h2>
        <p>Non-final payouts: \(counts.isEmpty ? "none" : counts). Webhooks pending: \(state.webhooksPending)\(state.webhooksPending > 0 ? ", oldest \(OpsHTML.age(state.oldestWebhookAgeMillis))" : "").</p>
        <h3>Waiting in process_pending</h3>
        \(OpsHTML.table(["Payout", "Merchant", "Provider", "Kind", "Reason", "Waiting", ""], attention, empty: "No payout waits in process_pending."))
        <h3>Webhooks that keep failing</h3>
        \(OpsHTML.table(["Payout", "Merchant", "Status sent", "Attempts", "Last answer", "Age"], webhooks, empty: "No webhook has failed three times."))</section>
        """
    }

    func payouts(_ request: Request) async throws -> String {
        func query(_ name: String) -> String? {
            request.uri.queryParameters[Substring(name)].map(String.init).flatMap { $0.isEmpty || $0.count > 128 ? nil : $0 }
        }
        let filter = OpsPayoutFilter(merchantId: query("merchant"), status: query("status"), providerId: query("provider"), referenceId: query("reference"))
        let rows = try await front.store.opsPayouts(filter, limit: 100).map { payout -> [String] in
            let currency = Currency(code: payout.currency)
            return [
                "<a href=\"/ops/payouts/\(OpsHTML.escape(payout.id))\">\(OpsHTML.escape(payout.id))</a>", OpsHTML.time(payout.createdMs),
                OpsHTML.escape(payout.merchantId), OpsHTML.escape(payout.referenceId), OpsHTML.escape(payout.status),
                OpsHTML.escape(MinorUnits.format(payout.amountMinor, exponent: currency?.exponent ?? 2) + " " + payout.currency),
                OpsHTML.escape(payout.providerId ?? "-"), OpsHTML.escape(payout.pendingReason ?? ""),
            ]
        }
        let statuses = ([""] + PayoutStatus.allCases.map(\.rawValue)).map { status in
            "<option value=\"\(status)\"\(status == (filter.status ?? "") ? " selected" : "")>\(status.isEmpty ? "any status" : status)</option>"
        }.joined()
        func field(_ name: String, _ value: String?, _ placeholder: String) -> String {
            "<input name=\"\(name)\" value=\"\(OpsHTML.escape(value ?? ""))\" placeholder=\"\(placeholder)\">"
        }
        return """
        <section id="payouts"><h2>Payouts</h2>
        <form class="filters" method="get" action="/ops/payouts">\(field("merchant", filter.merchantId, "merchant id"))<select name="status">\(statuses)</select>\(field("provider", filter.providerId, "provider"))\(field("reference", filter.referenceId, "reference id"))<button type="submit">Filter</button></form>
        \(OpsHTML.table(["Payout", "Created", "Merchant", "Reference", "Status", "Amount", "Provider", "Pending reason"], rows, empty: "No payout matches."))</section>
        """
    }

    func payout(_ id: String) async throws -> Response {
        guard id.count <= 64, let payout = try await front.store.payout(id: id) else { throw APIError.notFound }
        let events = try await front.store.events(payoutId: id)
        let history = try await front.store.history(payoutId: id)
        let now = Clock.nowMillis()
        let currency = Currency(code: payout.currency)
        let decision = payout.decision.flatMap(RouteDecision.parse)
        let summary: [[String]] = [
            ["Merchant", OpsHTML.escape(payout.merchantId)], ["Reference", OpsHTML.escape(payout.referenceId)],
            ["Status", OpsHTML.escape(payout.status) + (payout.pendingReason.map { " — \(OpsHTML.escape($0))" } ?? "")],
            ["Amount", OpsHTML.escape(MinorUnits.format(payout.amountMinor, exponent: currency?.exponent ?? 2) + " " + payout.currency)],
            ["Service", OpsHTML.escape(payout.service)], ["Destination", OpsHTML.escape(payout.fieldsMasked)],
            ["Routing decision", decision.map { decision in
                "route \(OpsHTML.escape(decision.routeID ?? "-")), candidates " + decision.candidates.map(OpsHTML.escape).joined(separator: " → ")
                    + (decision.skipped.isEmpty ? "" : "; excluded: " + decision.skipped.sorted { $0.key < $1.key }
                        .map { "\(OpsHTML.escape($0.key)) (\(OpsHTML.escape($0.value)))" }.joined(separator: ", "))
            } ?? "-"],
            ["Created / updated", "\(OpsHTML.time(payout.createdMs)) / \(OpsHTML.time(payout.updatedMs))"],
            ["Next action", payout.nextActionAt.map { $0 <= now ? "due now" : "in \(OpsHTML.age($0 - now))" } ?? "none (final)"],
        ]
        let timeline = events.map { [OpsHTML.time($0.atMs), OpsHTML.escape($0.kind), "<code>\(OpsHTML.escape($0.detail))</code>"] }
        let attempts = history.attempts.map { attempt in [
            "\(attempt.number)", OpsHTML.escape(attempt.providerId), OpsHTML.escape(attempt.state), OpsHTML.escape(attempt.providerPayoutId ?? "-"),
            OpsHTML.escape(attempt.providerStatus ?? "-"), "\(attempt.sends) / \(attempt.confirmSends)", OpsHTML.escape(attempt.resolution ?? ""),
        ] }
        let webhooks = history.webhooks.map { webhook in [
            OpsHTML.time(webhook.createdMs), OpsHTML.escape(webhook.payoutStatus), OpsHTML.escape(webhook.state), "\(webhook.attempts)",
            OpsHTML.escape(webhook.lastCode.map { "HTTP \($0)" } ?? webhook.lastError ?? "-"),
        ] }
        let body = """
        <section id="payout"><h2>Payout \(OpsHTML.escape(payout.id))</h2>
        \(OpsHTML.table(["", ""], summary, empty: ""))
        <form method="post" action="/ops/payouts/\(OpsHTML.escape(payout.id))/check"><button type="submit">Query status now</button></form></section>
        <section id="timeline"><h2>Timeline</h2>\(OpsHTML.table(["At", "Event", "Detail"], timeline, empty: "No events."))</section>
        <section id="attempts"><h2>Attempts (provider calls)</h2>\(OpsHTML.table(["#", "Provider", "Phase", "Provider's id", "Provider status", "Creates / confirms sent", "Resolution"], attempts, empty: "No provider was asked yet."))</section>
        <section id="webhooks"><h2>Webhooks</h2>\(OpsHTML.table(["Queued", "Status", "State", "Attempts", "Last answer"], webhooks, empty: "No webhook (no callback_url, or nothing changed yet)."))</section>
        """
        return html(OpsHTML.page(title: payout.id, body: body))
    }

    // MARK: Answers

    func html(_ body: String, refresh: Int? = nil, status: HTTPResponse.Status = .ok) -> Response {
        let text = body.hasPrefix("<!doctype") ? body : OpsHTML.page(title: "Operations", body: body, refreshSeconds: refresh.map { max(5, min($0, 3_600)) })
        return Response(status: status, headers: [
            .contentType: "text/html; charset=utf-8", .cacheControl: "no-store",
            HTTPField.Name("Content-Security-Policy")!: "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'",
            HTTPField.Name("X-Content-Type-Options")!: "nosniff",
        ], body: .init(byteBuffer: ByteBuffer(string: text)))
    }

    func redirect(_ location: String) -> Response {
        Response(status: .seeOther, headers: [.location: location, .cacheControl: "no-store"])
    }
}
