import Foundation
import SQLKit
import SQLiteKit
import SQLiteNIO
@testable import PayoutGateway
@testable import PayoutSandbox
import Testing

/// The SQLite writer's group commit: concurrent transactions share one COMMIT, each in its own savepoint.
@Suite("SQLite group commit")
struct SQLiteGroupCommitTests {
    static func withFileBackend(_ body: (SQLiteBackend, String) async throws -> Void) async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("pgw-gc-\(UUID().uuidString)")
        let path = directory.appendingPathComponent("store.sqlite").path
        let backend = try await SQLiteBackend.open(path: path, readers: 2, logger: TestGateway.logger)
        do {
            try await SQLPayoutStore(backend: backend).migrate()
            try await body(backend, path)
        } catch {
            await backend.shutdown()
            throw error
        }
        await backend.shutdown()
        try? FileManager.default.removeItem(at: directory)
    }

    @Test("a failing transaction among concurrent ones is rolled back alone; every acknowledged one is on disk after a reopen")
    func failingNeighbour() async throws {
        try await Self.withFileBackend { backend, path in
            try await backend.transaction { db in
                try await db.raw("CREATE TABLE t (k TEXT PRIMARY KEY, v INTEGER NOT NULL)").run()
            }
            struct Refused: Error {}
            let outcomes = await withTaskGroup(of: (Int, Bool).self) { group in
                for index in 0..<200 {
                    group.addTask {
                        do {
                            try await backend.transaction { db in
                                try await db.raw("INSERT INTO t (k, v) VALUES (\(bind: "k\(index)"), \(bind: index))").run()
                                // Every seventh writes a second row and then fails: neither row may stay.
                                if index % 7 == 0 {
                                    try await db.raw("INSERT INTO t (k, v) VALUES (\(bind: "extra\(index)"), 0)").run()
                                    throw Refused()
                                }
                                // Every eleventh collides with a key another transaction wrote: the constraint refuses it.
                                if index % 11 == 0 { try await db.raw("INSERT INTO t (k, v) VALUES ('k1', 0)").run() }
                            }
                            return (index, true)
                        } catch {
                            return (index, false)
                        }
                    }
                }
                var outcomes: [Int: Bool] = [:]
                for await (index, ok) in group { outcomes[index] = ok }
                return outcomes
            }
            let expected = Set((0..<200).filter { $0 % 7 != 0 && $0 % 11 != 0 })
            #expect(Set(outcomes.filter(\.value).keys) == expected)
            await backend.shutdown()

            // Reopen: exactly the acknowledged transactions are there.
            let reopened = try await SQLiteBackend.open(path: path, readers: 1, logger: TestGateway.logger)
            let keys = try await reopened.read { db in
                try await db.raw("SELECT k FROM t").all().map { try $0.decode(column: "k", as: String.self) }
            }
            await reopened.shutdown()
            #expect(Set(keys) == Set(expected.map { "k\($0)" }))
        }
    }

    @Test("concurrent creates on a file store: one payout per reference, all readable from the reader pool at once")
    func concurrentCreates() async throws {
        try await Self.withFileBackend { backend, _ in
            let store = SQLPayoutStore(backend: backend)
            let now = Clock.nowMillis()
            try await store.insertMerchant(MerchantRecord(
                id: GatewayConfiguration.DemoMerchant().accountID, name: "Demo", apiKeyHash: "x", publicKey: "pk", callbackSecretSealed: "x",
                createdMs: now))
            let results = await withTaskGroup(of: String?.self) { group in
                for index in 0..<100 {
                    group.addTask {
                        // References repeat in pairs: the unique index refuses the second of each pair.
                        let payout = StoreFencingTests.payout("ref-\(index / 2)", now: now)
                        let event = PayoutEventRecord(payoutId: payout.id, atMs: now, kind: "created", detail: "{}")
                        guard case .created(let created)? = try? await store.createPayout(payout, event: event) else { return nil }
                        return created.id
                    }
                }
                var ids: [String] = []
                for await id in group { if let id { ids.append(id) } }
                return ids
            }
            #expect(results.count == 50)
            for id in results { #expect(try await store.payout(id: id) != nil) }
            #expect(try await store.countNonFinal() == 50)
        }
    }

    /// The engine reads a payout's attempts and webhooks on every step, each time with another payout id bound: the
    /// cached statement must not be compiled again for each new value (it was, twice per step, ~4 % of the CPU).
    @Test("a cached statement is not re-prepared when new values are bound")
    func noReprepareOnBind() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("pgw-qpsg-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("store.sqlite").path
        let backend = try await SQLiteBackend.open(path: path, readers: 1, logger: TestGateway.logger)
        try await SQLPayoutStore(backend: backend).migrate()
        await backend.shutdown()
        let handle = try SQLiteHandle(path: path, readOnly: false)
        defer { handle.close() }
        let sql = "SELECT * FROM attempts WHERE payout_id = ?1 ORDER BY number"
        for id in ["po_a", "po_b", "po_c", "po_d"] {
            try handle.run(sql, binds: [.text(id)]) { _ in }
        }
        #expect(handle.reprepares(sql) == 0)
    }
    @Test("values are bound as SQLiteKit's encoder would bind them")
    func bindsAsSQLiteKit() throws {
        let encoder = SQLiteKit.SQLiteDataEncoder()
        let optionalText: String? = "x"
        let noText: String? = nil
        let noInteger: Int64? = nil
        let someInteger: Int64? = 42
        let someBool: Bool? = false
        let values: [any Encodable & Sendable] = [
            "text", "", Int64(-7), Int64.max, 3, true, false, optionalText, noText, noInteger, someInteger, someBool,
            2.5, PayoutStatus.processed,
        ]
        for value in values {
            #expect(try SQLiteDirectDatabase.data(value) == encoder.encode(value), "\(value)")
        }
    }
}

