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
}

final class Tally: Sendable {
    private let count = Mutex(0)
    func add(_ amount: Int) { count.withLock { $0 += amount } }
    var value: Int { count.withLock { $0 } }
}
