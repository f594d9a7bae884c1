import Foundation
import Logging
@testable import PayoutGateway
@testable import PayoutSandbox
import SQLKit
import Testing

/// The store backends a parameterised test runs on: SQLite always; PostgreSQL when
/// `PAYOUT_GATEWAY_TEST_POSTGRES_URL` names a server (`.ci/postgres.sh` starts one). Each PostgreSQL case gets a new
/// database of its own, dropped afterwards.
enum TestDatabase: String, Sendable, CaseIterable, CustomTestStringConvertible {
    case sqlite
    case postgres

    var testDescription: String { rawValue }
}

enum TestStores {
    static let postgresURL: String? = ProcessInfo.processInfo.environment["PAYOUT_GATEWAY_TEST_POSTGRES_URL"].flatMap { $0.isEmpty ? nil : $0 }

    /// The backends to run on; says once when the PostgreSQL cases are skipped.
    static let backends: [TestDatabase] = {
        guard postgresURL != nil else {
            print("note: PostgreSQL store cases skipped (set PAYOUT_GATEWAY_TEST_POSTGRES_URL, e.g. from .ci/postgres.sh)")
            return [.sqlite]
        }
        return [.sqlite, .postgres]
    }()

    /// A migrated, empty store on `database`; `body` runs with it, then it is closed (and a PostgreSQL database dropped).
    static func withBackend<Value: Sendable>(_ database: TestDatabase, _ body: (any SQLBackend) async throws -> Value) async throws -> Value {
        switch database {
        case .sqlite:
            let backend = try await SQLiteBackend.openInMemory(logger: TestGateway.logger)
            return try await run(backend, body, cleanup: {})
        case .postgres:
            let admin = try #require(postgresURL)
            let name = "pgw_" + Identifier.random(length: 12).lowercased()
            let adminBackend = try await open(admin)
            try await adminBackend.read { db in try await db.raw("CREATE DATABASE \(unsafeRaw: name)").run() }
            let url = try databaseURL(admin, name: name)
            let backend = try await open(url)
            return try await run(backend, body) {
                _ = try? await adminBackend.read { db in try await db.raw("DROP DATABASE IF EXISTS \(unsafeRaw: name) WITH (FORCE)").run() }
                await adminBackend.shutdown()
            }
        }
    }

    /// A database URL like `admin` naming a new database of the same server.
    static func databaseURL(_ admin: String, name: String) throws -> String {
        var components = try #require(URLComponents(string: admin))
        components.path = "/" + name
        return try #require(components.string)
    }

    /// Test runs start dozens of servers at once on two cores (RSA keys for every simulator in a debug build): the
    /// server gets a minute to answer instead of the production default of 15 s.
    static func patient(_ url: String) -> String {
        guard var components = URLComponents(string: url), !(components.queryItems ?? []).contains(where: { $0.name == "connect_timeout" })
        else { return url }
        components.queryItems = (components.queryItems ?? []) + [URLQueryItem(name: "connect_timeout", value: "60")]
        return components.string ?? url
    }

    /// Creates an empty database on the test server and returns its URL (for gateways started on it).
    static func createDatabase() async throws -> (url: String, drop: @Sendable () async -> Void) {
        let admin = try #require(postgresURL)
        let name = "pgw_" + Identifier.random(length: 12).lowercased()
        let adminBackend = try await open(admin)
        try await adminBackend.read { db in try await db.raw("CREATE DATABASE \(unsafeRaw: name)").run() }
        return (patient(try databaseURL(admin, name: name)), {
            _ = try? await adminBackend.read { db in try await db.raw("DROP DATABASE IF EXISTS \(unsafeRaw: name) WITH (FORCE)").run() }
            await adminBackend.shutdown()
        })
    }

    static func open(_ url: String) async throws -> any SQLBackend {
        try await DatabaseLocation.parse(patient(url), environment: [:]).open(logger: TestGateway.logger)
    }

    private static func run<Value: Sendable>(
        _ backend: any SQLBackend, _ body: (any SQLBackend) async throws -> Value, cleanup: () async -> Void
    ) async throws -> Value {
        do {
            try await SQLPayoutStore(backend: backend).migrate()
            let value = try await body(backend)
            await backend.shutdown()
            await cleanup()
            return value
        } catch {
            await backend.shutdown()
            await cleanup()
            throw error
        }
    }
}
