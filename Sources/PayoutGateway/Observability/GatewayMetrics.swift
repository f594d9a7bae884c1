import Metrics
import Prometheus

/// The gateway's Prometheus registry; `bootstrap()` installs it as the process's metrics backend (once, in main).
public enum GatewayMetrics {
    public static let registry = PrometheusCollectorRegistry()

    /// Installs the Prometheus factory for swift-metrics. Call once per process, before building the app.
    public static func bootstrap() {
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
    }

    /// The text exposition served at `/metrics`.
    public static func exposition() -> String { registry.emitToString() }

    static func payoutCreated() {
        Counter(label: "payout_gateway_payouts_created_total").increment()
    }

    static func statusChanged(to status: String) {
        Counter(label: "payout_gateway_payout_status_changes_total", dimensions: [("status", status)]).increment()
    }

    /// A payout that needs an operator: parked, contradicting answers, a mismatching adopted payout …
    static func lifecycleAlert(_ kind: String) {
        Counter(label: "payout_gateway_lifecycle_alerts_total", dimensions: [("kind", kind)]).increment()
    }

    static func providerCall(_ provider: String, call: String, outcome: String) {
        Counter(label: "payout_gateway_provider_calls_total", dimensions: [("provider", provider), ("call", call), ("outcome", outcome)]).increment()
    }

    static func webhookAttempt(delivered: Bool) {
        Counter(label: "payout_gateway_webhook_attempts_total", dimensions: [("delivered", delivered ? "true" : "false")]).increment()
    }
}
