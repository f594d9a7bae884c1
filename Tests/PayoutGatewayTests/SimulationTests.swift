import Foundation
@testable import PayoutGateway
@testable import PayoutSandbox
import Testing

/// Thousands of seeded runs of the real lifecycle, stepper and store against model providers (see `Simulation`).
/// `PAYOUT_SIM_SEEDS` sets how many seeds run (default 1,000); `PAYOUT_SIM_SEED` replays one.
@Suite("Deterministic simulation")
struct SimulationTests {
    @Test("no payout is paid twice or lost across crashes, expired leases, two instances and racing /process")
    func seeds() async throws {
        let environment = ProcessInfo.processInfo.environment
        let seeds: [UInt64]
        if let one = environment["PAYOUT_SIM_SEED"].flatMap(UInt64.init) {
            seeds = [one]
        } else {
            let count = environment["PAYOUT_SIM_SEEDS"].flatMap(UInt64.init) ?? 1_000
            let base = environment["PAYOUT_SIM_BASE"].flatMap(UInt64.init) ?? 0
            seeds = Array(base..<(base + count))
        }
        var total = Simulation.Stats()
        var failures: [String] = []
        let started = Date()
        for seed in seeds {
            var simulation = Simulation(seed: seed)
            do {
                let stats = try await simulation.run()
                total.steps += stats.steps
                total.calls += stats.calls
                total.chained += stats.chained
                total.crashes += stats.crashes
                total.leaseExpiries += stats.leaseExpiries
                total.processRequests += stats.processRequests
            } catch {
                failures.append(String(describing: error))
                if failures.count >= 5 { break }
            }
        }
        let seconds = Date().timeIntervalSince(started)
        print("simulation: seeds=\(seeds.count) steps=\(total.steps) calls=\(total.calls) chained=\(total.chained) crashed_workers=\(total.crashes) lease_expiries=\(total.leaseExpiries) process_requests=\(total.processRequests) failures=\(failures.count) seconds=\(String(format: "%.1f", seconds))")
        for failure in failures { Issue.record(Comment(rawValue: failure)) }
        // The stepper's chained calls (a confirming call right after its create, in the same lease) are explored too.
        #expect(total.chained > 0)
    }

    @Test("the same promises hold with the store on PostgreSQL (fencing, SKIP LOCKED claims, column-level commits)",
          .enabled(if: TestStores.postgresURL != nil, "needs PAYOUT_GATEWAY_TEST_POSTGRES_URL"))
    func seedsOnPostgres() async throws {
        let count = ProcessInfo.processInfo.environment["PAYOUT_SIM_PG_SEEDS"].flatMap(UInt64.init) ?? 40
        var failures: [String] = []
        for seed in 0..<count {
            var simulation = Simulation(seed: seed)
            do {
                _ = try await simulation.run(database: .postgres)
            } catch {
                failures.append(String(describing: error))
                if failures.count >= 3 { break }
            }
        }
        print("simulation on PostgreSQL: seeds=\(count) failures=\(failures.count)")
        for failure in failures { Issue.record(Comment(rawValue: failure)) }
    }
}
