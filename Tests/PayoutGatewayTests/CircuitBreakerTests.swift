import Foundation
import HTTPTypes
@testable import PayoutGateway
@testable import PayoutSandbox
import Testing

@Suite("Circuit breaker")
struct CircuitBreakerTests {
    func admit(_ breaker: inout BreakerState, _ now: Int64) -> Bool { breaker.admit(nowMillis: now) }

    @Test("opens after 5 consecutive failures for 30 s, half-opens for one trial, doubles to 300 s")
    func lifecycle() {
        var breaker = BreakerState()
        for _ in 0..<4 { breaker.recordFailure(nowMillis: 0) }
        #expect(admit(&breaker, 0))
        breaker.recordFailure(nowMillis: 0)
        #expect(!admit(&breaker, 29_999))
        #expect(admit(&breaker, 30_000))
        #expect(!admit(&breaker, 30_001))
        breaker.recordFailure(nowMillis: 30_001)
        #expect(!admit(&breaker, 30_001 + 59_999))
        #expect(admit(&breaker, 30_001 + 60_000))
        breaker.recordFailure(nowMillis: 100_000)
        for _ in 0..<10 {
            _ = admit(&breaker, Int64.max / 2)
            breaker.recordFailure(nowMillis: 0)
        }
        #expect(breaker.cooldownMillis == 300_000)
        breaker.recordSuccess()
        #expect(admit(&breaker, 0))
        #expect(breaker.cooldownMillis == 30_000)
    }

    @Test("after its open period the breaker re-opens on the next failure, for twice as long, without an explicit trial")
    func reopensAfterOpenPeriod() {
        let health = ProviderHealth()
        for _ in 0..<5 { health.record("p", success: false, nowMillis: 0) }
        #expect(health.unhealthy(nowMillis: 30_001)["p"] == nil, "the open period is over: traffic is admitted again")
        health.record("p", success: false, nowMillis: 30_001)
        #expect(health.unhealthy(nowMillis: 30_002)["p"] != nil, "the failed trial opens the breaker again")
        #expect(health.unhealthy(nowMillis: 30_001 + 59_999)["p"] != nil)
        #expect(health.unhealthy(nowMillis: 30_001 + 60_000)["p"] == nil)
    }

    @Test("a success in between resets the count")
    func successResets() {
        var breaker = BreakerState()
        for _ in 0..<4 { breaker.recordFailure(nowMillis: 0) }
        breaker.recordSuccess()
        for _ in 0..<4 { breaker.recordFailure(nowMillis: 0) }
        #expect(admit(&breaker, 0))
        let health = ProviderHealth()
        for _ in 0..<5 { health.record("p", success: false, nowMillis: 0) }
        #expect(health.unhealthy(nowMillis: 1)["p"] != nil)
        #expect(health.unhealthy(nowMillis: 30_001)["p"] == nil)
    }
}
