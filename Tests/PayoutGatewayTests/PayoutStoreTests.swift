import AsyncHTTPClient
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import SQLKit
@testable import PayoutGateway
@testable import PayoutSandbox
import Testing

@Suite("Payout store")
struct PayoutStoreTests {
    /// A payout as a create stores it: due now, asked to process, nothing sent yet.
    static func createdPayout(_ reference: String, merchant: String, now: Int64, amountMinor: Int64 = 100) -> PayoutRecord {
        PayoutRecord(
            id: Identifier.make("cpoi_"), merchantId: merchant, referenceId: reference, status: "created", resolution: "ok",
            service: "card", method: "payment_card", currency: "USD", amountMinor: amountMinor, feeMinor: 0, testMode: true,
            description: nil, fieldsMasked: "{}", fieldsSealed: nil, metadata: nil, customer: nil, customerId: nil,
            callbackUrl: nil, autoProcess: true, processRequested: true, providerId: nil, decision: nil, redirectUrl: nil,
            pendingReason: nil, processedAt: nil, processedAmountMinor: nil, createdMs: now, updatedMs: now,
            nextActionAt: now, leaseOwner: nil, leaseUntil: nil)
    }

    @Test("concurrent creates with one reference make one payout: the unique index decides", arguments: TestStores.backends)
    func concurrentIdempotentCreates(database: TestDatabase) async throws {
        try await MerchantHandlerTests.withFront(database) { front in
        let store = front.store
        let merchant = GatewayConfiguration.DemoMerchant().accountID
        let results = try await withThrowingTaskGroup(of: Bool.self) { group in
            for index in 0..<25 {
                group.addTask {
                    let now = Clock.nowMillis()
                    let payout = Self.createdPayout("same", merchant: merchant, now: now, amountMinor: Int64(100 + index))
                    let result = try await store.createPayout(payout, event: PayoutEventRecord(payoutId: payout.id, kind: "created", detail: "{}"))
                    if case .created = result { return true }
                    return false
                }
            }
            return try await group.reduce(into: [Bool]()) { $0.append($1) }
        }
        #expect(results.filter { $0 }.count == 1)
        #expect(try await store.payouts(merchantId: merchant, limit: 100, before: nil, after: nil).count == 1)
        }
    }

    @Test("payouts, attempts and webhooks read back whole, every column set or NULL, as the Codable row decoder reads them", arguments: TestStores.backends)
    func recordsReadBackWhole(database: TestDatabase) async throws {
        try await MerchantHandlerTests.withFront(database) { front in
        let store = front.store
        let merchant = GatewayConfiguration.DemoMerchant().accountID
        let now = Clock.nowMillis()
        let full = PayoutRecord(
            id: Identifier.make("cpoi_"), merchantId: merchant, referenceId: "full", status: "created", resolution: "ok",
            service: "card", method: "payment_card", currency: "USD", amountMinor: 12_345, feeMinor: 67, testMode: true,
            description: "d", fieldsMasked: #"{"card_number":"512381******0000"}"#, fieldsSealed: "sealed", metadata: #"{"m":1}"#,
            customer: #"{"name":"n"}"#, customerId: "c1", callbackUrl: "https://merchant.example/hook", autoProcess: false,
            processRequested: true, providerId: "payelata", decision: #"{"candidates":["payelata"],"skipped":{}}"#,
            redirectUrl: "https://provider.example/form", pendingReason: "bank_check", processedAt: now - 5,
            processedAmountMinor: 12_000, createdMs: now - 10, updatedMs: now - 9, nextActionAt: now, leaseOwner: nil,
            leaseUntil: nil, leaseToken: 0)
        var bare = full
        bare.id = Identifier.make("cpoi_")
        bare.referenceId = "bare"
        (bare.description, bare.fieldsSealed, bare.metadata, bare.customer, bare.customerId, bare.callbackUrl) = (nil, nil, nil, nil, nil, nil)
        (bare.providerId, bare.decision, bare.redirectUrl, bare.pendingReason) = (nil, nil, nil, nil)
        (bare.processedAt, bare.processedAmountMinor, bare.nextActionAt, bare.testMode) = (nil, nil, nil, false)
        for payout in [full, bare] {
            _ = try await store.createPayout(payout, event: PayoutEventRecord(payoutId: payout.id, kind: "created", detail: "{}"))
            #expect(try await store.payout(id: payout.id) == payout)
        }
        let claimed = try await store.claimDuePayouts(owner: "a", nowMs: now + 1, leaseMs: 10_000, limit: 10)
        #expect(claimed.map(\.id) == [full.id])
        #expect(claimed.first?.leaseOwner == "a")
        let attempt = AttemptRecord(
            id: Identifier.make("catt_"), payoutId: full.id, providerId: "payelata", number: 1, reference: full.id, state: "sent",
            providerPayoutId: "pp-1", providerStatus: "process_pending", serialNumber: "s-1", outcome: "pending",
            resolution: "r", confirmSent: true, lookupMisses: 2, sends: 3, detail: "x", createdMs: now, updatedMs: now + 1,
            unclearSends: 1, duplicateSeen: true, confirmSends: 4, lookupFailures: 5, absentSinceMs: now - 1)
        var second = attempt
        second.id = Identifier.make("catt_")
        second.number = 2
        second.reference = full.id + "-2"
        (second.providerPayoutId, second.providerStatus, second.serialNumber, second.outcome) = (nil, nil, nil, nil)
        (second.resolution, second.detail, second.absentSinceMs, second.confirmSent, second.duplicateSeen) = (nil, nil, nil, false, false)
        #expect(try await store.commit(
            PayoutStepCommit(payout: claimed[0], attempts: [attempt, second], webhookBody: #"{"data":{}}"#, keepLease: true), owner: "a"))
        #expect(Set(try await store.attempts(payoutId: full.id)) == [attempt, second])
        // The same rows through SQLKit's Codable decoder (what the store used before): nothing differs.
        let backend = try #require(store as? SQLPayoutStore).backend
        let (fullID, bareID) = (full.id, bare.id)
        let viaCodable = try await backend.read { db in
            try await db.raw("SELECT * FROM payouts WHERE id = \(bind: fullID) OR id = \(bind: bareID)")
                .all(decoding: PayoutRecord.self, with: SQLPayoutStore.decoder)
        }
        #expect(Set(viaCodable) == Set([try await store.payout(id: full.id), try await store.payout(id: bare.id)].compactMap { $0 }))
        let attemptsViaCodable = try await backend.read { db in
            try await db.raw("SELECT * FROM attempts WHERE payout_id = \(bind: fullID)").all(decoding: AttemptRecord.self, with: SQLPayoutStore.decoder)
        }
        #expect(Set(attemptsViaCodable) == [attempt, second])
        let enqueued = try #require(try await store.webhooks(payoutId: full.id).first)
        #expect(enqueued.body == #"{"data":{}}"# && enqueued.url == full.callbackUrl && enqueued.lastCode == nil)
        try await store.recordWebhookAttempt(id: enqueued.id, code: 503, error: "unavailable", delivered: false, nextAttemptAt: now + 60_000, giveUp: false)
        let webhooks = try await store.webhooks(payoutId: full.id)
        #expect(webhooks.map(\.lastCode) == [503])
        #expect(webhooks.map(\.lastError) == ["unavailable"])
        #expect(webhooks.map(\.attempts) == [1])
        let webhooksViaCodable = try await backend.read { db in
            try await db.raw("SELECT * FROM webhooks WHERE payout_id = \(bind: fullID)").all(decoding: WebhookRecord.self, with: SQLPayoutStore.decoder)
        }
        #expect(webhooksViaCodable == webhooks)
        }
    }

    @Test("a leased payout cannot be claimed by another worker, and a step commits only under its lease", arguments: TestStores.backends)
    func leases(database: TestDatabase) async throws {
        try await MerchantHandlerTests.withFront(database) { front in
        let store = front.store
        let merchant = GatewayConfiguration.DemoMerchant().accountID
        let now = Clock.nowMillis()
        let payout = Self.createdPayout("lease", merchant: merchant, now: now)
        _ = try await store.createPayout(payout, event: PayoutEventRecord(payoutId: payout.id, kind: "created", detail: "{}"))
        let first = try await store.claimDuePayouts(owner: "a", nowMs: now + 1, leaseMs: 10_000, limit: 10)
        #expect(first.map(\.id) == [payout.id])
        #expect(try await store.claimDuePayouts(owner: "b", nowMs: now + 2, leaseMs: 10_000, limit: 10).isEmpty)
        // A step carries an attempt, events and (a status change with a callback URL) a webhook: under a lease it
        // does not hold, none of them is written; under its own, all are.
        var stepped = first[0]
        (stepped.status, stepped.callbackUrl, stepped.updatedMs) = ("processing", "https://merchant.test/cb", now + 5)
        let attempt = AttemptRecord(
            id: "att_" + payout.id + "_1", payoutId: payout.id, providerId: "payelata", number: 1, reference: payout.id,
            state: "creating", providerPayoutId: nil, providerStatus: nil, serialNumber: nil, outcome: nil, resolution: nil,
            confirmSent: false, lookupMisses: 0, sends: 1, detail: nil, createdMs: now, updatedMs: now, unclearSends: 1)
        let events = ["attempt_started", "status_changed"].map { PayoutEventRecord(payoutId: payout.id, atMs: now + 5, kind: $0, detail: "{}") }
        let step = PayoutStepCommit(payout: stepped, attempts: [attempt], events: events, webhookBody: #"{"data":{}}"#)
        #expect(try await store.commit(step, owner: "b") == false)
        #expect(try await store.attempts(payoutId: payout.id).isEmpty)
        #expect(try await store.events(payoutId: payout.id).map(\.kind) == ["created"])
        #expect(try await store.webhooks(payoutId: payout.id).isEmpty)
        #expect(try await store.payout(id: payout.id)?.status == "created")
        #expect(try await store.commit(step, owner: "a") == true)
        #expect(try await store.attempts(payoutId: payout.id) == [attempt])
        #expect(try await store.events(payoutId: payout.id).map(\.kind) == ["created", "attempt_started", "status_changed"])
        #expect(try await store.webhooks(payoutId: payout.id).map(\.payoutStatus) == ["processing"])
        #expect(try await store.payout(id: payout.id)?.status == "processing")
        // After the lease expires another worker may take it over (crash recovery).
        let later = try await store.claimDuePayouts(owner: "b", nowMs: now + 20_000, leaseMs: 10_000, limit: 10)
        #expect(later.map(\.id) == [payout.id])
        }
    }

    @Test("a create that loses to an existing reference or a taken key writes nothing: no payout, no event, no key", arguments: TestStores.backends)
    func refusedCreateWritesNothing(database: TestDatabase) async throws {
        try await MerchantHandlerTests.withFront(database) { front in
        let store = front.store
        let merchant = GatewayConfiguration.DemoMerchant().accountID
        let now = Clock.nowMillis()
        func payout(_ reference: String) -> PayoutRecord { Self.createdPayout(reference, merchant: merchant, now: now) }
        func key(_ name: String) -> IdempotencyRecord {
            IdempotencyRecord(merchantId: merchant, key: name, requestHash: "h-" + name, statusCode: 0, body: "", createdMs: now)
        }
        let first = payout("taken-reference")
        guard case .created = try await store.createPayout(first, event: PayoutEventRecord(payoutId: first.id, kind: "created", detail: "{}"), reserving: key("k1"))
        else { Issue.record("the first create was refused"); return }
        #expect(try await store.idempotency(merchantId: merchant, key: "k1")?.body == first.id)

        // The same reference under a new key: the payout insert fails, so the key's reservation must not stay.
        let second = payout("taken-reference")
        let duplicate = try await store.createPayout(second, event: PayoutEventRecord(payoutId: second.id, kind: "created", detail: "{}"), reserving: key("k2"))
        guard case .duplicate(let existing) = duplicate else { Issue.record("expected duplicate, got \(duplicate)"); return }
        #expect(existing.id == first.id)
        #expect(try await store.idempotency(merchantId: merchant, key: "k2") == nil)
        #expect(try await store.payout(id: second.id) == nil)
        #expect(try await store.events(payoutId: second.id).isEmpty)

        // A taken key with a new reference: the key decides, and the new payout is not written.
        let third = payout("fresh-reference")
        let keyTaken = try await store.createPayout(third, event: PayoutEventRecord(payoutId: third.id, kind: "created", detail: "{}"), reserving: key("k1"))
        guard case .keyTaken(let stored) = keyTaken else { Issue.record("expected keyTaken, got \(keyTaken)"); return }
        #expect(stored.body == first.id)
        #expect(try await store.payout(id: third.id) == nil)
        #expect(try await store.payout(merchantId: merchant, referenceId: "fresh-reference") == nil)
        #expect(try await store.events(payoutId: third.id).isEmpty)
        }
    }

    @Test("a step's events are stored in the order given, in one statement per hundred", arguments: TestStores.backends)
    func stepEventsKeepTheirOrder(database: TestDatabase) async throws {
        try await MerchantHandlerTests.withFront(database) { front in
        let store = front.store
        let merchant = GatewayConfiguration.DemoMerchant().accountID
        let now = Clock.nowMillis()
        let payout = Self.createdPayout("events", merchant: merchant, now: now)
        _ = try await store.createPayout(payout, event: PayoutEventRecord(payoutId: payout.id, atMs: now, kind: "created", detail: "{}"))
        var claimed = try #require(try await store.claimDuePayouts(owner: "a", nowMs: now + 1, leaseMs: 10_000, limit: 1).first)
        // 3 events, then 230 (three statements: 100, 100 and 30), with details that tell them apart.
        for count in [3, 230] {
            let events = (0..<count).map { index in
                PayoutEventRecord(payoutId: payout.id, atMs: now + Int64(index % 7), kind: "step_\(count)", detail: "{\"n\":\(index)}")
            }
            #expect(try await store.commit(PayoutStepCommit(payout: claimed, events: events, keepLease: true), owner: "a"))
            let stored = try await store.events(payoutId: payout.id).filter { $0.kind == "step_\(count)" }
            #expect(stored == events)
        }
        claimed.nextActionAt = nil
        #expect(try await store.commit(PayoutStepCommit(payout: claimed), owner: "a"))
        #expect(try await store.events(payoutId: payout.id).count == 1 + 3 + 230)
        }
    }

    /// A claim reads each provider's due payouts through its queue: a provider with no free worker costs nothing (its
    /// payouts are neither claimed nor given back), and payouts of queues the plan does not name (a provider removed
    /// from the routes, a payout stored before queues existed) are found by the catch-all.
    @Test("claims take each provider's room from its queue; the catch-all finds the other queues", arguments: TestStores.backends)
    func queuedClaims(database: TestDatabase) async throws {
        try await MerchantHandlerTests.withFront(database) { front in
            let store = front.store
            let now = Clock.nowMillis()
            func make(_ reference: String, candidate: String?, at offset: Int64) async throws -> String {
                var payout = StoreFencingTests.payout(reference, now: now + offset)
                payout.nextActionAt = now + offset
                payout.decision = candidate.map { #"{"candidates":["\#($0)"],"skipped":{}}"# }
                _ = try await store.createPayout(payout, event: PayoutEventRecord(payoutId: payout.id, kind: "created", detail: "{}"))
                return payout.id
            }
            var busy: [String] = [], idle: [String] = []
            for index in 0..<6 { busy.append(try await make("busy-\(index)", candidate: "busy", at: Int64(index))) }
            for index in 0..<3 { idle.append(try await make("idle-\(index)", candidate: "idle", at: 10 + Int64(index))) }
            let removed = try await make("removed", candidate: "gone", at: 20)
            let none = try await make("none", candidate: nil, at: 21)
            let at = now + 100

            // "busy" has no room: none of its payouts is touched, although they are due first.
            let plan = ClaimPlan(total: 10, queues: [.init(key: "busy", room: 0), .init(key: "idle", room: 2)], othersRoom: 0)
            let first = try await store.claimDuePayouts(owner: "w", nowMs: at, leaseMs: 10_000, plan: plan)
            #expect(Set(first.map(\.id)) == Set(idle.prefix(2)), "the idle provider's two earliest due payouts")
            for id in busy { #expect(try await store.payout(id: id)?.leaseOwner == nil) }

            // The catch-all skips the named queues and finds the others, a payout without a candidate included.
            let others = try await store.claimDuePayouts(
                owner: "w", nowMs: at, leaseMs: 10_000,
                plan: ClaimPlan(total: 10, queues: [.init(key: "busy", room: 0), .init(key: "idle", room: 0)], othersRoom: 5))
            #expect(Set(others.map(\.id)) == [removed, none])

            // The total bounds every queue together, in the plan's order.
            let capped = try await store.claimDuePayouts(
                owner: "w", nowMs: at, leaseMs: 10_000,
                plan: ClaimPlan(total: 3, queues: [.init(key: "idle", room: 8), .init(key: "busy", room: 8)], othersRoom: 8))
            #expect(Set(capped.map(\.id)) == Set([idle[2]] + busy.prefix(2)))

            // A step that moves a payout to another provider moves it to that provider's queue.
            var moved = try #require(capped.first { $0.id == busy[0] })
            moved.providerId = "idle"
            moved.nextActionAt = at
            #expect(try await store.commit(PayoutStepCommit(payout: moved), owner: "w"))
            let again = try await store.claimDuePayouts(
                owner: "w", nowMs: at + 1, leaseMs: 10_000, plan: ClaimPlan(total: 10, queues: [.init(key: "idle", room: 8)], othersRoom: 0))
            #expect(again.map(\.id) == [busy[0]])
        }
    }

    @Test("the claim plan serves providers in rotation, each up to its free share, and looks at other queues once a second")
    func claimPlan() {
        let room = SlidingWindow.Room(free: 5, held: ["a": 4, "b": 1], perKeyLimit: 4, generation: 0)
        let plan = ClaimPlanner.plan(room: room, providers: ["a", "b", "c"], rotation: 1, includeOthers: false)
        #expect(plan == ClaimPlan(total: 5, queues: [.init(key: "b", room: 3), .init(key: "c", room: 4), .init(key: "a", room: 0)], othersRoom: 0))
        #expect(ClaimPlanner.plan(room: room, providers: ["a", "b", "c"], rotation: 3, includeOthers: true).queues.first?.key == "a")
        #expect(ClaimPlanner.plan(room: room, providers: [], rotation: 0, includeOthers: true) == ClaimPlan(total: 5, queues: [], othersRoom: 4))
        let planner = ClaimPlanner()
        #expect(planner.plan(room: room, providers: ["a"], nowMs: 10_000).othersRoom == 4)
        #expect(planner.plan(room: room, providers: ["a"], nowMs: 10_500).othersRoom == 0, "at most once a second")
        #expect(planner.plan(room: room, providers: ["a"], nowMs: 11_000).othersRoom == 4)
    }

    @Test("a PostgreSQL URL's connect_timeout bounds how long opening waits (1–600 s, default 15)")
    func connectTimeout() throws {
        #expect(try PostgresLocation.parse("postgres://u@h/db", environment: [:]).connectTimeoutSeconds == 15)
        #expect(try PostgresLocation.parse("postgres://u@h/db?sslmode=disable&connect_timeout=42", environment: [:]).connectTimeoutSeconds == 42)
        #expect(throws: DatabaseLocation.Unsupported.self) { try PostgresLocation.parse("postgres://u@h/db?connect_timeout=0", environment: [:]) }
    }
}

@Suite("Payout identifiers")
struct IdentifierTests {
    @Test("payout ids keep the dialect's shape, sort by creation time, and stay unique within a millisecond")
    func timeOrdered() {
        let shape = /cpoi_[0-9A-Za-z]{16}/
        var previous = ""
        for millis: Int64 in [0, 1, 61, 62, 1_700_000_000_000, 1_700_000_000_001, 1_700_000_086_400, 3_521_614_606_207] {
            let id = Identifier.timeOrdered("cpoi_", nowMillis: millis)
            #expect(id.wholeMatch(of: shape) != nil, "\(id)")
            #expect(id.utf8.lexicographicallyPrecedes(previous.utf8) == false, "\(id) after \(previous)")
            #expect(previous.isEmpty || id.prefix(12) != previous.prefix(12))
            previous = id
        }
        let sameMillisecond = Set((0..<10_000).map { _ in Identifier.timeOrdered("cpoi_", nowMillis: 1_700_000_000_000) })
        #expect(sameMillisecond.count == 10_000)
        #expect(Set(sameMillisecond.map { $0.prefix(12) }).count == 1)
    }
}
