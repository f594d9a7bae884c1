import SQLKit

/// The backend-specific part of the store: sessions, transactions and DDL spelling.
public protocol SQLBackend: Sendable {
    /// `sqlite` or `postgres`: picks the few DDL spellings that differ.
    var kind: SQLBackendKind { get }
    /// Runs `body` in one transaction: committed if it returns, rolled back if it throws.
    func transaction<R: Sendable>(_ body: @escaping @Sendable (any SQLDatabase) async throws -> R) async throws -> R
    /// Runs one statement that is atomic by itself, committed when it returns. PostgreSQL runs it in autocommit
    /// (no BEGIN and COMMIT round trips); SQLite in a group commit like any transaction.
    func statement<R: Sendable>(_ body: @escaping @Sendable (any SQLDatabase) async throws -> R) async throws -> R
    /// Runs a read on a consistent session.
    func read<R: Sendable>(_ body: @escaping @Sendable (any SQLDatabase) async throws -> R) async throws -> R
    func shutdown() async
}

public enum SQLBackendKind: String, Sendable {
    case sqlite
    case postgres

    var autoIncrementKey: String {
        switch self {
        case .sqlite: return "INTEGER PRIMARY KEY AUTOINCREMENT"
        case .postgres: return "BIGSERIAL PRIMARY KEY"
        }
    }
}
