import HTTPTypes
import Logging
/// The dialect's invoice statuses as the gateway uses them towards merchants.
public enum PayoutStatus {
    public static let created = "created"
    public static let processing = "processing"
    public static let processPending = "process_pending"
    public static let processed = "processed"
    public static let processFailed = "process_failed"

    /// Statuses after which the gateway stops driving the payout (a reversal may still follow a success).
    public static let final: Set<String> = [
        "processed", "partially_processed", "process_failed", "expired", "terminated",
        "canceled", "partially_canceled", "cancel_failed",
    ]

    public static func isFinal(_ status: String) -> Bool { final.contains(status) }
}
