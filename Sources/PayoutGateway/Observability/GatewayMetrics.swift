import CoreMetrics
import Metrics
import Prometheus
import Synchronization

/// The gateway's Prometheus registry; `bootstrap()` installs it as the process's metrics backend (once, in main).
public enum GatewayMetrics {
    public static let registry = PrometheusCollectorRegistry()

    /// Installs the Prometheus factory for swift-metrics. Call once per process, before building the app.
    public static func bootstrap() {
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
        bootstrapped.store(true, ordering: .releasing)
        registerAtZero()
    }

    /// Handles are kept once the backend is installed (before that a handle would stay bound to the no-op backend).
    private static let bootstrapped = Atomic(false)

    private struct HandleKey: Hashable {
        let label: String
        let dimensions: [String]
        init(_ label: String, _ dimensions: [(String, String)]) {
            self.label = label
            self.dimensions = dimensions.flatMap { [$0.0, $0.1] }
        }
    }

    /// Handles of one kind by label and dimensions, each made once: making one asks the Prometheus registry, which
    /// validates the name and takes its lock, on every provider call and status change otherwise.
    private final class HandleCache<Handle: Sendable>: Sendable {
        private let handles = Mutex<[HandleKey: Handle]>([:])
        private let make: @Sendable (String, [(String, String)]) -> Handle

        init(_ make: @escaping @Sendable (String, [(String, String)]) -> Handle) {
            self.make = make
        }

        func handle(_ label: String, _ dimensions: [(String, String)]) -> Handle {
            guard bootstrapped.load(ordering: .acquiring) else { return make(label, dimensions) }
            let key = HandleKey(label, dimensions)
            if let handle = handles.withLock({ $0[key] }) { return handle }
            let handle = make(label, dimensions)
            handles.withLock { $0[key] = handle }
            return handle
        }
    }

    private static let counters = HandleCache { Counter(label: $0, dimensions: $1) }
    private static let timers = HandleCache { Timer(label: $0, dimensions: $1) }

    static func counter(_ label: String, _ dimensions: [(String, String)] = []) -> CoreMetrics.Counter {
        counters.handle(label, dimensions)
    }

    static func timer(_ label: String, _ dimensions: [(String, String)] = []) -> CoreMetrics.Timer {
        timers.handle(label, dimensions)
    }

    /// Series whose label values are known in advance exist from the start at 0, so that alert rules and dashboards
    /// see them before the first event (a rate over a series that does not exist yet is empty, not 0).
    static func registerAtZero() {
        _ = Counter(label: "payout_gateway_payouts_created_total")
        _ = Counter(label: "payout_gateway_lease_losses_total")
        for kind in LifecycleAlert.Kind.allCases {
            _ = Counter(label: "payout_gateway_lifecycle_alerts_total", dimensions: [("kind", kind.rawValue)])
        }
        for delivered in ["true", "false"] {
            _ = Counter(label: "payout_gateway_webhook_attempts_total", dimensions: [("delivered", delivered)])
        }
        for status in PayoutStatus.allCases {
            _ = Counter(label: "payout_gateway_payout_status_changes_total", dimensions: [("status", status.rawValue)])
        }
    }

    /// The text exposition served at `/metrics`.
    public static func exposition() -> String { registry.emitToString() }

    static func payoutCreated() {
        counter("payout_gateway_payouts_created_total").increment()
    }

    static func statusChanged(to status: String) {
        counter("payout_gateway_payout_status_changes_total", [("status", status)]).increment()
    }

    /// A payout that needs an operator: parked, contradicting answers, a mismatching adopted payout …
    static func lifecycleAlert(_ kind: String) {
        counter("payout_gateway_lifecycle_alerts_total", [("kind", kind)]).increment()
    }

    static func providerCall(_ provider: String, call: String, outcome: String) {
        counter("payout_gateway_provider_calls_total", [("provider", provider), ("call", call), ("outcome", outcome)]).increment()
    }

    /// One provider call's time (submit, confirm, lookup, services, prerequest), by provider and kind.
    static func providerCallDuration(_ provider: String, call: String, _ duration: Duration) {
        timer("payout_gateway_provider_call_duration_seconds", [("provider", provider), ("call", call)])
            .recordNanoseconds(nanoseconds(duration))
    }

    /// One engine step from claim to its last commit (provider calls included).
    static func engineStep(_ duration: Duration) {
        timer("payout_gateway_engine_step_duration_seconds").recordNanoseconds(nanoseconds(duration))
    }

    static func nanoseconds(_ duration: Duration) -> Int64 {
        let (seconds, attoseconds) = duration.components
        return seconds * 1_000_000_000 + attoseconds / 1_000_000_000
    }

    /// A step whose lease was gone at its commit (another worker or instance took the payout): nothing was written.
    static func leaseLost() {
        counter("payout_gateway_lease_losses_total").increment()
    }

    /// Where the router sent a new payout: its route and first candidate ("none" when nothing could take it).
    static func routingDecision(route: String, provider: String) {
        counter("payout_gateway_routing_decisions_total", [("route", route), ("provider", provider)]).increment()
    }

    /// Gauges read at each scrape: breakers, services-list ages, the store's non-final payouts and webhook outbox.
    static func refresh(runtime: GatewayRuntime, state: OperationalState?, nowMillis: Int64) {
        let table = runtime.snapshot.table
        let services = runtime.servicesCache.snapshot()
        for id in table.providers.keys {
            // 0 closed, 1 open, 2 half-open.
            let phase: Double
            switch runtime.health.state(id)?.phase ?? .closed {
            case .closed: phase = 0
            case .open(let until): phase = nowMillis >= until ? 2 : 1
            case .halfOpen: phase = 2
            }
            Gauge(label: "payout_gateway_provider_breaker_state", dimensions: [("provider", id)]).record(phase)
            if let entry = services[id], entry.fetchedAtMillis > 0 {
                Gauge(label: "payout_gateway_provider_services_age_seconds", dimensions: [("provider", id)])
                    .record(Double(max(0, nowMillis - entry.fetchedAtMillis)) / 1000)
            }
        }
        guard let state else { return }
        for status in PayoutStatus.allCases where !status.isFinal {
            Gauge(label: "payout_gateway_payouts_non_final", dimensions: [("status", status.rawValue)])
                .record(Double(state.nonFinalByStatus[status.rawValue] ?? 0))
        }
        for kind in PendingReasonKind.allCases {
            Gauge(label: "payout_gateway_process_pending_payouts", dimensions: [("reason", kind.rawValue)])
                .record(Double(state.pendingByReason[kind.rawValue] ?? 0))
        }
        Gauge(label: "payout_gateway_webhooks_pending").record(Double(state.webhooksPending))
        Gauge(label: "payout_gateway_webhook_oldest_pending_age_seconds").record(Double(state.oldestWebhookAgeMillis) / 1000)
    }

    static func webhookAttempt(delivered: Bool) {
        counter("payout_gateway_webhook_attempts_total", [("delivered", delivered ? "true" : "false")]).increment()
    }
}
