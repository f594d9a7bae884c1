import Logging
import NIOCore
import NIOPosix
import SQLKit
import SQLiteKit
import SQLiteNIO
import Synchronization
import VaporCSQLite
import CSQLiteOptions

/// One SQLite connection driven synchronously through the C API, with its prepared statements cached by SQL text.
///
/// SQLiteNIO prepares every statement anew and hops to a thread pool and back for each one; on the gateway's hot
/// paths (a handful of statements per transaction) those hops and preparations cost more than the SQL. The owner
/// serialises use of a handle (the writer's lock, or the reader pool); the handle itself is not thread-safe.
final class SQLiteHandle: @unchecked Sendable {
    private let raw: OpaquePointer
    /// Each cached statement with its result columns (one hash of the SQL text per run).
    private var statements: [String: (statement: OpaquePointer, columns: SQLiteColumns)] = [:]
    private var closed = false
    let path: String

    private static let initialised: Void = { _ = sqlite_nio_sqlite3_initialize() }()
    private static let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

    init(path: String, readOnly: Bool) throws {
        _ = Self.initialised
        self.path = path
        var handle: OpaquePointer?
        let flags = (readOnly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE) | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_URI
            | SQLITE_OPEN_EXRESCODE
        let status = sqlite_nio_sqlite3_open_v2(path, &handle, flags, nil)
        guard status == SQLITE_OK, let handle else {
            if let handle { sqlite_nio_sqlite3_close(handle) }
            throw SQLiteDirectError(code: status, message: "cannot open the SQLite database")
        }
        raw = handle
        // Without the planner's stability guarantee SQLite re-prepares a statement whenever a new value is bound to a
        // parameter that its plan looked at (every engine read by payout id did, twice per step): the plans here do
        // not depend on values, so each cached statement is compiled once.
        _ = pgw_sqlite_enable_qpsg(UnsafeMutableRawPointer(handle))
    }

    deinit { close() }

    func close() {
        guard !closed else { return }
        closed = true
        for cached in statements.values { sqlite_nio_sqlite3_finalize(cached.statement) }
        statements.removeAll()
        sqlite_nio_sqlite3_close_v2(raw)
    }

    /// Whether a transaction is open (SQLite rolls one back by itself after some errors: I/O, full disk, memory).
    var inTransaction: Bool { !closed && sqlite_nio_sqlite3_get_autocommit(raw) == 0 }

    /// Runs SQL without binds or rows (BEGIN, COMMIT, PRAGMA …), through the statement cache.
    func exec(_ sql: String) throws {
        try run(sql, binds: []) { _ in }
    }

    /// Runs one statement: binds, steps through every row, and resets the cached statement for its next use.
    func run(_ sql: String, binds: [SQLiteData], onRow: (SQLiteDirectRow) throws -> Void) throws {
        guard !closed else { throw SQLiteDirectError(code: SQLITE_MISUSE, message: "the connection is closed") }
        var (statement, columns) = try prepared(sql)
        defer {
            sqlite_nio_sqlite3_reset(statement)
            sqlite_nio_sqlite3_clear_bindings(statement)
        }
        for (index, value) in binds.enumerated() {
            let position = Int32(index + 1)
            let status: Int32
            switch value {
            case .integer(let integer): status = sqlite_nio_sqlite3_bind_int64(statement, position, Int64(integer))
            case .float(let double): status = sqlite_nio_sqlite3_bind_double(statement, position, double)
            case .text(let text):
                status = sqlite_nio_sqlite3_bind_text64(statement, position, text, UInt64(text.utf8.count), Self.transient, UInt8(SQLITE_UTF8))
            case .blob(let buffer):
                status = buffer.withUnsafeReadableBytes {
                    sqlite_nio_sqlite3_bind_blob64(statement, position, $0.baseAddress, UInt64($0.count), Self.transient)
                }
            case .null: status = sqlite_nio_sqlite3_bind_null(statement, position)
            }
            guard status == SQLITE_OK else { throw error(status) }
        }
        if Int(sqlite_nio_sqlite3_column_count(statement)) != columns.names.count {
            // The schema changed under a cached `SELECT *` (a migration): SQLite re-prepared it; take its columns again.
            columns = SQLiteColumns(statement)
            statements[sql] = (statement, columns)
        }
        let count = Int32(columns.names.count)
        while true {
            let status = sqlite_nio_sqlite3_step(statement)
            if status == SQLITE_DONE { return }
            guard status == SQLITE_ROW else { throw error(status) }
            var values: [SQLiteData] = []
            values.reserveCapacity(Int(count))
            for column in 0..<count { values.append(value(statement, column)) }
            try onRow(SQLiteDirectRow(columns: columns, values: values))
        }
    }

    /// How often SQLite re-prepared the cached statement of `sql` (nil: not cached).
    func reprepares(_ sql: String) -> Int32? {
        statements[sql].map { sqlite_nio_sqlite3_stmt_status($0.statement, SQLITE_STMTSTATUS_REPREPARE, 0) }
    }

    private func prepared(_ sql: String) throws -> (statement: OpaquePointer, columns: SQLiteColumns) {
        if let cached = statements[sql] { return cached }
        var statement: OpaquePointer?
        let status = sqlite_nio_sqlite3_prepare_v3(raw, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &statement, nil)
        guard status == SQLITE_OK, let statement else { throw error(status) }
        // A bounded cache: the store's statements are a few dozen; anything beyond is not worth keeping.
        if statements.count >= 256 {
            for cached in statements.values { sqlite_nio_sqlite3_finalize(cached.statement) }
            statements.removeAll()
        }
        let cached = (statement: statement, columns: SQLiteColumns(statement))
        statements[sql] = cached
        return cached
    }

    private func value(_ statement: OpaquePointer, _ column: Int32) -> SQLiteData {
        switch sqlite_nio_sqlite3_column_type(statement, column) {
        case SQLITE_INTEGER: return .integer(Int(sqlite_nio_sqlite3_column_int64(statement, column)))
        case SQLITE_FLOAT: return .float(sqlite_nio_sqlite3_column_double(statement, column))
        case SQLITE_TEXT:
            guard let text = sqlite_nio_sqlite3_column_text(statement, column) else { return .null }
            let length = Int(sqlite_nio_sqlite3_column_bytes(statement, column))
            return .text(String(decoding: UnsafeBufferPointer(start: text, count: length), as: UTF8.self))
        case SQLITE_BLOB:
            let length = Int(sqlite_nio_sqlite3_column_bytes(statement, column))
            var buffer = ByteBufferAllocator().buffer(capacity: length)
            if let bytes = sqlite_nio_sqlite3_column_blob(statement, column) {
                buffer.writeBytes(UnsafeRawBufferPointer(start: bytes, count: length))
            }
            return .blob(buffer)
        default: return .null
        }
    }

    private func error(_ status: Int32) -> SQLiteDirectError {
        SQLiteDirectError(code: status, message: String(cString: sqlite_nio_sqlite3_errmsg(raw)))
    }
}

/// An SQLite error: its extended result code and SQLite's message (never bound values).
public struct SQLiteDirectError: Error, CustomStringConvertible {
    public let code: Int32
    public let message: String
    public var description: String { "SQLite error \(code): \(message)" }
    /// A UNIQUE or PRIMARY KEY constraint refused the write.
    public var isConstraint: Bool { code & 0xff == SQLITE_CONSTRAINT }
}

/// A result row: column names shared by every row of the statement, values decoded on demand.
/// A statement's result columns, and each one's position by name (shared by every row of the statement).
final class SQLiteColumns: Sendable {
    let names: [String]
    let positions: [String: Int]

    init(_ statement: OpaquePointer) {
        let count = sqlite_nio_sqlite3_column_count(statement)
        names = (0..<count).map { String(cString: sqlite_nio_sqlite3_column_name(statement, $0)) }
        // The first of a repeated name wins, as a search from the start would.
        positions = Dictionary(names.enumerated().map { ($1, $0) }, uniquingKeysWith: { first, _ in first })
    }
}

struct SQLiteDirectRow: SQLRow {
    let columns: SQLiteColumns
    let values: [SQLiteData]
    private static let decoder = SQLiteDataDecoder()

    var allColumns: [String] { columns.names }

    func contains(column: String) -> Bool { columns.positions[column] != nil }

    func value(_ column: String) throws -> SQLiteData {
        guard let index = columns.positions[column] else {
            throw DecodingError.keyNotFound(SQLiteDirectColumn(stringValue: column), .init(codingPath: [], debugDescription: "no column \(column)"))
        }
        return values[index]
    }

    func decodeNil(column: String) throws -> Bool {
        if case .null = try value(column) { return true }
        return false
    }

    /// The store's columns are text, integers and booleans: those are read directly; anything else goes through
    /// SQLiteNIO's decoder (which casts dynamically for every value).
    func decode<D: Decodable>(column: String, as type: D.Type) throws -> D {
        let value = try value(column)
        switch value {
        case .text(let text) where D.self == String.self:
            return unsafeBitCast(text, to: D.self)
        case .integer(let integer) where D.self == Int64.self:
            return unsafeBitCast(Int64(integer), to: D.self)
        case .integer(let integer) where D.self == Int.self:
            return unsafeBitCast(integer, to: D.self)
        case .integer(let integer) where D.self == Bool.self:
            return unsafeBitCast(integer != 0, to: D.self)
        default:
            return try Self.decoder.decode(D.self, from: value)
        }
    }
}

private struct SQLiteDirectColumn: CodingKey {
    var stringValue: String
    var intValue: Int? { nil }
    init(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { nil }
}

/// SQLKit over one ``SQLiteHandle``: a statement runs synchronously on the calling thread.
struct SQLiteDirectDatabase: SQLDatabase {
    let handle: SQLiteHandle
    let logger: Logger
    let eventLoop: any EventLoop
    var dialect: any SQLDialect { SQLiteDialect() }
    var queryLogLevel: Logger.Level? { nil }
    private static let encoder = SQLiteDataEncoder()

    func execute(sql query: any SQLExpression, _ onRow: @escaping @Sendable (any SQLRow) -> Void) -> EventLoopFuture<Void> {
        do {
            try run(query, onRow)
            return eventLoop.makeSucceededVoidFuture()
        } catch {
            return eventLoop.makeFailedFuture(error)
        }
    }

    func execute(sql query: any SQLExpression, _ onRow: @escaping @Sendable (any SQLRow) -> Void) async throws {
        try run(query, onRow)
    }

    func withSession<R>(_ closure: @escaping @Sendable (any SQLDatabase) async throws -> R) async throws -> R {
        try await closure(self)
    }

    private func run(_ query: any SQLExpression, _ onRow: @escaping @Sendable (any SQLRow) -> Void) throws {
        let (sql, binds) = serialize(query)
        let data = try binds.map { try Self.data($0) }
        try handle.run(sql, binds: data) { onRow($0) }
    }

    /// A bound value as SQLite data. The store binds text, integers, booleans and their optionals: those are
    /// converted directly (SQLiteKit's encoder looks up a protocol conformance for every value), as SQLiteKit would
    /// (a boolean is the integer 1 or 0, nil of any type is NULL); anything else goes through SQLiteKit's encoder.
    static func data(_ bind: any Encodable & Sendable) throws -> SQLiteData {
        switch bind {
        case let text as String: return .text(text)
        case let integer as Int64: return .integer(Int(integer))
        case let integer as Int: return .integer(integer)
        case let bool as Bool: return .integer(bool ? 1 : 0)
        case let optional as String?: return optional.map { .text($0) } ?? .null
        default: return try encoder.encode(bind)
        }
    }
}

/// Runs a task's nonisolated async code on one event loop's thread (a task executor preference, SE-0417): a whole
/// write transaction — SQLKit's serialisation and SQLite's calls, fsync included — stays on the writer's thread
/// instead of blocking a cooperative thread or hopping per statement.
final class EventLoopTaskExecutor: TaskExecutor, @unchecked Sendable {
    let loop: any EventLoop

    init(loop: any EventLoop) {
        self.loop = loop
    }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        let executor = asUnownedTaskExecutor()
        loop.execute { job.runSynchronously(on: executor) }
    }
}
