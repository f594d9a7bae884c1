import Foundation
import Logging
import NIOPosix
import SQLKit
import SQLiteKit
import Synchronization

/// SQLite in WAL mode: one writer connection, whose transactions an async lock serialises (SQLite has one writer
/// anyway), and a pool of read-only connections, so that reads never queue behind writes (WAL lets readers see the
/// last commit while a write is in progress). An in-memory database has no readers: it is private to its connection.
public final class SQLiteBackend: SQLBackend {
    public let kind = SQLBackendKind.sqlite
    private let writer: SQLiteConnection
    private let writeLock = AsyncLock()
    private let readers: SQLiteReaderPool?
    private let closed = Mutex(false)

    /// Read connections when `PAYOUT_GATEWAY_DATABASE_POOL_SIZE` does not say.
    public static let defaultReaders = 4

    public static func open(path: String, readers: Int = SQLiteBackend.defaultReaders, logger: Logger) async throws -> SQLiteBackend {
        let directory = (path as NSString).deletingLastPathComponent
        if !directory.isEmpty {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        }
        let writer = try await SQLiteConnection.open(storage: .file(path: path), logger: logger)
        let db = writer.sql(queryLogLevel: nil)
        try await db.raw("PRAGMA busy_timeout = 10000").run()
        try await db.raw("PRAGMA journal_mode = WAL").run()
        try await db.raw("PRAGMA synchronous = FULL").run()
        try await db.raw("PRAGMA foreign_keys = ON").run()
        var pool: [SQLiteConnection] = []
        for _ in 0..<max(readers, 1) {
            let reader = try await SQLiteConnection.open(storage: .file(path: path), logger: logger)
            let sql = reader.sql(queryLogLevel: nil)
            try await sql.raw("PRAGMA busy_timeout = 10000").run()
            try await sql.raw("PRAGMA query_only = ON").run()
            pool.append(reader)
        }
        return SQLiteBackend(writer: writer, readers: SQLiteReaderPool(pool))
    }

    public static func openInMemory(logger: Logger) async throws -> SQLiteBackend {
        let connection = try await SQLiteConnection.open(storage: .memory, logger: logger)
        try await connection.sql(queryLogLevel: nil).raw("PRAGMA foreign_keys = ON").run()
        return SQLiteBackend(writer: connection, readers: nil)
    }

    private init(writer: SQLiteConnection, readers: SQLiteReaderPool?) {
        self.writer = writer
        self.readers = readers
    }

    public func transaction<R: Sendable>(_ body: @escaping @Sendable (any SQLDatabase) async throws -> R) async throws -> R {
        let db = writer.sql(queryLogLevel: nil)
        return try await writeLock.withLock {
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
        guard let readers else {
            let db = writer.sql(queryLogLevel: nil)
            return try await writeLock.withLock { try await body(db) }
        }
        let connection = await readers.acquire()
        defer { readers.release(connection) }
        return try await body(connection.sql(queryLogLevel: nil))
    }

    /// Closes the connections once; later calls do nothing.
    public func shutdown() async {
        let first = closed.withLock { closed -> Bool in
            defer { closed = true }
            return !closed
        }
        guard first else { return }
        if let readers {
            for connection in await readers.drain() { try? await connection.close().get() }
        }
        // The future-based close runs even when this task is cancelled (a failed start cancels the group).
        await writeLock.withLock { try? await writer.close().get() }
    }
}

/// Idle read connections; a reader waits (suspended, FIFO) when all are busy.
final class SQLiteReaderPool: Sendable {
    private struct State {
        var idle: [SQLiteConnection]
        var waiters: [CheckedContinuation<SQLiteConnection, Never>] = []
        var total: Int
    }

    private let state: Mutex<State>

    init(_ connections: [SQLiteConnection]) {
        state = Mutex(State(idle: connections, total: connections.count))
    }

    func acquire() async -> SQLiteConnection {
        await withCheckedContinuation { (continuation: CheckedContinuation<SQLiteConnection, Never>) in
            let connection = state.withLock { state -> SQLiteConnection? in
                if let idle = state.idle.popLast() { return idle }
                state.waiters.append(continuation)
                return nil
            }
            if let connection { continuation.resume(returning: connection) }
        }
    }

    func release(_ connection: SQLiteConnection) {
        let waiter = state.withLock { state -> CheckedContinuation<SQLiteConnection, Never>? in
            if !state.waiters.isEmpty { return state.waiters.removeFirst() }
            state.idle.append(connection)
            return nil
        }
        waiter?.resume(returning: connection)
    }

    /// Takes every connection back (waiting for those in use) so that they can be closed.
    func drain() async -> [SQLiteConnection] {
        let total = state.withLock { $0.total }
        var taken: [SQLiteConnection] = []
        for _ in 0..<total { taken.append(await acquire()) }
        return taken
    }
}
