import Foundation
import Logging
import NIOCore
import NIOPosix
import SQLKit
import Synchronization

/// SQLite in WAL mode through ``SQLiteHandle``: one writer connection, whose transactions an async lock serialises and
/// a dedicated thread runs (SQLite has one writer anyway; fsync then never blocks a cooperative thread), and a pool of
/// read-only connections used on the caller's thread, so that reads never queue behind writes (WAL lets readers see
/// the last commit while a write is in progress). An in-memory database has no readers: it is private to its
/// connection.
public final class SQLiteBackend: SQLBackend {
    public let kind = SQLBackendKind.sqlite
    private let writer: SQLiteHandle
    private let writeLock = AsyncLock()
    private let readers: SQLiteReaderPool?
    private let thread: MultiThreadedEventLoopGroup
    private let executor: EventLoopTaskExecutor
    private let logger: Logger
    private let closed = Mutex(false)

    /// How long a commit under concurrency waits for more transactions to join it.
    static let gatherWindow = Duration.microseconds(500)

    /// Read connections when `PAYOUT_GATEWAY_DATABASE_POOL_SIZE` does not say.
    public static let defaultReaders = 4

    public static func open(path: String, readers: Int = SQLiteBackend.defaultReaders, logger: Logger) async throws -> SQLiteBackend {
        let directory = (path as NSString).deletingLastPathComponent
        if !directory.isEmpty {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        }
        let writer = try SQLiteHandle(path: path, readOnly: false)
        try writer.exec("PRAGMA busy_timeout = 10000")
        try writer.exec("PRAGMA journal_mode = WAL")
        try writer.exec("PRAGMA synchronous = FULL")
        try writer.exec("PRAGMA foreign_keys = ON")
        // Savepoints of a group commit journal in memory, not in a temporary file.
        try writer.exec("PRAGMA temp_store = MEMORY")
        var pool: [SQLiteHandle] = []
        for _ in 0..<max(readers, 1) {
            let reader = try SQLiteHandle(path: path, readOnly: false)
            try reader.exec("PRAGMA busy_timeout = 10000")
            try reader.exec("PRAGMA query_only = ON")
            pool.append(reader)
        }
        return SQLiteBackend(writer: writer, readers: SQLiteReaderPool(pool), logger: logger)
    }

    public static func openInMemory(logger: Logger) async throws -> SQLiteBackend {
        let writer = try SQLiteHandle(path: ":memory:", readOnly: false)
        try writer.exec("PRAGMA foreign_keys = ON")
        return SQLiteBackend(writer: writer, readers: nil, logger: logger)
    }

    private init(writer: SQLiteHandle, readers: SQLiteReaderPool?, logger: Logger) {
        self.writer = writer
        self.readers = readers
        self.logger = logger
        thread = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        executor = EventLoopTaskExecutor(loop: thread.next())
    }

    private func database(_ handle: SQLiteHandle) -> SQLiteDirectDatabase {
        SQLiteDirectDatabase(handle: handle, logger: logger, eventLoop: executor.loop)
    }

    /// A transaction waiting for the next group commit.
    private struct Pending: Sendable {
        let body: @Sendable (any SQLDatabase) async throws -> any Sendable
        let continuation: CheckedContinuation<any Sendable, any Error>
    }
    private let queue = Mutex<(pending: [Pending], committing: Bool)>(([], false))

    /// Group commit: transactions that arrive while a commit is in progress are run together, each in its own
    /// savepoint (a failing one is rolled back alone), and made durable by one COMMIT (one fsync). Each caller
    /// resumes only after that COMMIT: nothing is acknowledged before it is on disk.
    public func transaction<R: Sendable>(_ body: @escaping @Sendable (any SQLDatabase) async throws -> R) async throws -> R {
        let result = try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<any Sendable, any Error>) in
            let lead = queue.withLock { queue -> Bool in
                queue.pending.append(Pending(body: { try await body($0) }, continuation: continuation))
                guard !queue.committing else { return false }
                queue.committing = true
                return true
            }
            if lead {
                Task(executorPreference: executor) { await self.commitBatches() }
            }
        }
        guard let typed = result as? R else { throw SQLiteDirectError(code: 1, message: "unexpected transaction result") }
        return typed
    }

    /// Runs queued transactions in batches until the queue is empty (on the writer's thread).
    private func commitBatches() async {
        let writer = self.writer
        let db = database(writer)
        var previous = 0
        while true {
            // Under concurrency (the last batch carried several transactions) and with fewer waiting now, gather a
            // moment so that one fsync carries more of them: each costs the machine far more than the wait.
            if previous > 1, queue.withLock({ $0.pending.count }) < previous {
                try? await Task.sleep(for: Self.gatherWindow)
            }
            let batch = queue.withLock { queue -> [Pending] in
                let batch = queue.pending
                queue.pending = []
                if batch.isEmpty { queue.committing = false }
                return batch
            }
            guard !batch.isEmpty else { return }
            previous = batch.count
            await writeLock.withLock {
                var results: [Result<any Sendable, any Error>] = []
                results.reserveCapacity(batch.count)
                do {
                    try writer.exec("BEGIN IMMEDIATE")
                } catch {
                    for pending in batch { pending.continuation.resume(throwing: error) }
                    return
                }
                // A batch of one needs no savepoint: its failure rolls the whole transaction back.
                let alone = batch.count == 1
                for pending in batch {
                    // SQLite ended the transaction by itself after an error: nothing of this batch may commit.
                    guard writer.inTransaction else {
                        results.append(.failure(SQLiteDirectError(code: 1, message: "the group transaction was rolled back")))
                        continue
                    }
                    do {
                        if !alone { try writer.exec("SAVEPOINT step") }
                        let value = try await pending.body(db)
                        if !alone { try writer.exec("RELEASE step") }
                        results.append(.success(value))
                    } catch {
                        if alone {
                            try? writer.exec("ROLLBACK")
                            pending.continuation.resume(throwing: error)
                            return
                        }
                        try? writer.exec("ROLLBACK TO step")
                        try? writer.exec("RELEASE step")
                        results.append(.failure(error))
                    }
                }
                do {
                    guard writer.inTransaction else { throw SQLiteDirectError(code: 1, message: "the group transaction was rolled back") }
                    try writer.exec("COMMIT")
                } catch {
                    try? writer.exec("ROLLBACK")
                    for pending in batch { pending.continuation.resume(throwing: error) }
                    return
                }
                for (pending, result) in zip(batch, results) { pending.continuation.resume(with: result) }
            }
        }
    }

    public func statement<R: Sendable>(_ body: @escaping @Sendable (any SQLDatabase) async throws -> R) async throws -> R {
        try await transaction(body)
    }

    public func read<R: Sendable>(_ body: @escaping @Sendable (any SQLDatabase) async throws -> R) async throws -> R {
        guard let readers else {
            let db = database(writer)
            return try await writeLock.withLock { try await body(db) }
        }
        let handle = await readers.acquire()
        defer { readers.release(handle) }
        return try await body(database(handle))
    }

    /// Closes the connections once; later calls do nothing.
    public func shutdown() async {
        let first = closed.withLock { closed -> Bool in
            defer { closed = true }
            return !closed
        }
        guard first else { return }
        if let readers {
            for handle in await readers.drain() { handle.close() }
        }
        await writeLock.withLock { writer.close() }
        try? await thread.shutdownGracefully()
    }
}

/// Idle read connections; a reader waits (suspended, FIFO) when all are busy.
final class SQLiteReaderPool: Sendable {
    private struct State {
        var idle: [SQLiteHandle]
        var waiters: [CheckedContinuation<SQLiteHandle, Never>] = []
        var total: Int
    }

    private let state: Mutex<State>

    init(_ handles: [SQLiteHandle]) {
        state = Mutex(State(idle: handles, total: handles.count))
    }

    func acquire() async -> SQLiteHandle {
        await withCheckedContinuation { (continuation: CheckedContinuation<SQLiteHandle, Never>) in
            let handle = state.withLock { state -> SQLiteHandle? in
                if let idle = state.idle.popLast() { return idle }
                state.waiters.append(continuation)
                return nil
            }
            if let handle { continuation.resume(returning: handle) }
        }
    }

    func release(_ handle: SQLiteHandle) {
        let waiter = state.withLock { state -> CheckedContinuation<SQLiteHandle, Never>? in
            if !state.waiters.isEmpty { return state.waiters.removeFirst() }
            state.idle.append(handle)
            return nil
        }
        waiter?.resume(returning: handle)
    }

    /// Takes every connection back (waiting for those in use) so that they can be closed.
    func drain() async -> [SQLiteHandle] {
        let total = state.withLock { $0.total }
        var taken: [SQLiteHandle] = []
        for _ in 0..<total { taken.append(await acquire()) }
        return taken
    }
}
