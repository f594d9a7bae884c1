import HTTPTypes
import Logging
/// Timings of the payout engine; tests shrink them.
public struct EngineSettings: Sendable {
    /// How long a claimed payout stays leased to one worker (longer than any step's provider calls).
    public var leaseMillis: Int64 = 90_000
    /// Wait before the first lookup after an ambiguous answer.
    public var ambiguousLookupDelayMillis: Int64 = 1_000
    /// An absent lookup must be seen twice this far apart before the create is sent again.
    public var absenceGraceMillis: Int64 = 5_000
    /// How often a create may be sent to one provider that refuses a repeated reference (the first send included);
    /// past that an unclear payout is parked, never moved to another provider.
    public var maxSendsPerProvider: Int64 = 3
    /// How often a confirming call (payout-pay, process) may be sent for one attempt; past that the payout is parked.
    public var maxConfirmSends: Int64 = 3
    /// A bank check (PaynetEasy `payout-check`) that has not validated after this long is parked as `process_pending`
    /// with a reason (it keeps being polled).
    public var bankCheckTimeoutMillis: Int64 = 30 * 60_000
    /// A lease must outlast the longest provider call by this much (the configuration refuses a shorter lease).
    public var leaseMarginMillis: Int64 = 2_000
    /// Backoff after a failed lookup, doubling to the cap.
    public var lookupBackoffMillis: Int64 = 2_000
    public var lookupBackoffCapMillis: Int64 = 300_000
    /// Status polling of an attempt backs off with its age: the provider's own interval while younger than
    /// `youngMillis`, then these intervals by age (30 s until an hour, 5 min until a day, then hourly).
    public var youngMillis: Int64 = 10 * 60_000
    public var backoffSchedule: [(olderThanMillis: Int64, intervalMillis: Int64)] = [
        (10 * 60_000, 30_000), (60 * 60_000, 5 * 60_000), (24 * 60 * 60_000, 60 * 60_000),
    ]
    /// How long an invoice created with `auto_process: false` waits for `/process` before it is `expired`.
    public var invoiceLifetimeMillis: Int64 = 24 * 60 * 60_000
    /// Payouts stepped at once by one instance (a sliding window: a finished step frees its slot at once). Wider
    /// drains a backlog without webhooks faster on SQLite, but takes the CPU that creates and webhook deliveries
    /// share (BENCHMARKS.md, "Engine width"); 16 stays the default.
    public var concurrency: Int = 16
    /// Payouts stepped at once for one provider, so that one hanging provider cannot hold every worker.
    public var providerConcurrency: Int = 8
    /// Webhooks delivered at once, and at once to one merchant.
    public var webhookConcurrency: Int = 16
    public var webhookMerchantConcurrency: Int = 4
    /// Creates answer 429 (with `Retry-After`) while the engine's backlog (non-final payouts to process) is at least
    /// this large; 0 turns the bound off.
    public var maxBacklog: Int = 20_000
    /// Idle sleep between claims.
    public var idleMillis: Int64 = 100
    /// Public base URL of this gateway, for the providers' callbacks (`{base}/callbacks/{provider-id}`).
    public var publicBaseURL: String = "http://127.0.0.1:8080"
    /// Merchant webhook retry: delay n × this before retry n (1, 2, 3 … minutes by default), capped.
    public var webhookStepMillis: Int64 = 60_000
    public var webhookCapMillis: Int64 = 3_600_000
    public var webhookMaxAttempts: Int64 = 100
    public var webhookTimeoutSeconds: Double = 20
    /// Hosts merchant webhooks may reach over `http` and at private addresses (`PAYOUT_GATEWAY_WEBHOOK_HOSTS`); `*`
    /// turns the destination checks off. The demo allows loopback.
    public var webhookAllowedHosts: [String]?
    /// Outside demo mode a webhook URL needs `https` (unless its host is allowed).
    public var webhookRequireHTTPS = true
    /// Test seams: how names resolve and which addresses are refused (defaults: getaddrinfo, the standard ranges).
    public var webhookResolve: (@Sendable (String) async -> [IPAddressBytes])?
    public var webhookAddressRefused: (@Sendable (IPAddressBytes) -> Bool)?

    /// Where merchant webhooks may go, from the settings above.
    public var webhookPolicy: WebhookDestinationPolicy {
        var policy = WebhookDestinationPolicy(allowedHosts: webhookAllowedHosts ?? [], requireHTTPS: webhookRequireHTTPS)
        if let refused = webhookAddressRefused { policy.isRefused = refused }
        return policy
    }

    public init() {}

    /// Engine timings from the environment (operators and the chaos suite tune them without rebuilding).
    public mutating func apply(environment: [String: String]) {
        func millis(_ name: String) -> Int64? { environment[name].flatMap { Int64($0) }.flatMap { $0 >= 0 ? $0 : nil } }
        if let value = millis("PAYOUT_GATEWAY_LEASE_MS"), value >= 500 { leaseMillis = value }
        if let value = millis("PAYOUT_GATEWAY_ABSENCE_GRACE_MS") { absenceGraceMillis = value }
        if let value = millis("PAYOUT_GATEWAY_LOOKUP_BACKOFF_MS"), value > 0 { lookupBackoffMillis = value }
        if let value = millis("PAYOUT_GATEWAY_LOOKUP_BACKOFF_CAP_MS"), value > 0 { lookupBackoffCapMillis = value }
        if let value = millis("PAYOUT_GATEWAY_WEBHOOK_STEP_MS"), value > 0 { webhookStepMillis = value }
        if let value = millis("PAYOUT_GATEWAY_WEBHOOK_CAP_MS"), value > 0 { webhookCapMillis = value }
        if let value = millis("PAYOUT_GATEWAY_AMBIGUOUS_LOOKUP_DELAY_MS") { ambiguousLookupDelayMillis = value }
        if let value = millis("PAYOUT_GATEWAY_INVOICE_LIFETIME_MS"), value > 0 { invoiceLifetimeMillis = value }
        if let value = environment["PAYOUT_GATEWAY_ENGINE_CONCURRENCY"].flatMap(Int.init), (1...256).contains(value) {
            concurrency = value
            providerConcurrency = max(1, value / 2)
        }
        if let value = environment["PAYOUT_GATEWAY_PROVIDER_CONCURRENCY"].flatMap(Int.init), (1...256).contains(value) { providerConcurrency = value }
        if let value = environment["PAYOUT_GATEWAY_MAX_BACKLOG"].flatMap(Int.init), value >= 0 { maxBacklog = value }
        if let value = millis("PAYOUT_GATEWAY_BANK_CHECK_TIMEOUT_MS"), value > 0 { bankCheckTimeoutMillis = value }
        if let value = environment["PAYOUT_GATEWAY_MAX_CONFIRM_SENDS"].flatMap(Int64.init), (1...20).contains(value) { maxConfirmSends = value }
    }
}

extension EngineSettings {
    /// Why this lease is too short for these providers (nil when it is long enough): a lease must outlast the longest
    /// provider call plus a margin, so that a worker never loses it while a call is in flight.
    public func leaseProblem(_ table: RoutingTable) -> String? {
        guard let longest = table.providers.values.max(by: { $0.timeoutSeconds < $1.timeoutSeconds }) else { return nil }
        let needed = Int64(longest.timeoutSeconds * 1000) + leaseMarginMillis
        guard leaseMillis < needed else { return nil }
        return "the engine lease (\(leaseMillis) ms) must exceed the longest provider timeout (\(longest.id): \(Int64(longest.timeoutSeconds * 1000)) ms) plus \(leaseMarginMillis) ms; raise PAYOUT_GATEWAY_LEASE_MS or lower timeout_seconds"
    }
}
