import Logging
import Synchronization
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
    let runtime: GatewayRuntime
    let logger: Logger

    public init(store: any PayoutStore, runtime: GatewayRuntime, sealer: FieldSealer, settings: EngineSettings, logger: Logger) {
        let owner = "gw-" + Identifier.random(length: 12)
        self.store = store
        self.settings = settings
        self.runtime = runtime
        self.logger = logger
        self.stepper = PayoutStepper(store: store, runtime: runtime, sealer: sealer, settings: settings, owner: owner, logger: logger)
    }

    public func run() async throws {
        let window = SlidingWindow(limit: settings.concurrency, perKey: settings.providerConcurrency)
        let owner = stepper.owner
        let planner = ClaimPlanner()
        await window.drive(
            idleMillis: settings.idleMillis, logger: logger, what: "due payouts",
            claim: { room in
                let nowMs = Clock.nowMillis()
                let plan = planner.plan(room: room, providers: runtime.snapshot.table.providers.keys.sorted(), nowMs: nowMs)
                return try await store.claimDuePayouts(owner: owner, nowMs: nowMs, leaseMs: settings.leaseMillis, plan: plan)
            },
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
        payout.queueKey ?? "-"
    }
}

/// Turns the window's room into a claim: each configured provider up to its free share, served in rotation so that
/// no provider always comes first; payouts of other queues (a provider removed from the routes, payouts stored before
/// queues existed) are looked for at most once a second, as that read cannot use the per-provider index.
final class ClaimPlanner: Sendable {
    static let othersEveryMillis: Int64 = 1_000
    private let state = Mutex((rotation: 0, othersAtMs: Int64(0)))

    func plan(room: SlidingWindow.Room, providers: [String], nowMs: Int64) -> ClaimPlan {
        let (rotation, includeOthers) = state.withLock { state -> (Int, Bool) in
            state.rotation &+= 1
            let includeOthers = providers.isEmpty || nowMs - state.othersAtMs >= Self.othersEveryMillis
            if includeOthers { state.othersAtMs = nowMs }
            return (state.rotation, includeOthers)
        }
        return Self.plan(room: room, providers: providers, rotation: rotation, includeOthers: includeOthers)
    }

    static func plan(room: SlidingWindow.Room, providers: [String], rotation: Int, includeOthers: Bool) -> ClaimPlan {
        func share(_ key: String) -> Int { max(0, room.perKeyLimit - room.held[key, default: 0]) }
        var queues: [ClaimPlan.Queue] = []
        if !providers.isEmpty {
            let start = (rotation % providers.count + providers.count) % providers.count
            for key in providers[start...] + providers[..<start] { queues.append(.init(key: key, room: share(key))) }
        }
        return ClaimPlan(total: room.free, queues: queues, othersRoom: includeOthers ? share("-") : 0)
    }
}
