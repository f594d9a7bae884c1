import Logging
import ServiceLifecycle
import Synchronization

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

    /// Claims work while slots are free and runs each item at once in its own task (no batch barrier); items whose
    /// key already holds `perKeyLimit` slots are given back (in one call). Ends on graceful shutdown, after the running items.
    func drive<Item: Sendable>(
        idleMillis: Int64, logger: Logger, what: String,
        claim: @escaping @Sendable (Int) async throws -> [Item],
        key: @escaping @Sendable (Item) -> String,
        giveBack: @escaping @Sendable ([Item]) async -> Void,
        work: @escaping @Sendable (Item) async -> Void
    ) async {
        await withDiscardingTaskGroup { group in
            while !Task.isShuttingDownGracefully, !Task.isCancelled {
                let free = self.free
                guard free > 0 else {
                    await waitForSlot()
                    continue
                }
                let items: [Item]
                do {
                    items = try await claim(free)
                } catch {
                    logger.error("claiming work failed", metadata: ["work": "\(what)", "error": "\(String(describing: type(of: error)))"])
                    try? await Task.sleep(for: .seconds(1))
                    continue
                }
                var givenBack: [Item] = []
                for item in items {
                    let itemKey = key(item)
                    guard enter(itemKey) else {
                        givenBack.append(item)
                        continue
                    }
                    group.addTask {
                        defer { self.leave(itemKey) }
                        await work(item)
                    }
                }
                if !givenBack.isEmpty { await giveBack(givenBack) }
                if items.count < free {
                    try? await Task.sleep(for: .milliseconds(idleMillis))
                }
            }
        }
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
