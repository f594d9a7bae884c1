import Foundation
import Logging

/// Operators' actions on one payout, taken under a lease like an engine step (so they never race one).
public struct PayoutOperator: Sendable {
    let stepper: PayoutStepper
    let store: any PayoutStore

    public init(store: any PayoutStore, runtime: GatewayRuntime, settings: EngineSettings, logger: Logger) {
        self.store = store
        self.stepper = PayoutStepper(
            store: store, runtime: runtime, sealer: FieldSealer.random(), settings: settings,
            owner: "operator-" + Identifier.random(length: 8), logger: logger)
    }

    public enum ReleaseResult: Sendable, Equatable {
        case released
        case notFound
        /// A worker holds the payout right now: try again in a moment.
        case busy
        /// The attempt is not parked without a payout (the provider holds it, a call is in flight, or it is final).
        case refused(phase: String)
    }

    /// Releases a parked attempt after an operator checked with the provider that it holds no payout: the payout may
    /// then go to the next candidate. Only an attempt in `unclear` (parked) or `resend_due` can be released.
    public func release(payoutID: String, reason: String) async throws -> ReleaseResult {
        let now = stepper.now()
        guard let claimed = try await stepper.store.claimPayout(id: payoutID, owner: stepper.owner, nowMs: now, leaseMs: stepper.settings.leaseMillis) else {
            return try await store.payout(id: payoutID) == nil ? .notFound : .busy
        }
        var lifecycle = PayoutLifecycle(payout: claimed, attempts: try await stepper.store.attempts(payoutId: payoutID))
        guard lifecycle.release(reason: reason, stepper.context(stepper.runtime.snapshot)) else {
            try await stepper.store.releaseLease(payoutId: payoutID, owner: stepper.owner, token: claimed.leaseToken, nextActionAt: claimed.nextActionAt ?? now)
            return .refused(phase: lifecycle.currentAttempt?.state ?? "none")
        }
        try await stepper.commit(&lifecycle, keepLease: false)
        stepper.logger.notice("parked payout released by an operator", metadata: ["payout.id": "\(payoutID)"])
        return .released
    }
}
