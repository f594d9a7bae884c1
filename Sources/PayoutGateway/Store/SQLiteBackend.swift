import Foundation
import Logging
import NIOPosix
import SQLKit
import SQLiteKit
import Synchronization

/// SQLite through one connection in WAL mode; an async lock serialises transactions so that they never
/// interleave on the connection. Readers and the writer share it (SQLite has one writer anyway).
public final class SQLiteBackend: SQLBackend {
    public let kind = SQLBackendKind.sqlite
    private let connection: SQLiteConnection
    private let lock = AsyncLock()
    private let closed = Mutex(false)

    public static func open(path: String, logger: Logger) async throws -> SQLiteBackend {
        let directory = (path as NSString).deletingLastPathComponent
        if !directory.isEmpty {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        }
        let connection = try await SQLiteConnection.open(storage: .file(path: path), logger: logger)
        let backend = SQLiteBackend(connection: connection)
        let db = connection.sql(queryLogLevel: nil)
        try await db.raw("PRAGMA busy_timeout = 10000").run()
        try await db.raw("PRAGMA journal_mode = WAL").run()
        try await db.raw("PRAGMA synchronous = FULL").run()
        try await db.raw("PRAGMA foreign_keys = ON").run()
        return backend
    }

    public static func openInMemory(logger: Logger) async throws -> SQLiteBackend {
        let connection = try await SQLiteConnection.open(storage: .memory, logger: logger)
        try await connection.sql(queryLogLevel: nil).raw("PRAGMA foreign_keys = ON").run()
        return SQLiteBackend(connection: connection)
    }

    private init(connection: SQLiteConnection) {
        self.connection = connection
    }

    public func transaction<R: Sendable>(_ body: @escaping @Sendable (any SQLDatabase) async throws -> R) async throws -> R {
        let db = connection.sql(queryLogLevel: nil)
        return try await lock.withLock {
            try await db.raw("BEGIN IMMEDIATE").run()
            do {
                let result = try await body(db)
                try await db.raw("COMMIT").run()
                return result
            } catch {
                try? await db.raw("ROLLBACK").run()
                throw error
            }
        }
    }

    public func read<R: Sendable>(_ body: @escaping @Sendable (any SQLDatabase) async throws -> R) async throws -> R {
        let db = connection.sql(queryLogLevel: nil)
        return try await lock.withLock { try await body(db) }
    }

    /// Closes the connection once; later calls do nothing.
    public func shutdown() async {
        let first = closed.withLock { closed -> Bool in
            defer { closed = true }
            return !closed
        }
        guard first else { return }
        // The future-based close runs even when this task is cancelled (a failed start cancels the group).
        await lock.withLock { try? await connection.close().get() }
    }
}
