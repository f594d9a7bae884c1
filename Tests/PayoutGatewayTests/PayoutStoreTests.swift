import AsyncHTTPClient
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
@testable import PayoutGateway
@testable import PayoutSandbox
import Testing

@Suite("Payout store")
struct PayoutStoreTests {
    @Test("concurrent creates with one reference make one payout: the unique index decides", arguments: TestStores.backends)
    func concurrentIdempotentCreates(database: TestDatabase) async throws {
        try await MerchantHandlerTests.withFront(database) { front in
        let store = front.store
        let merchant = GatewayConfiguration.DemoMerchant().accountID
        let results = try await withThrowingTaskGroup(of: Bool.self) { group in
            for index in 0..<25 {
                group.addTask {
                    let now = Clock.nowMillis()
                    let payout = PayoutRecord(
                        id: Identifier.make("cpoi_"), merchantId: merchant, referenceId: "same", status: "created", resolution: "ok",
                        service: "card", method: "payment_card", currency: "USD", amountMinor: Int64(100 + index), feeMinor: 0,
                        testMode: true, description: nil, fieldsMasked: "{}", fieldsSealed: nil, metadata: nil, customer: nil,
                        customerId: nil, callbackUrl: nil, autoProcess: true, processRequested: true, providerId: nil, decision: nil,
                        redirectUrl: nil, pendingReason: nil, processedAt: nil, processedAmountMinor: nil, createdMs: now,
                        updatedMs: now, nextActionAt: now, leaseOwner: nil, leaseUntil: nil)
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

    @Test("a leased payout cannot be claimed by another worker, and a step commits only under its lease", arguments: TestStores.backends)
    func leases(database: TestDatabase) async throws {
        try await MerchantHandlerTests.withFront(database) { front in
        let store = front.store
        let merchant = GatewayConfiguration.DemoMerchant().accountID
        let now = Clock.nowMillis()
        let payout = PayoutRecord(
            id: Identifier.make("cpoi_"), merchantId: merchant, referenceId: "lease", status: "created", resolution: "ok",
            service: "card", method: "payment_card", currency: "USD", amountMinor: 100, feeMinor: 0, testMode: true,
            description: nil, fieldsMasked: "{}", fieldsSealed: nil, metadata: nil, customer: nil, customerId: nil,
            callbackUrl: nil, autoProcess: true, processRequested: true, providerId: nil, decision: nil, redirectUrl: nil,
            pendingReason: nil, processedAt: nil, processedAmountMinor: nil, createdMs: now, updatedMs: now,
            nextActionAt: now, leaseOwner: nil, leaseUntil: nil)
        _ = try await store.createPayout(payout, event: PayoutEventRecord(payoutId: payout.id, kind: "created", detail: "{}"))
        let first = try await store.claimDuePayouts(owner: "a", nowMs: now + 1, leaseMs: 10_000, limit: 10)
        #expect(first.map(\.id) == [payout.id])
        #expect(try await store.claimDuePayouts(owner: "b", nowMs: now + 2, leaseMs: 10_000, limit: 10).isEmpty)
        #expect(try await store.commit(PayoutStepCommit(payout: first[0]), owner: "b") == false)
        #expect(try await store.commit(PayoutStepCommit(payout: first[0]), owner: "a") == true)
        // After the lease expires another worker may take it over (crash recovery).
        let later = try await store.claimDuePayouts(owner: "b", nowMs: now + 20_000, leaseMs: 10_000, limit: 10)
        #expect(later.map(\.id) == [payout.id])
        }
    }

    @Test("a PostgreSQL URL's connect_timeout bounds how long opening waits (1–600 s, default 15)")
    func connectTimeout() throws {
        #expect(try PostgresLocation.parse("postgres://u@h/db", environment: [:]).connectTimeoutSeconds == 15)
        #expect(try PostgresLocation.parse("postgres://u@h/db?sslmode=disable&connect_timeout=42", environment: [:]).connectTimeoutSeconds == 42)
        #expect(throws: DatabaseLocation.Unsupported.self) { try PostgresLocation.parse("postgres://u@h/db?connect_timeout=0", environment: [:]) }
    }
}
