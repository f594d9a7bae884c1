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
        let claims = Tally()
        let done = await Self.drive(window, until: 40, itemMillis: 10,
            claim: { room in
                claims.add(room.free > 0 ? 1 : 1_000)
                // A claim slower than an item: items finish while it runs, so the key is no longer full when it
                // returns, yet it took the key's whole share and more work waits.
                try await Task.sleep(for: .milliseconds(12))
                // Only key "a" has work; take no more than its room, as the engine's plan does.
                return Array(repeating: "a", count: max(0, min(room.free, room.perKeyLimit - room.held["a", default: 0])))
            },
            giveBack: { _ in Issue.record("nothing should be given back") })
        // 40 items of 10 ms, 4 at a time: about 100 ms when slots are refilled at once (longer on a loaded machine);
        // never, within the minute, if the claimer took its idle pause (an hour here) instead.
        #expect(done >= 40, "the claimer waited for its idle pause")
        #expect(claims.value < 1_000, "claimed with no free slot")
    }

    /// A claim that cannot tell which keys are full takes whatever is due and gives back what exceeds a key's share.
    /// The claimer must then wait for a slot to free, not claim again at once (which gave the same items back in a
    /// loop, two transactions each time, for as long as the key stayed full).
    @Test("after giving items back the claimer waits for a slot to free instead of claiming again at once")
    func noGiveBackLoop() async throws {
        let window = SlidingWindow(limit: 8, perKey: 2)
        let claims = Tally()
        let done = await Self.drive(window, until: 20, itemMillis: 20,
            claim: { room in
                claims.add(1)
                return Array(repeating: "a", count: room.free)
            },
            giveBack: { _ in })
        #expect(done >= 20)
        // One claim per freed slot (each leave wakes the claimer once), plus the first.
        #expect(claims.value <= done + 4, "claimed \(claims.value) times for \(done) items")
    }

    /// Drives `window` over items of key "a" that each take `itemMillis`, with an idle pause of an hour, until `count`
    /// items are done or a minute has passed; returns how many were done.
    static func drive(
        _ window: SlidingWindow, until count: Int, itemMillis: Int,
        claim: @escaping @Sendable (SlidingWindow.Room) async throws -> [String],
        giveBack: @escaping @Sendable ([String]) async -> Void
    ) async -> Int {
        let done = Tally()
        let clock = ContinuousClock()
        let start = clock.now
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                await window.drive(
                    idleMillis: 3_600_000, logger: Logger(label: "test"), what: "test",
                    claim: claim, key: { $0 }, giveBack: giveBack,
                    work: { _ in
                        try? await Task.sleep(for: .milliseconds(itemMillis))
                        done.add(1)
                    })
            }
            while done.value < count, clock.now - start < .seconds(60) {
                try? await Task.sleep(for: .milliseconds(5))
            }
            group.cancelAll()
        }
        return done.value
    }
}

final class Tally: Sendable {
    private let count = Mutex(0)
    func add(_ amount: Int) { count.withLock { $0 += amount } }
    var value: Int { count.withLock { $0 } }
}
