import Foundation
import HTTPTypes
import NIOCore
@testable import PayoutGateway
import Testing

/// The Prometheus backend, installed once for the test process (swift-metrics allows one bootstrap per process).
enum TestMetrics {
    static let installed: Bool = {
        GatewayMetrics.bootstrap()
        return true
    }()
}

@Suite("Operator metrics, alert rules and dashboard")
struct MetricsTests {
    /// Metric names in a Prometheus text exposition (histograms by their _bucket, _sum and _count series).
    static func names(_ exposition: String) -> Set<String> {
        Set(exposition.split(separator: "\n").filter { !$0.hasPrefix("#") }.compactMap { line in
            line.split(whereSeparator: { $0 == "{" || $0 == " " }).first.map(String.init)
        })
    }

    static func series(_ exposition: String, _ prefix: String) -> [Substring] {
        exposition.split(separator: "\n").filter { $0.hasPrefix(prefix) }
    }

    @Test("counters and timers are made once per label and dimensions, and still count into the exposition")
    func handlesKept() {
        #expect(TestMetrics.installed)
        let provider = "handles-\(UUID().uuidString.prefix(8))"
        let first = GatewayMetrics.counter("payout_gateway_provider_calls_total", [("provider", provider), ("call", "submit"), ("outcome", "accepted")])
        let again = GatewayMetrics.counter("payout_gateway_provider_calls_total", [("provider", provider), ("call", "submit"), ("outcome", "accepted")])
        let other = GatewayMetrics.counter("payout_gateway_provider_calls_total", [("provider", provider), ("call", "lookup"), ("outcome", "accepted")])
        #expect(first === again)
        #expect(first !== other)
        #expect(GatewayMetrics.timer("payout_gateway_engine_step_duration_seconds") === GatewayMetrics.timer("payout_gateway_engine_step_duration_seconds"))
        for _ in 0..<3 { GatewayMetrics.providerCall(provider, call: "submit", outcome: "accepted") }
        let line = Self.series(GatewayMetrics.exposition(), "payout_gateway_provider_calls_total").first { $0.contains(provider) && $0.contains("submit") }
        #expect(line?.hasSuffix(" 3") == true, "\(String(describing: line))")
    }

    @Test("a payout through the demo gateway shows in provider latency, routing, engine, store and breaker metrics; the alert rules and the dashboard name only exported metrics")
    func exportedAndNamed() async throws {
        #expect(TestMetrics.installed)
        let configuration = try await TestGateway.configuration()
        let exposition = try await TestGateway.withGateway(configuration) { _, client in
            // One payout processed, one waiting for /process (non-final, status created).
            let processed = try await client.post("/api/payout-invoices", TestGateway.sampleCreate(autoProcess: true)).json
            let id = try #require(processed["data"]?["id"]?.stringValue)
            _ = try await client.waitForStatus(id, ["processed"])
            _ = try await client.post("/api/payout-invoices", TestGateway.sampleCreate())
            let answer = try await client.get("/metrics", headers: [:])
            #expect(answer.status == .ok)
            return String(buffer: answer.body)
        }
        let names = Self.names(exposition)
        for name in [
            "payout_gateway_provider_call_duration_seconds_bucket", "payout_gateway_provider_calls_total",
            "payout_gateway_engine_step_duration_seconds_count", "payout_gateway_routing_decisions_total",
            "payout_gateway_provider_breaker_state", "payout_gateway_payouts_non_final",
            "payout_gateway_process_pending_payouts", "payout_gateway_webhooks_pending",
            "payout_gateway_webhook_oldest_pending_age_seconds",
        ] {
            #expect(names.contains(name), "\(name) is not exported")
        }
        // Labelled by provider and call kind; the created payout counted by status; the route and its provider.
        #expect(Self.series(exposition, "payout_gateway_provider_call_duration_seconds_count").contains {
            $0.contains("provider=\"payelata\"") && $0.contains("call=\"submit\"")
        })
        #expect(Self.series(exposition, "payout_gateway_payouts_non_final").contains {
            $0.contains("status=\"created\"") && !$0.hasSuffix(" 0") && !$0.hasSuffix(" 0.0")
        })
        #expect(Self.series(exposition, "payout_gateway_routing_decisions_total").contains { $0.contains("provider=\"payelata\"") })
        #expect(Self.series(exposition, "payout_gateway_provider_breaker_state").contains { $0.contains("provider=\"payelata\"") })

        // Every metric the shipped alert rules and dashboard use is one of these.
        let deploy = TestGateway.repositoryRoot.appendingPathComponent("deploy")
        let rules = try String(contentsOf: deploy.appendingPathComponent("prometheus/alerts.yaml"), encoding: .utf8)
        let dashboard = try String(contentsOf: deploy.appendingPathComponent("grafana/payout-gateway.json"), encoding: .utf8)
        let used = Set((rules + dashboard).matches(of: /payout_gateway_[a-z0-9_]+/).map { String($0.output) })
        #expect(used.count >= 10)
        for name in used.sorted() {
            #expect(names.contains(name), "\(name) is named in deploy/ but not exported")
        }
    }

    @Test("every reason the lifecycle parks a payout with falls in a named kind, not 'other'")
    func pendingReasonKinds() {
        let reasons: [(String, PendingReasonKind)] = [
            ("the provider answered duplicate for our reference but its lookups do not find it; check with the provider before releasing", .duplicateUnseen),
            ("the provider reports our reference as existing; looking it up", .duplicateUnseen),
            ("the provider does not find the payout after an unclear create and may still hold it; it is not sent again (repeated_reference: unknown)", .notVisible),
            ("not found after 3 sends whose answers were unclear; it stays with this provider", .notVisible),
            ("waiting for the provider to show the payout", .notVisible),
            ("provider no longer finds the payout it had", .vanished),
            ("provider answer unclear: timeout", .unclearAnswer),
            ("confirming call unclear: 502", .unclearAnswer),
            ("a repeated create was refused (422); an earlier send may have created the payout", .resendRefused),
            ("status unknown: weird", .unknownStatus),
            ("the provider still waits for the confirming call after 3 sends", .confirmNotTaken),
            ("the bank check has not validated after 600 s", .bankCheck),
            ("provider cardzo is not configured", .providerUnconfigured),
            ("every remaining provider is unavailable (circuit open)", .noProvider),
            ("destination fields are no longer available to send again", .fieldsUnavailable),
            ("provider unreachable: connection refused", .providerUnreachable),
        ]
        for (reason, kind) in reasons {
            #expect(PendingReasonKind.classify(reason) == kind, "\(reason)")
        }
        #expect(PendingReasonKind.classify(nil) == .providerPending)
        #expect(PendingReasonKind.classify("something new") == .other)
    }
}
