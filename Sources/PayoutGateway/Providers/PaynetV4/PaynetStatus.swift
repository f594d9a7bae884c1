/// Maps PaynetEasy status / order-stage answers to outcomes.
public enum PaynetStatus {
    /// - Parameters:
    ///   - status: `processing`, `approved`, `declined`, `filtered`, `error`, `unknown` (anything else is unknown).
    ///   - stage: the order-stage, compared case-insensitively.
    ///   - checkPhase: true while a bank-confirmation payout waits for payout-pay.
    public static func outcome(status: String, stage: String?, checkPhase: Bool, validatedStage: String) -> (ProviderOutcome, PayoutStatus) {
        switch status.lowercased() {
        case "approved":
            return (.succeeded, .processed)
        case "declined", "filtered", "error":
            return (.failed, .processFailed)
        case "processing":
            if checkPhase, stage?.lowercased() == validatedStage.lowercased() { return (.awaitingConfirmation, .created) }
            return (checkPhase ? .checking : .processing, .processing)
        default:
            // `unknown` or a word the docs do not list: never final, never retried blindly.
            return (.pending, .processPending)
        }
    }
}
