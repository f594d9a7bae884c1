import Logging
import ServiceLifecycle
import Synchronization

/// Backpressure on creates: while the engine's backlog (non-final payouts to process) is at its bound, creates
/// answer 429 with `Retry-After` instead of growing the backlog without limit.
///
/// The backlog is counted in the store every `refreshMillis` (so it covers every instance on one PostgreSQL), and
/// this instance's own creates since the last count are added at once, so that a burst cannot overshoot between counts.
public final class BacklogGate: Sendable {
    /// 0: no bound.
    public let limit: Int
    let refreshMillis: Int64
    private struct State {
        var counted = 0
        var createdSince = 0
        /// Payouts the engine finished per second between the last two counts (for `Retry-After`).
        var drainPerSecond: Double = 0
        var countedAtMs: Int64 = 0
    }
    private let state = Mutex(State())

    public init(limit: Int, refreshMillis: Int64 = 250) {
        self.limit = limit
        self.refreshMillis = refreshMillis
    }

    /// The backlog as this instance sees it now.
    public var estimate: Int { state.withLock { $0.counted + $0.createdSince } }

    /// Nil when a create may go ahead; otherwise the seconds the merchant should wait.
    public func refusal() -> Int? {
        guard limit > 0 else { return nil }
        return state.withLock { state -> Int? in
            let backlog = state.counted + state.createdSince
            guard backlog >= limit else { return nil }
            let excess = Double(backlog - limit + 1)
            let seconds = state.drainPerSecond > 0 ? (excess / state.drainPerSecond).rounded(.up) : 5
            return Int(min(max(seconds, 1), 60))
        }
    }

    public func created() {
        state.withLock { $0.createdSince += 1 }
    }

    /// Takes a fresh count from the store.
    public func record(count: Int, createdDuringCount: Int, nowMs: Int64) {
        state.withLock { state in
            let elapsed = Double(max(nowMs - state.countedAtMs, 1)) / 1000
            if state.countedAtMs > 0 {
                // What left the backlog: the old count plus what was added, minus the new count.
                let drained = Double(state.counted + createdDuringCount - count)
                state.drainPerSecond = max(drained / elapsed, 0) * 0.5 + state.drainPerSecond * 0.5
            }
            state.counted = count
            state.createdSince = max(state.createdSince - createdDuringCount, 0)
            state.countedAtMs = nowMs
        }
    }

    var createdSinceCount: Int { state.withLock { $0.createdSince } }
}

/// Keeps a ``BacklogGate`` counted.
struct BacklogMonitor: Service {
    let gate: BacklogGate
    let store: any PayoutStore
    let logger: Logger

    func run() async throws {
        // A service that returns ends the whole group: with no bound, wait for the shutdown instead.
        guard gate.limit > 0 else {
            try? await gracefulShutdown()
            return
        }
        while !Task.isShuttingDownGracefully, !Task.isCancelled {
            let before = gate.createdSinceCount
            if let count = try? await store.countBacklog() {
                gate.record(count: count, createdDuringCount: before, nowMs: Clock.nowMillis())
            }
            try? await Task.sleep(for: .milliseconds(gate.refreshMillis))
        }
    }
}
