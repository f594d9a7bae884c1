import Logging
import ServiceLifecycle
import Synchronization

/// Counts work in flight, overall and per key (provider, merchant), and wakes the claimer when a slot frees.
final class SlidingWindow: Sendable {
    /// What a claim may take now: the free slots, and how many slots each key holds.
    struct Room: Sendable, Equatable {
        var free: Int
        var held: [String: Int]
        var perKeyLimit: Int
        /// Counts leaves: a wait for the next leave after this snapshot returns at once if one already happened.
        var generation: UInt64

        /// Whether some key holds every slot it may: a leave of it makes work claimable that was not.
        var anyKeyFull: Bool { held.values.contains { $0 >= perKeyLimit } }

        /// The keys holding every slot they may, sorted.
        var fullKeys: [String] { held.filter { $0.value >= perKeyLimit }.keys.sorted() }

        /// Whether a claim that took `claimed` items per key took some key's whole share.
        func filledAKey(_ claimed: [String: Int]) -> Bool {
            claimed.contains { key, count in held[key, default: 0] + count >= perKeyLimit }
        }
    }

    private struct State {
        var total = 0
        var perKey: [String: Int] = [:]
        var generation: UInt64 = 0
        /// Waiting for a free slot (the window was full).
        var slotWaiters: [CheckedContinuation<Void, Never>] = []
        /// Waiting for the next leave, each with its id (cancellable).
        var leaveWaiters: [Int: CheckedContinuation<Void, Never>] = [:]
        /// Ids of leave waits begun and not yet resumed, and those of them cancelled before they registered.
        var openLeaveWaits: Set<Int> = []
        var cancelledLeaveWaits: Set<Int> = []
        var nextWaiterID = 0
    }

    private let state = Mutex(State())
    let limit: Int
    let perKeyLimit: Int

    init(limit: Int, perKey: Int) {
        self.limit = max(1, limit)
        self.perKeyLimit = max(1, perKey)
    }

    var free: Int { state.withLock { max(0, limit - $0.total) } }

    var room: Room {
        state.withLock { Room(free: max(0, limit - $0.total), held: $0.perKey, perKeyLimit: perKeyLimit, generation: $0.generation) }
    }

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
            state.generation &+= 1
            defer {
                state.slotWaiters = []
                for id in state.leaveWaiters.keys { state.openLeaveWaits.remove(id) }
                state.leaveWaiters = [:]
            }
            return state.slotWaiters + Array(state.leaveWaiters.values)
        }
        for waiter in waiters { waiter.resume() }
    }

    /// Claims work while slots are free and runs each item at once in its own task (no batch barrier). `claim` is
    /// given the room (free slots, each key's share) and should take no more of a key than its room; anything past a
    /// key's `perKeyLimit` is given back (in one call). Ends on graceful shutdown, after the running items.
    func drive<Item: Sendable>(
        idleMillis: Int64, logger: Logger, what: String,
        claim: @escaping @Sendable (Room) async throws -> [Item],
        key: @escaping @Sendable (Item) -> String,
        giveBack: @escaping @Sendable ([Item]) async -> Void,
        work: @escaping @Sendable (Item) async -> Void
    ) async {
        await withDiscardingTaskGroup { group in
            while !Task.isShuttingDownGracefully, !Task.isCancelled {
                let room = self.room
                guard room.free > 0 else {
                    await waitForSlot()
                    continue
                }
                let items: [Item]
                do {
                    items = try await claim(room)
                } catch {
                    logger.error("claiming work failed", metadata: ["work": "\(what)", "error": "\(String(describing: type(of: error)))"])
                    try? await Task.sleep(for: .seconds(1))
                    continue
                }
                var givenBack: [Item] = []
                var claimed: [String: Int] = [:]
                for item in items {
                    let itemKey = key(item)
                    claimed[itemKey, default: 0] += 1
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
                // Given-back items mean a full key: claiming again at once would only give them back anew.
                if items.count < room.free || !givenBack.isEmpty {
                    if room.anyKeyFull || room.filledAKey(claimed) || !givenBack.isEmpty {
                        // A key's work may be waiting beyond its share: claim again as soon as a slot frees (at once if
                        // one freed during the claim).
                        await waitForLeave(after: room.generation, upToMillis: idleMillis)
                    } else {
                        try? await Task.sleep(for: .milliseconds(idleMillis))
                    }
                }
            }
        }
    }

    /// Returns once a slot is free (at once if one is already).
    func waitForSlot() async {
        await withCheckedContinuation { continuation in
            let resumeNow = state.withLock { state -> Bool in
                if state.total < limit { return true }
                state.slotWaiters.append(continuation)
                return false
            }
            if resumeNow { continuation.resume() }
        }
    }

    /// Returns at the first leave after the snapshot `generation` (at once if there was one), or after `upToMillis`.
    func waitForLeave(after generation: UInt64, upToMillis: Int64) async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { try? await Task.sleep(for: .milliseconds(upToMillis)) }
            group.addTask { await self.nextLeave(after: generation) }
            _ = await group.next()
            group.cancelAll()
        }
    }

    private func nextLeave(after generation: UInt64) async {
        let id = state.withLock { state -> Int in
            state.nextWaiterID += 1
            state.openLeaveWaits.insert(state.nextWaiterID)
            return state.nextWaiterID
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                let resumeNow = state.withLock { state -> Bool in
                    if state.generation != generation || state.cancelledLeaveWaits.remove(id) != nil {
                        state.openLeaveWaits.remove(id)
                        return true
                    }
                    state.leaveWaiters[id] = continuation
                    return false
                }
                if resumeNow { continuation.resume() }
            }
        } onCancel: {
            let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
                if let waiter = state.leaveWaiters.removeValue(forKey: id) {
                    state.openLeaveWaits.remove(id)
                    return waiter
                }
                // Not registered yet: it resumes as soon as it does. Already resumed: nothing to do.
                if state.openLeaveWaits.contains(id) { state.cancelledLeaveWaits.insert(id) }
                return nil
            }
            waiter?.resume()
        }
    }
}
