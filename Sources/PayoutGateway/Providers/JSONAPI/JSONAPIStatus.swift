import HTTPTypes
import Logging
/// Maps JSON:API invoice statuses (both the current cancel family and the 2019 refund family) to outcomes.
public enum JSONAPIStatus {
    public static func outcome(_ raw: String, wasProcessed: Bool = false) -> (ProviderOutcome, merchantStatus: PayoutStatus) {
        let status = raw.lowercased()
        switch status {
        case "created": return (.awaitingConfirmation, .created)
        case "processing": return (.processing, .processing)
        case "process_pending": return (.pending, .processPending)
        case "process_error": return (.pending, .processError)
        case "processed": return (.succeeded, .processed)
        case "partially_processed": return (.succeeded, .partiallyProcessed)
        case "process_failed": return (.failed, .processFailed)
        case "expired": return (.failed, .expired)
        case "terminated": return (.failed, .terminated)
        case "canceling", "cancel_pending", "cancel_error", "refunding", "refund_pending":
            return (.succeeded, PayoutStatus(stored: status == "refunding" ? "canceling" : status == "refund_pending" ? "cancel_pending" : status))
        case "canceled", "refunded": return (wasProcessed ? .reversed : .failed, .canceled)
        case "partially_canceled", "partially_refunded": return (.succeeded, .partiallyCanceled)
        case "cancel_failed", "refund_failed": return (.succeeded, .processed)
        default: return (.pending, .processPending)
        }
    }

    /// Whether the status is final at the provider (no further change expected, except reversals of success).
    public static func isFinal(_ outcome: ProviderOutcome) -> Bool {
        switch outcome {
        case .succeeded, .failed, .reversed: return true
        case .awaitingConfirmation, .checking, .processing, .pending: return false
        }
    }
}
