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
    /// How often a create may be sent to one provider (the first send included).
    public var maxSendsPerProvider: Int64 = 3
    /// Backoff after a failed lookup, doubling to the cap.
    public var lookupBackoffMillis: Int64 = 2_000
    public var lookupBackoffCapMillis: Int64 = 300_000
    /// Payouts stepped at once by one instance.
    public var concurrency: Int = 16
    /// Idle sleep between claims.
    public var idleMillis: Int64 = 100
    /// Public base URL of this gateway, for the providers' callbacks (`{base}/callbacks/{provider-id}`).
    public var publicBaseURL: String = "http://127.0.0.1:8080"
    /// Merchant webhook retry: delay n × this before retry n (1, 2, 3 … minutes by default), capped.
    public var webhookStepMillis: Int64 = 60_000
    public var webhookCapMillis: Int64 = 3_600_000
    public var webhookMaxAttempts: Int64 = 100
    public var webhookTimeoutSeconds: Double = 20
    /// Hosts merchant webhooks may go to; nil or `*` allows any. The demo keeps them on loopback.
    public var webhookAllowedHosts: [String]?

    public init() {}
}
