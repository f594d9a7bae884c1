import Foundation
import Logging
import SQLKit
@testable import PayoutGateway
@testable import PayoutSandbox
import Synchronization

/// A deterministic simulation of the payout engine, in the spirit of FoundationDB's and TigerBeetle's simulators:
/// the real lifecycle, stepper and store (SQLite in memory) against model providers of both dialects, on a virtual
/// clock, with two engine instances on one store. One seed fixes every choice: which worker moves, what each provider
/// answers, when a process dies, when a lease runs out mid-call, when a merchant's /process lands.
struct Simulation {
    struct Failure: Error, CustomStringConvertible {
        let seed: UInt64
        let problems: [String]
        var description: String { "seed \(seed) failed (replay with PAYOUT_SIM_SEED=\(seed)): " + problems.joined(separator: "; ") }
    }

    /// What a run explored, for BENCHMARKS.md.
    struct Stats: Sendable {
        var steps = 0
        var calls = 0
        /// Calls that followed another within one lease (the stepper's chained calls).
        var chained = 0
        var crashes = 0
        var leaseExpiries = 0
        var processRequests = 0
    }

    /// One worker of one engine: a claimed payout between the await points of a step.
    enum Worker {
        case claimed(PayoutRecord)
        case prepared(PayoutStepper.Pending)
        case answered(PayoutStepper.Pending, PayoutLifecycle.CallResult)
    }

    let seed: UInt64
    var random: SeededRandom
    let clock = VirtualClock()
    var providers: [String: ModelProvider] = [:]
    var stats = Stats()
    var lostProcess: [String] = []

    init(seed: UInt64) {
        self.seed = seed
        self.random = SeededRandom(seed: seed)
    }

    static let settings: EngineSettings = {
        var settings = EngineSettings()
        settings.leaseMillis = 4_000
        settings.absenceGraceMillis = 2_000
        settings.ambiguousLookupDelayMillis = 300
        settings.lookupBackoffMillis = 300
        settings.lookupBackoffCapMillis = 5_000
        settings.invoiceLifetimeMillis = 120_000
        settings.bankCheckTimeoutMillis = 30_000
        settings.backoffSchedule = []
        return settings
    }()

    static let routes = """
        {"services":[{"code":"card","method":"payment_card","currencies":["USD","EUR"],"fields":[]}],
         "providers":[
          {"id":"jd","dialect":"jsonapi","base_url":"sandbox","auto_process":true,"poll_interval_seconds":1,"timeout_seconds":1,"services":{"card":{}}},
          {"id":"jc","dialect":"jsonapi","base_url":"sandbox","poll_interval_seconds":1,"timeout_seconds":1,"services":{"card":{}}},
          {"id":"pd","dialect":"paynet-v4","base_url":"sandbox","poll_interval_seconds":1,"timeout_seconds":1,
           "paynet":{"flow":"direct","endpoints":{"USD":{"endpoint_id":"1"},"EUR":{"endpoint_id":"2"}}},"services":{"card":{}}},
          {"id":"pb","dialect":"paynet-v4","base_url":"sandbox","poll_interval_seconds":1,"timeout_seconds":1,
           "paynet":{"flow":"bank_confirmation","endpoints":{"USD":{"endpoint_id":"3"},"EUR":{"endpoint_id":"4"}}},"services":{"card":{}}}],
         "routes":[{"id":"all","match":{"service":"card"},"providers":["jd","jc","pd","pb"]}]}
        """

    static let logger: Logger = {
        var logger = Logger(label: "simulation")
        logger.logLevel = .critical
        return logger
    }()

    mutating func run(payouts payoutCount: Int = 4, actions: Int = 160, database: TestDatabase = .sqlite) async throws -> Stats {
        let faultRate = [0.0, 0.2, 0.4, 0.7][Int(random.next() % 4)]
        providers = [
            "jd": ModelProvider(id: "jd", flow: .direct, refusesRepeats: true, faultRate: faultRate),
            "jc": ModelProvider(id: "jc", flow: .confirm, refusesRepeats: true, faultRate: faultRate),
            "pd": ModelProvider(id: "pd", flow: .direct, refusesRepeats: false, faultRate: faultRate),
            "pb": ModelProvider(id: "pb", flow: .bankCheck, refusesRepeats: false, faultRate: faultRate),
        ]
        let table = try RoutesCompiler(secrets: SecretResolver(environment: [:])).compile(data: Data(Self.routes.utf8))
        var adapters: [String: any ProviderAdapter] = [:]
        for (id, provider) in providers { adapters[id] = SimulatedAdapter(id: id, needsConfirmation: provider.flow != .direct) }
        let runtime = GatewayRuntime(GatewayRuntime.Snapshot(table: table, adapters: adapters))
        return try await TestStores.withBackend(database) { backend in
            try await run(store: SQLPayoutStore(backend: backend), runtime: runtime, payoutCount: payoutCount, actions: actions)
        }
    }

    mutating func run(store: SQLPayoutStore, runtime: GatewayRuntime, payoutCount: Int, actions: Int) async throws -> Stats {
        try await store.migrate()
        let sealer = FieldSealer.random()
        try await store.insertMerchant(MerchantRecord(
            id: "m", name: "sim", apiKeyHash: "-", publicKey: "pk", callbackSecretSealed: try sealer.seal("s"), createdMs: 0))
        let clock = self.clock
        let now: @Sendable () -> Int64 = { clock.now }
        let engines = ["A", "B"].map {
            PayoutStepper(store: store, runtime: runtime, sealer: sealer, settings: Self.settings, owner: $0, logger: Self.logger, now: now)
        }

        // Merchant payouts: random candidates, half asking to process at once.
        var payoutIDs: [String] = []
        var processAccepted = Set<String>()
        for index in 0..<payoutCount {
            let candidates = Array(["jd", "jc", "pd", "pb"].shuffled(using: &random).prefix(Int(1 + random.next() % 2)))
            let autoProcess = random.chance(0.5)
            let time = now()
            let decision = RouteDecision(routeID: "all", strategy: "ordered", candidates: candidates, skipped: [:], failover: true)
            let payout = PayoutRecord(
                id: "cpoi_sim\(seed)_\(index)", merchantId: "m", referenceId: "ref-\(index)", status: "created", resolution: "ok",
                service: "card", method: "payment_card", currency: random.chance(0.5) ? "USD" : "EUR", amountMinor: 1_000 + Int64(index),
                feeMinor: 0, testMode: true, description: nil, fieldsMasked: "{}", fieldsSealed: try sealer.seal(fields: ["card_number": "4444333322221111"]),
                metadata: nil, customer: nil, customerId: nil, callbackUrl: "http://127.0.0.1:9/hook", autoProcess: autoProcess,
                processRequested: autoProcess, providerId: nil, decision: JSONCoding.encodeString(decision), redirectUrl: nil,
                pendingReason: nil, processedAt: nil, processedAmountMinor: nil, createdMs: time, updatedMs: time, nextActionAt: time,
                leaseOwner: nil, leaseUntil: nil)
            _ = try await store.createPayout(payout, event: PayoutEventRecord(payoutId: payout.id, atMs: time, kind: "created", detail: "{}"))
            payoutIDs.append(payout.id)
            if autoProcess { processAccepted.insert(payout.id) }
        }

        var workers: [[Worker]] = [[], []]
        func advance(_ millis: Int64) { clock.advance(millis) }

        // The run: every action picked by the seed.
        for _ in 0..<actions {
            let choice = random.next() % 100
            let engine = Int(random.next() % 2)
            // Every action takes a little time, as it does on a real machine.
            advance(random.int(0...20))
            switch choice {
            case 0..<20:
                advance(random.int(1...1_500))
                try await providerTick(store: store)
            case 20..<23:
                // A stall longer than the lease: another instance may take over payouts whose calls are in flight.
                advance(Self.settings.leaseMillis + random.int(1...3_000))
                stats.leaseExpiries += 1
            case 23..<26:
                // The process dies at whatever await point its workers are.
                stats.crashes += workers[engine].count
                workers[engine] = []
            case 26..<30:
                // A merchant's /process, half the time for a payout that a worker holds right now (mid-step).
                let held = workers.flatMap { $0 }.map { worker -> String in
                    switch worker {
                    case .claimed(let payout): return payout.id
                    case .prepared(let pending), .answered(let pending, _): return pending.lifecycle.payout.id
                    }
                }
                let id = !held.isEmpty && random.chance(0.5) ? random.pick(held) : random.pick(payoutIDs)
                if let payout = try await store.requestProcessing(id: id, merchantId: "m", nowMs: now()), payout.processRequested,
                   payout.status == PayoutStatus.created.rawValue {
                    processAccepted.insert(id)
                    stats.processRequests += 1
                }
            case 30..<45:
                let claimed = try await store.claimDuePayouts(owner: engines[engine].owner, nowMs: now(), leaseMs: Self.settings.leaseMillis, limit: Int(1 + random.next() % 3))
                workers[engine].append(contentsOf: claimed.map(Worker.claimed))
            case 45..<52:
                // A lease renewal (the heartbeat while a call is in flight).
                if let index = workers[engine].indices.randomElement(using: &random) {
                    let payout: PayoutRecord
                    switch workers[engine][index] {
                    case .claimed(let claimed): payout = claimed
                    case .prepared(let pending), .answered(let pending, _): payout = pending.lifecycle.payout
                    }
                    _ = try await store.renewLease(payoutId: payout.id, owner: engines[engine].owner, token: payout.leaseToken, untilMs: now() + Self.settings.leaseMillis)
                }
            default:
                guard let index = workers[engine].indices.randomElement(using: &random) else { continue }
                let worker = workers[engine].remove(at: index)
                if let next = try await move(worker, engine: engines[engine]) { workers[engine].append(next) }
            }
        }

        // Settle: no more faults or crashes; every worker finishes; the rest of the payouts run to their end.
        for id in providers.keys { providers[id]?.calm(now: now()) }
        for engine in 0..<2 {
            for worker in workers[engine] {
                var current: Worker? = worker
                while let step = current { current = try await move(step, engine: engines[engine]) }
            }
        }
        var rounds = 0
        while rounds < 1_000 {
            rounds += 1
            // Event-driven: jump to the next due payout (at most a second, so that providers move on too).
            let due = try await store.backend.read { db in
                try await db.raw("""
                    SELECT MIN(CASE WHEN lease_until IS NOT NULL AND lease_until >= next_action_at THEN lease_until + 1 ELSE next_action_at END) AS due
                    FROM payouts WHERE next_action_at IS NOT NULL
                    """)
                    .first(decodingColumn: "due", as: Int64?.self) ?? nil
            }
            advance(max(1, min((due ?? .max) - now(), 1_000)))
            try await providerTick(store: store)
            let claimed = try await store.claimDuePayouts(owner: "A", nowMs: now(), leaseMs: Self.settings.leaseMillis, limit: 10)
            for payout in claimed {
                var current: Worker? = .claimed(payout)
                while let step = current { current = try await move(step, engine: engines[0]) }
            }
            if rounds % 10 == 0, try await settled(store: store, ids: payoutIDs) { break }
        }
        try await check(store: store, ids: payoutIDs, processAccepted: processAccepted)
        return stats
    }

    /// Moves one worker past its next await point.
    mutating func move(_ worker: Worker, engine: PayoutStepper) async throws -> Worker? {
        switch worker {
        case .claimed(let payout):
            stats.steps += 1
            return try await engine.prepare(payout).map(Worker.prepared)
        case .prepared(let pending):
            stats.calls += 1
            return .answered(pending, deliver(pending))
        case .answered(let pending, let result):
            let chained = try await engine.complete(pending, result)
            if let chained {
                stats.chained += 1
                return .prepared(chained)
            }
            try await checkProcessNotLost(pending.lifecycle.payout.id, store: engine.store)
            return nil
        }
    }

    /// A merchant's /process must make an idle payout due soon: one still `created`, asked to process and not leased,
    /// must not sit waiting far in the future (that is a lost /process, noticed only at the invoice's lifetime).
    mutating func checkProcessNotLost(_ id: String, store: any EngineStore) async throws {
        guard let store = store as? SQLPayoutStore, let payout = try await store.payout(id: id) else { return }
        if payout.processRequested, payout.status == PayoutStatus.created.rawValue, payout.leaseOwner == nil,
           let next = payout.nextActionAt, next - clock.now > 10_000 {
            lostProcess.append("\(id) asked to process but due only in \(next - clock.now) ms")
        }
    }

    /// The call reaches the model provider, which acts on it and answers.
    mutating func deliver(_ pending: PayoutStepper.Pending) -> PayoutLifecycle.CallResult {
        let now = clock.now
        let currency = pending.lifecycle.payout.currency
        var provider = providers[pending.call.providerID]!
        defer { providers[pending.call.providerID] = provider }
        switch pending.call {
        case .create(_, let reference, _):
            return .create(provider.create(reference: reference, currency: currency, now: now, random: &random))
        case .confirm(_, _, let orderID):
            return .confirm(provider.confirm(orderID: orderID, now: now, random: &random))
        case .lookup(_, let reference, let orderID):
            return .lookup(provider.lookup(reference: reference, orderID: orderID, currency: currency, now: now, random: &random))
        }
    }

    /// Time passes at the providers; their callbacks nudge the payouts.
    mutating func providerTick(store: SQLPayoutStore) async throws {
        let now = clock.now
        for id in providers.keys.sorted() {
            let changed = providers[id]!.tick(now: now)
            for reference in changed where random.chance(0.7) {
                try await store.nudge(payoutId: reference, atMs: now)
            }
        }
    }

    func settled(store: SQLPayoutStore, ids: [String]) async throws -> Bool {
        for id in ids {
            guard let payout = try await store.payout(id: id) else { return false }
            let status = PayoutStatus(stored: payout.status)
            if !status.isFinal, !(status == .processPending && payout.pendingReason != nil) { return false }
        }
        return true
    }

    /// The promises, checked against the providers' own books.
    func check(store: SQLPayoutStore, ids: [String], processAccepted: Set<String>) async throws {
        var problems: [String] = lostProcess
        var paid: [String: Int] = [:]
        var confirms: [String: Int] = [:]
        for provider in providers.values {
            for (reference, count) in provider.paidByReference { paid[reference, default: 0] += count }
            for order in provider.orders.values { confirms[order.id] = order.confirms }
        }
        for id in ids {
            guard let payout = try await store.payout(id: id) else {
                problems.append("\(id) is gone")
                continue
            }
            let status = PayoutStatus(stored: payout.status)
            let executions = paid[id] ?? 0
            // Never paid twice: at most one provider execution per payout, across all providers.
            if executions > 1 { problems.append("\(id) was paid \(executions) times") }
            // Never lost: final, or process_pending with a reason.
            if !status.isFinal, !(status == .processPending && payout.pendingReason != nil) {
                let attempts = try await store.attempts(payoutId: id).map { "\($0.providerId):\($0.state):\($0.outcome ?? "-")" }
                problems.append("\(id) ended \(payout.status) without a reason (\(payout.pendingReason ?? "-"); attempts \(attempts); next \(payout.nextActionAt.map { $0 - clock.now } ?? -1) ms; lease \(payout.leaseOwner ?? "-"); orders \(providers.values.flatMap { p in p.orders.values.filter { $0.reference == id }.map { "\($0.id):\($0.state):\($0.visibleAt == .max ? "hidden" : "visible"):changed \(clock.now - $0.changedAt) ms ago" } }))")
            }
            // The books agree: a processed payout was paid once; a failed one was not paid.
            if status == .processed, executions != 1 { problems.append("\(id) is processed but paid \(executions) times") }
            if status.isFailure, executions != 0 { problems.append("\(id) is \(payout.status) but was paid") }
            // No merchant action lost.
            if processAccepted.contains(id) {
                if !payout.processRequested { problems.append("\(id) lost its /process") }
                if status == .expired { problems.append("\(id) expired after /process was accepted") }
            }
            // Webhooks in order: each enqueued status follows from the one before, and `updated_ms` grows.
            let hooks = try await store.webhooks(payoutId: id)
            var previous: (PayoutStatus, Int64)?
            for hook in hooks {
                let body = try JSONCoding.decode(JSONValue.self, from: Data(hook.body.utf8))
                let updated = Int64(body["data"]?["attributes"]?["gateway"]?["updated_ms"]?.decimalText ?? "") ?? 0
                let hookStatus = PayoutStatus(stored: hook.payoutStatus)
                if let (before, beforeUpdated) = previous {
                    if !before.allowsTransition(to: hookStatus) { problems.append("\(id) webhook \(before) then \(hookStatus)") }
                    if updated <= beforeUpdated { problems.append("\(id) webhook updated_ms did not grow") }
                }
                previous = (hookStatus, updated)
            }
        }
        for (order, count) in confirms where count > Int(Self.settings.maxConfirmSends) {
            problems.append("order \(order) got \(count) confirming calls")
        }
        for provider in providers.values {
            for (reference, count) in provider.creates where count > Int(Self.settings.maxSendsPerProvider) {
                problems.append("\(reference) was sent \(count) times to \(provider.id)")
            }
        }
        if !problems.isEmpty {
            for id in ids {
                if let payout = try await store.payout(id: id) {
                    let attempts = try await store.attempts(payoutId: id).map { "\($0.providerId):\($0.state):\($0.outcome ?? "-"):sends \($0.sends)" }
                    problems.append("[\(id) \(payout.status) process=\(payout.processRequested) next=\(payout.nextActionAt.map { $0 - clock.now } ?? -1) reason=\(payout.pendingReason ?? "-") \(attempts)]")
                }
            }
            throw Failure(seed: seed, problems: problems)
        }
    }
}

/// The simulation's time: moves only when the simulation says so.
final class VirtualClock: Sendable {
    private let millis = Mutex<Int64>(1_000_000)
    var now: Int64 { millis.withLock { $0 } }
    func advance(_ by: Int64) { millis.withLock { $0 += by } }
}
