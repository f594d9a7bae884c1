import Logging
import Synchronization

/// The ids every log line of a merchant request or an engine step carries — `request.id`, `merchant.id`,
/// `payout.id`, `provider.id` — whichever logger writes the line (handlers, adapters, the store). Kept in a task-local
/// value and read by the logging system's metadata provider (``metadataProvider``, installed at bootstrap).
public enum LogContext {
    /// The ids of the running request or step; mutable so that a request adds the merchant and the payout once known.
    final class Values: Sendable {
        let metadata: Mutex<Logger.Metadata>
        init(_ metadata: Logger.Metadata) { self.metadata = Mutex(metadata) }
    }

    @TaskLocal static var current: Values?

    /// Adds the current request's or step's ids to every line.
    public static let metadataProvider = Logger.MetadataProvider {
        current?.metadata.withLock { $0 } ?? [:]
    }

    /// Runs `body` with these ids (added to any already in force) on every log line it writes.
    public static func with<Result>(_ metadata: Logger.Metadata, _ body: () async throws -> Result) async rethrows -> Result {
        var merged = current?.metadata.withLock { $0 } ?? [:]
        merged.merge(metadata) { _, new in new }
        return try await $current.withValue(Values(merged), operation: body)
    }

    /// Adds an id to the running request or step (the merchant once authenticated, the payout once known).
    public static func set(_ key: String, _ value: String) {
        current?.metadata.withLock { $0[key] = .string(value) }
    }
}
