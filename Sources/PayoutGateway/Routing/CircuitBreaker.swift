import Synchronization

/// One provider's breaker as a value-type state machine: closed → open after `threshold` consecutive failures
/// (5xx, timeouts) for a cool-down that doubles up to a cap → half-open (one trial) → closed on success.
public struct BreakerState: Sendable, Hashable {
    public enum Phase: Sendable, Hashable {
        case closed
        case open(untilMillis: Int64)
        case halfOpen(trialInFlight: Bool)
    }

    public var phase = Phase.closed
    public var consecutiveFailures = 0
    public var cooldownMillis: Int64
    let threshold: Int
    let baseCooldownMillis: Int64
    let maxCooldownMillis: Int64

    public init(threshold: Int = 5, baseCooldownMillis: Int64 = 30_000, maxCooldownMillis: Int64 = 300_000) {
        self.threshold = threshold
        self.baseCooldownMillis = baseCooldownMillis
        self.maxCooldownMillis = maxCooldownMillis
        self.cooldownMillis = baseCooldownMillis
    }

    /// Whether a request may go now; in half-open exactly one trial is let through.
    public mutating func admit(nowMillis: Int64) -> Bool {
        switch phase {
        case .closed:
            return true
        case .open(let until):
            guard nowMillis >= until else { return false }
            phase = .halfOpen(trialInFlight: true)
            return true
        case .halfOpen(let inFlight):
            if inFlight { return false }
            phase = .halfOpen(trialInFlight: true)
            return true
        }
    }

    /// Whether the provider would be admitted now, without taking the half-open trial.
    public func isHealthy(nowMillis: Int64) -> Bool {
        switch phase {
        case .closed: return true
        case .open(let until): return nowMillis >= until
        case .halfOpen(let inFlight): return !inFlight
        }
    }

    public mutating func recordSuccess() {
        phase = .closed
        consecutiveFailures = 0
        cooldownMillis = baseCooldownMillis
    }

    public mutating func recordFailure(nowMillis: Int64) {
        consecutiveFailures += 1
        switch phase {
        case .halfOpen:
            // The trial failed: open again for twice as long.
            cooldownMillis = min(cooldownMillis * 2, maxCooldownMillis)
            phase = .open(untilMillis: nowMillis + cooldownMillis)
        case .open(let until) where nowMillis >= until:
            // The cool-down is over, so this call was the half-open trial (the router admits traffic again once the
            // open period ends): it failed, so the breaker opens again for twice as long.
            cooldownMillis = min(cooldownMillis * 2, maxCooldownMillis)
            phase = .open(untilMillis: nowMillis + cooldownMillis)
        case .closed where consecutiveFailures >= threshold:
            phase = .open(untilMillis: nowMillis + cooldownMillis)
        case .closed, .open:
            break
        }
    }
}

/// The breakers of every provider, shared by the router and the engine.
public final class ProviderHealth: Sendable {
    private let states: Mutex<[String: BreakerState]>
    let template: BreakerState

    public init(template: BreakerState = BreakerState()) {
        self.template = template
        self.states = Mutex([:])
    }

    public func record(_ providerID: String, success: Bool, nowMillis: Int64 = Clock.nowMillis()) {
        states.withLock { states in
            var state = states[providerID] ?? template
            if success { state.recordSuccess() } else { state.recordFailure(nowMillis: nowMillis) }
            states[providerID] = state
        }
    }

    /// Providers whose breaker is open now, with the reason.
    public func unhealthy(nowMillis: Int64 = Clock.nowMillis()) -> [String: String] {
        states.withLock { states in
            var result: [String: String] = [:]
            for (id, state) in states where !state.isHealthy(nowMillis: nowMillis) {
                result[id] = "circuit open after \(state.consecutiveFailures) consecutive failures"
            }
            return result
        }
    }

    public func state(_ providerID: String) -> BreakerState? { states.withLock { $0[providerID] } }
}
