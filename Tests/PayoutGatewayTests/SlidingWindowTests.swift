import Logging
import Synchronization
import Testing
@testable import PayoutGateway

@Suite("Sliding window")
struct SlidingWindowTests {
    @Test("the sliding window frees a slot at once and caps each key")
    func caps() {
        let window = SlidingWindow(limit: 3, perKey: 2)
        #expect(window.enter("slow"))
        #expect(window.enter("slow"))
        #expect(!window.enter("slow"), "one provider may not take every slot")
        #expect(window.enter("fast"))
        #expect(!window.enter("fast"))
        window.leave("fast")
        #expect(window.free == 1)
        #expect(window.enter("fast"))
    }

    /// One provider with endless work and every slot of it busy: the claimer must claim again as soon as a slot frees,
    /// not after its idle pause (which would cap the provider at perKey items per pause).
    @Test("a full key's freed slot is claimed at once, not after the idle pause")
    func fullKeyWakesClaimer() async throws {
        let window = SlidingWindow(limit: 16, perKey: 4)
        let done = Tally()
        let claims = Tally()
        let clock = ContinuousClock()
        let start = clock.now
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                await window.drive(
                    idleMillis: 3_600_000, logger: Logger(label: "test"), what: "test",
                    claim: { room in
                        claims.add(room.free > 0 ? 1 : 1_000)
                        // A claim slower than an item: items finish while it runs, so the key is no longer full
                        // when it returns, yet it took the key's whole share and more work waits.
                        try await Task.sleep(for: .milliseconds(12))
                        // Only key "a" has work; take no more than its room, as the engine's plan does.
                        return Array(repeating: "a", count: max(0, min(room.free, room.perKeyLimit - room.held["a", default: 0])))
                    },
                    key: { $0 },
                    giveBack: { _ in Issue.record("nothing should be given back") },
                    work: { _ in
                        try? await Task.sleep(for: .milliseconds(10))
                        done.add(1)
                    })
            }
            while done.value < 40, clock.now - start < .seconds(60) {
                try? await Task.sleep(for: .milliseconds(5))
            }
            group.cancelAll()
        }
        // 40 items of 10 ms, 4 at a time: about 100 ms when slots are refilled at once (longer on a loaded machine);
        // never, within the minute, if the claimer took its idle pause (an hour here) instead.
        #expect(done.value >= 40, "the claimer waited for its idle pause")
        #expect(claims.value < 1_000, "claimed with no free slot")
    }

    /// A claim that cannot tell which keys are full takes whatever is due and gives back what exceeds a key's share.
    /// The claimer must then wait for a slot to free, not claim again at once (which gave the same items back in a
    /// loop, two transactions each time, for as long as the key stayed full).
    @Test("after giving items back the claimer waits for a slot to free instead of claiming again at once")
    func noGiveBackLoop() async throws {
        let window = SlidingWindow(limit: 8, perKey: 2)
        let done = Tally(), claims = Tally(), givenBack = Tally()
        let clock = ContinuousClock()
        let start = clock.now
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                await window.drive(
                    idleMillis: 3_600_000, logger: Logger(label: "test"), what: "test",
                    claim: { room in
                        claims.add(1)
                        return Array(repeating: "a", count: room.free)
                    },
                    key: { $0 },
                    giveBack: { items in givenBack.add(items.count) },
                    work: { _ in
                        try? await Task.sleep(for: .milliseconds(20))
                        done.add(1)
                    })
            }
            while done.value < 20, clock.now - start < .seconds(60) {
                try? await Task.sleep(for: .milliseconds(5))
            }
            group.cancelAll()
        }
        #expect(done.value >= 20)
        // One claim per freed slot (each leave wakes the claimer once), plus the first.
        #expect(claims.value <= done.value + 4, "claimed \(claims.value) times for \(done.value) items")
    }
}

final class Tally: Sendable {
    private let count = Mutex(0)
    func add(_ amount: Int) { count.withLock { $0 += amount } }
    var value: Int { count.withLock { $0 } }
}
