import Foundation
import Logging
import NIOSSL
import PostgresKit
import PostgresNIO
import SQLKit

/// Where a PostgreSQL store is, from `postgres://user[:password]@host[:port]/database[?sslmode=…]`. The password
/// comes from the URL, else `PGPASSWORD`, else the file named by `PAYOUT_GATEWAY_DATABASE_PASSWORD_FILE`; it never
/// appears in `description`.
public struct PostgresLocation: Sendable, Equatable, CustomStringConvertible {
    public enum SSLMode: String, Sendable, Equatable {
        case disable, prefer, require
    }

    public var host: String
    public var port: Int
    public var username: String
    public var password: String?
    public var database: String?
    public var sslMode: SSLMode
    /// Connections in this instance's pool (`PAYOUT_GATEWAY_DATABASE_POOL_SIZE`, default 10).
    public var poolSize: Int
    /// How long opening the store waits for the server to answer (`?connect_timeout=` seconds, as libpq; default 15).
    public var connectTimeoutSeconds: Int = 15

    public var description: String {
        "postgres://\(username)@\(host):\(port)/\(database ?? "") (sslmode \(sslMode.rawValue), pool \(poolSize))"
    }

    public static func parse(_ url: String, environment: [String: String]) throws -> PostgresLocation {
        guard let components = URLComponents(string: url), let host = components.host, !host.isEmpty else {
            throw DatabaseLocation.Unsupported(description: "the PostgreSQL URL must look like postgres://user@host:port/database")
        }
        guard let user = components.user, !user.isEmpty else {
            throw DatabaseLocation.Unsupported(description: "the PostgreSQL URL needs a user name (postgres://user@host/database)")
        }
        var password = components.password?.removingPercentEncoding ?? environment["PGPASSWORD"]
        if password == nil, let file = environment["PAYOUT_GATEWAY_DATABASE_PASSWORD_FILE"] {
            guard let data = FileManager.default.contents(atPath: file) else {
                throw DatabaseLocation.Unsupported(description: "cannot read PAYOUT_GATEWAY_DATABASE_PASSWORD_FILE")
            }
            password = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        }
        let query = components.queryItems ?? []
        let modeText = query.last(where: { ["sslmode", "tlsmode"].contains($0.name.lowercased()) })?.value?.lowercased() ?? "prefer"
        let mode: SSLMode
        switch modeText {
        case "disable", "allow": mode = .disable
        case "prefer": mode = .prefer
        case "require", "verify-ca", "verify-full": mode = .require
        default: throw DatabaseLocation.Unsupported(description: "unknown sslmode \(modeText) (disable, prefer, require, verify-full)")
        }
        let path = components.path.hasPrefix("/") ? String(components.path.dropFirst()) : components.path
        let pool = environment["PAYOUT_GATEWAY_DATABASE_POOL_SIZE"].flatMap(Int.init) ?? 10
        guard (1...200).contains(pool) else {
            throw DatabaseLocation.Unsupported(description: "PAYOUT_GATEWAY_DATABASE_POOL_SIZE must be 1 to 200")
        }
        var location = PostgresLocation(
            host: host, port: components.port ?? 5432, username: user.removingPercentEncoding ?? user, password: password,
            database: path.isEmpty ? nil : path, sslMode: mode, poolSize: pool)
        if let text = query.last(where: { $0.name.lowercased() == "connect_timeout" })?.value {
            guard let seconds = Int(text), (1...600).contains(seconds) else {
                throw DatabaseLocation.Unsupported(description: "connect_timeout must be 1 to 600 seconds")
            }
            location.connectTimeoutSeconds = seconds
        }
        return location
    }
}

/// The store on PostgreSQL through PostgresNIO's pooled `PostgresClient` (several gateway instances share it).
/// The client's `run()` loop belongs to this backend: started on open, ended by `shutdown()`.
public final class PostgresBackend: SQLBackend {
    public let kind = SQLBackendKind.postgres
    let client: PostgresClient
    let runner: Task<Void, Never>
    let logger: Logger

    public static func open(_ location: PostgresLocation, logger: Logger) async throws -> PostgresBackend {
        let tls: PostgresClient.Configuration.TLS
        switch location.sslMode {
        case .disable: tls = .disable
        case .prefer: tls = .prefer(.makeClientConfiguration())
        case .require: tls = .require(.makeClientConfiguration())
        }
        var configuration = PostgresClient.Configuration(
            host: location.host, port: location.port, username: location.username, password: location.password,
            database: location.database, tls: tls)
        configuration.options.maximumConnections = location.poolSize
        configuration.options.connectTimeout = .seconds(Int64(min(10, location.connectTimeoutSeconds)))
        let client = PostgresClient(configuration: configuration, backgroundLogger: logger)
        let backend = PostgresBackend(client: client, runner: Task { await client.run() }, logger: logger)
        // Fail fast when the server cannot be reached (the pool itself would keep retrying).
        do {
            try await withThrowingTaskGroup(of: Bool.self) { group in
                group.addTask {
                    _ = try await backend.read { db in try await db.raw("SELECT 1 AS one").first() }
                    return true
                }
                group.addTask {
                    try await Task.sleep(for: .seconds(location.connectTimeoutSeconds))
                    return false
                }
                let reached = try await group.next() ?? false
                group.cancelAll()
                if !reached {
                    throw DatabaseLocation.Unsupported(
                        description: "PostgreSQL at \(location.host):\(location.port) did not answer within \(location.connectTimeoutSeconds) s")
                }
            }
        } catch {
            await backend.shutdown()
            if let unsupported = error as? DatabaseLocation.Unsupported { throw unsupported }
            // PSQLError's description is deliberately generic; it carries no password.
            throw DatabaseLocation.Unsupported(description: "cannot open PostgreSQL at \(location.host):\(location.port): \(String(describing: error).prefix(300))")
        }
        return backend
    }

    private init(client: PostgresClient, runner: Task<Void, Never>, logger: Logger) {
        self.client = client
        self.runner = runner
        self.logger = logger
    }

    public func transaction<R: Sendable>(_ body: @escaping @Sendable (any SQLDatabase) async throws -> R) async throws -> R {
        try await client.withTransaction(logger: logger) { connection in
            try await body(connection.sql(queryLogLevel: nil))
        }
    }

    public func statement<R: Sendable>(_ body: @escaping @Sendable (any SQLDatabase) async throws -> R) async throws -> R {
        try await client.withConnection { connection in
            try await body(connection.sql(queryLogLevel: nil))
        }
    }

    public func read<R: Sendable>(_ body: @escaping @Sendable (any SQLDatabase) async throws -> R) async throws -> R {
        try await client.withConnection { connection in
            try await body(connection.sql(queryLogLevel: nil))
        }
    }

    public func shutdown() async {
        runner.cancel()
        await runner.value
    }
}
