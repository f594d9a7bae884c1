import Logging
import Tracing
import ServiceLifecycle

/// The service that claims due payouts (new, in flight, or left by a crashed instance) and steps them.
/// After a restart every non-final payout is due again once its lease expires: nothing is lost.
///
/// Scheduling is a sliding window: a finished step frees its slot at once (no batch barrier), and no provider holds
/// more than `providerConcurrency` slots, so one hanging provider cannot stall the others.
public struct PayoutEngine: Service {
    let store: any PayoutStore
    let stepper: PayoutStepper
    let settings: EngineSettings
    let logger: Logger

    public init(store: any PayoutStore, runtime: GatewayRuntime, sealer: FieldSealer, settings: EngineSettings, logger: Logger) {
        let owner = "gw-" + Identifier.random(length: 12)
        self.store = store
        self.settings = settings
        self.logger = logger
        self.stepper = PayoutStepper(store: store, runtime: runtime, sealer: sealer, settings: settings, owner: owner, logger: logger)
    }

    public func run() async throws {
        let window = SlidingWindow(limit: settings.concurrency, perKey: settings.providerConcurrency)
        let owner = stepper.owner
        await window.drive(
            idleMillis: settings.idleMillis, logger: logger, what: "due payouts",
            claim: { free in try await store.claimDuePayouts(owner: owner, nowMs: Clock.nowMillis(), leaseMs: settings.leaseMillis, limit: free) },
            key: Self.providerKey,
            // Their provider already holds its share of the workers: give the payouts back for a moment.
            giveBack: { payouts in
                try? await store.releaseLeases(payouts, owner: owner, nextActionAt: Clock.nowMillis() + 200)
            },
            work: { payout in
                do {
                    // Every line the step writes (stepper, adapter, store) names the payout, merchant and provider.
                    try await LogContext.with([
                        "payout.id": .string(payout.id), "merchant.id": .string(payout.merchantId), "provider.id": .string(Self.providerKey(payout)),
                    ]) {
                        try await withSpan("payout.step") { span in
                            span.attributes["payout.id"] = payout.id
                            span.attributes["merchant.id"] = payout.merchantId
                            try await stepper.step(payout)
                        }
                    }
                } catch {
                    // The lease expires and the payout is stepped again; nothing half-written stays.
                    logger.error("payout step failed", metadata: ["payout.id": "\(payout.id)", "error": "\(error)"])
                }
            })
    }

    /// The provider a step will call: the current attempt's, or the first candidate of the route.
    static func providerKey(_ payout: PayoutRecord) -> String {
        if let provider = payout.providerId { return provider }
        let decision = payout.decision.flatMap(RouteDecision.parse)
        return decision?.candidates.first ?? "-"
    }
}
