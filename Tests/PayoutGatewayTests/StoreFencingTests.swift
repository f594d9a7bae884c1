import Foundation
@testable import PayoutGateway
@testable import PayoutSandbox
import Testing

/// The store's side of the lifecycle: fenced leases, merchant actions never overwritten, webhooks in order.
@Suite("Store fencing and ordering (SQLite and PostgreSQL)")
struct StoreFencingTests {
    static func payout(_ reference: String, now: Int64, processRequested: Bool = true, callback: String? = nil) -> PayoutRecord {
        PayoutRecord(
            id: Identifier.make("cpoi_"), merchantId: GatewayConfiguration.DemoMerchant().accountID, referenceId: reference, status: "created",
            resolution: "ok", service: "card", method: "payment_card", currency: "USD", amountMinor: 100, feeMinor: 0, testMode: true,
            description: nil, fieldsMasked: "{}", fieldsSealed: "x", metadata: nil, customer: nil, customerId: nil,
            callbackUrl: callback, autoProcess: processRequested, processRequested: processRequested, providerId: nil, decision: nil,
            redirectUrl: nil, pendingReason: nil, processedAt: nil, processedAmountMinor: nil, createdMs: now, updatedMs: now,
            nextActionAt: now, leaseOwner: nil, leaseUntil: nil)
    }

    /// A payout not yet asked to process, claimed by a worker; then the merchant's /process lands (mid-step).
    static func claimedThenProcessRequested(_ store: any PayoutStore, _ reference: String, now: Int64) async throws -> (PayoutRecord, PayoutRecord) {
        let payout = Self.payout(reference, now: now, processRequested: false)
        _ = try await store.createPayout(payout, event: PayoutEventRecord(payoutId: payout.id, kind: "created", detail: "{}"))
        let claimed = try #require(try await store.claimDuePayouts(owner: "gw", nowMs: now + 1, leaseMs: 10_000, limit: 1).first)
        _ = try await store.requestProcessing(id: payout.id, merchantId: payout.merchantId, nowMs: now + 2)
        return (payout, claimed)
    }

    @Test("a worker whose lease expired cannot commit after another claimed the payout, even with the same owner name", arguments: TestStores.backends)
    func fencedByToken(database: TestDatabase) async throws {
        try await MerchantHandlerTests.withFront(database) { front in
            let store = front.store
            let now = Clock.nowMillis()
            let payout = Self.payout("fence", now: now)
            _ = try await store.createPayout(payout, event: PayoutEventRecord(payoutId: payout.id, kind: "created", detail: "{}"))
            let first = try #require(try await store.claimDuePayouts(owner: "gw", nowMs: now + 1, leaseMs: 1_000, limit: 1).first)
            // The lease runs out mid-call; the same instance (same owner name) claims it again in another worker.
            let second = try #require(try await store.claimDuePayouts(owner: "gw", nowMs: now + 5_000, leaseMs: 1_000, limit: 1).first)
            #expect(second.leaseToken == first.leaseToken + 1)
            var stale = first
            stale.status = "process_failed"
            #expect(try await store.commit(PayoutStepCommit(payout: stale), owner: "gw") == false)
            #expect(try await store.renewLease(payoutId: payout.id, owner: "gw", token: first.leaseToken, untilMs: now + 60_000) == false)
            #expect(try await store.renewLease(payoutId: payout.id, owner: "gw", token: second.leaseToken, untilMs: now + 60_000) == true)
            #expect(try await store.payout(id: payout.id)?.status == "created")
            #expect(try await store.commit(PayoutStepCommit(payout: second), owner: "gw") == true)
        }
    }

    @Test("a merchant's /process that lands during an engine step survives the step's commit and makes the payout due", arguments: TestStores.backends)
    func processDuringStepIsKept(database: TestDatabase) async throws {
        try await MerchantHandlerTests.withFront(database) { front in
            let store = front.store
            let now = Clock.nowMillis()
            let (payout, first) = try await Self.claimedThenProcessRequested(store, "process-race", now: now)
            var claimed = first
            // The step decided on the payout as claimed (not yet asked to process): wait for /process until expiry.
            claimed.nextActionAt = now + 86_400_000
            #expect(try await store.commit(PayoutStepCommit(payout: claimed), owner: "gw"))
            let stored = try #require(try await store.payout(id: payout.id))
            #expect(stored.processRequested)
            #expect((stored.nextActionAt ?? .max) <= now + 2, "the payout must be due again at once")
        }
    }

    @Test("a /process that lands before a step's intent commit still makes the payout due after the step's last commit", arguments: TestStores.backends)
    func processBeforeIntentCommitIsKept(database: TestDatabase) async throws {
        try await MerchantHandlerTests.withFront(database) { front in
            let store = front.store
            let now = Clock.nowMillis()
            let (payout, first) = try await Self.claimedThenProcessRequested(store, "process-intent-race", now: now)
            var claimed = first
            // The intent of a create, committed with the lease kept, a few milliseconds later.
            claimed.nextActionAt = now + 5
            #expect(try await store.commit(PayoutStepCommit(payout: claimed, keepLease: true), owner: "gw"))
            // The step ends believing nobody asked to process: wait for /process until expiry.
            claimed.nextActionAt = now + 86_400_000
            #expect(try await store.commit(PayoutStepCommit(payout: claimed), owner: "gw"))
            let stored = try #require(try await store.payout(id: payout.id))
            #expect((stored.nextActionAt ?? .max) <= now + 5, "the /process was lost: due in \((stored.nextActionAt ?? 0) - now) ms")
        }
    }

    @Test("an expiry commit loses to a /process that landed meanwhile", arguments: TestStores.backends)
    func expiryLosesToProcess(database: TestDatabase) async throws {
        try await MerchantHandlerTests.withFront(database) { front in
            let store = front.store
            let now = Clock.nowMillis()
            let (payout, first) = try await Self.claimedThenProcessRequested(store, "expiry-race", now: now)
            var claimed = first
            claimed.status = "expired"
            #expect(try await store.commit(PayoutStepCommit(payout: claimed, requireNoProcessRequest: true), owner: "gw") == false)
            #expect(try await store.payout(id: payout.id)?.status == "created")
        }
    }

    @Test("per payout only the oldest pending webhook is handed out, so a newer status never overtakes an older one", arguments: TestStores.backends)
    func webhooksInOrder(database: TestDatabase) async throws {
        try await MerchantHandlerTests.withFront(database) { front in
            let store = front.store
            let now = Clock.nowMillis()
            let payout = Self.payout("hooks", now: now, callback: "http://127.0.0.1:9/hook")
            _ = try await store.createPayout(payout, event: PayoutEventRecord(payoutId: payout.id, kind: "created", detail: "{}"))
            for (index, status) in ["processing", "processed"].enumerated() {
                var claimed = try #require(try await store.claimDuePayouts(owner: "gw", nowMs: now + 1 + Int64(index), leaseMs: 10_000, limit: 1).first)
                claimed.status = status
                claimed.updatedMs = now + 10 + Int64(index)
                claimed.nextActionAt = now + 2 + Int64(index)
                #expect(try await store.commit(PayoutStepCommit(payout: claimed, webhookBody: "{\"s\":\"\(status)\"}"), owner: "gw"))
            }
            let first = try await store.claimDueWebhooks(nowMs: now + 100, leaseMs: 10_000, limit: 10)
            #expect(first.map(\.payoutStatus) == ["processing"])
            #expect(try await store.claimDueWebhooks(nowMs: now + 100, leaseMs: 10_000, limit: 10).isEmpty, "the newer one waits for the older")
            try await store.recordWebhookAttempt(id: first[0].id, code: 200, error: nil, delivered: true, nextAttemptAt: now, giveUp: false)
            // A merchant whose delivery slots are all busy is skipped, its webhook left as it was (not claimed).
            #expect(try await store.claimDueWebhooks(nowMs: now + 100, leaseMs: 10_000, limit: 10, excludingMerchants: [payout.merchantId]).isEmpty)
            #expect(try await store.claimDueWebhooks(nowMs: now + 100, leaseMs: 10_000, limit: 10, excludingMerchants: ["other"]).map(\.payoutStatus) == ["processed"])
        }
    }

    @Test("a missing data key file is never replaced while the store holds sealed data")
    func missingDataKeyStopsStartUp() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("pgw-key-\(UUID().uuidString)").path
        #expect(throws: SealError.self) { try FieldSealer.loadOrCreate(path: path, storeHoldsSealedData: true) }
        #expect(!FileManager.default.fileExists(atPath: path))
        _ = try FieldSealer.loadOrCreate(path: path, storeHoldsSealedData: false)
        #expect(FileManager.default.fileExists(atPath: path))
        try? FileManager.default.removeItem(atPath: path)
    }
}
