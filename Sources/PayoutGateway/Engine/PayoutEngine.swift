import Logging
import ServiceLifecycle
import Synchronization

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
        await withDiscardingTaskGroup { group in
            while !Task.isShuttingDownGracefully, !Task.isCancelled {
                let free = window.free
                guard free > 0 else {
                    await window.waitForSlot()
                    continue
                }
                let claimed: [PayoutRecord]
                do {
                    claimed = try await store.claimDuePayouts(owner: stepper.owner, nowMs: Clock.nowMillis(), leaseMs: settings.leaseMillis, limit: free)
                } catch {
                    logger.error("claiming due payouts failed", metadata: ["error": "\(String(describing: type(of: error)))"])
                    try? await Task.sleep(for: .seconds(1))
                    continue
                }
                for payout in claimed {
                    let key = Self.providerKey(payout)
                    guard window.enter(key) else {
                        // This provider already holds its share of the workers: give the payout back for a moment.
                        try? await store.releaseLease(payoutId: payout.id, owner: stepper.owner, token: payout.leaseToken,
                                                      nextActionAt: Clock.nowMillis() + 200)
                        continue
                    }
                    group.addTask {
                        defer { window.leave(key) }
                        do {
                            try await stepper.step(payout)
                        } catch {
                            // The lease expires and the payout is stepped again; nothing half-written stays.
                            logger.error("payout step failed", metadata: ["payout.id": "\(payout.id)", "error": "\(error)"])
                        }
                    }
                }
                if claimed.count < free {
                    try? await Task.sleep(for: .milliseconds(settings.idleMillis))
                }
            }
        }
    }

    /// The provider a step will call: the current attempt's, or the first candidate of the route.
    static func providerKey(_ payout: PayoutRecord) -> String {
        if let provider = payout.providerId { return provider }
        let decision = payout.decision.flatMap { try? JSONCoding.decode(RouteDecision.self, from: $0) }
        return decision?.candidates.first ?? "-"
    }
}

/// Counts work in flight, overall and per key (provider, merchant), and wakes the claimer when a slot frees.
final class SlidingWindow: Sendable {
    private struct State {
        var total = 0
        var perKey: [String: Int] = [:]
        var waiters: [CheckedContinuation<Void, Never>] = []
    }

    private let state = Mutex(State())
    let limit: Int
    let perKeyLimit: Int

    init(limit: Int, perKey: Int) {
        self.limit = max(1, limit)
        self.perKeyLimit = max(1, perKey)
    }

    var free: Int { state.withLock { max(0, limit - $0.total) } }

    /// Takes a slot for `key` unless the window or the key is full.
    func enter(_ key: String) -> Bool {
        state.withLock { state in
            guard state.total < limit, state.perKey[key, default: 0] < perKeyLimit else { return false }
            state.total += 1
            state.perKey[key, default: 0] += 1
            return true
        }
    }

    func leave(_ key: String) {
        let waiters = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            state.total -= 1
            state.perKey[key, default: 1] -= 1
            if state.perKey[key] == 0 { state.perKey[key] = nil }
            defer { state.waiters = [] }
            return state.waiters
        }
        for waiter in waiters { waiter.resume() }
    }

    /// Returns once a slot is free (at once if one is already).
    func waitForSlot() async {
        await withCheckedContinuation { continuation in
            let resumeNow = state.withLock { state -> Bool in
                if state.total < limit { return true }
                state.waiters.append(continuation)
                return false
            }
            if resumeNow { continuation.resume() }
        }
    }
}
