import Foundation
import Logging

/// Everything `serve` needs; layered CLI > environment > defaults by the executable.
public struct GatewayConfiguration: Sendable {
    public var host = "127.0.0.1"
    public var port = 8080
    public var routesPath = "routes.json"
    /// `sqlite:///abs/path`, `sqlite://rel/path`, a plain path, `sqlite::memory:`, or `postgres://user@host:port/db?sslmode=…`.
    public var databaseURL = "sqlite://data/gateway.sqlite"
    /// Base64 32-byte key sealing destination fields at rest; default: a key file next to the SQLite database.
    public var dataKey: Secret?
    public var dataKeyFile: String?
    /// Port of the in-process provider sandbox (0: any free port).
    public var sandboxPort = 0
    /// Start the sandbox in-process when routes.json names sandbox providers (the demo).
    public var sandboxEnabled = true
    /// Makes the in-process simulators (`PayoutSandbox`'s `SandboxServer.inProcess`); without it, sandbox
    /// providers cannot start.
    public var simulators: SimulatorFactory?
    /// Requests per second each merchant may make on average (`PAYOUT_GATEWAY_RATE_LIMIT`; 0 turns it off), and at once
    /// (`PAYOUT_GATEWAY_RATE_BURST`, default twice the rate).
    public var merchantRatePerSecond: Double = 100
    public var merchantRateBurst: Double?
    /// A connection that sends nothing for this long is closed, a request half-sent included
    /// (`PAYOUT_GATEWAY_IDLE_TIMEOUT_SECONDS`).
    public var idleTimeoutSeconds: Int64 = 75
    /// A request not answered in this long gets the dialect's 503 (`PAYOUT_GATEWAY_REQUEST_TIMEOUT_SECONDS`), a slowly
    /// trickled body included.
    public var requestTimeoutSeconds: Double = 30
    /// TLS on the merchant listener (`--tls-certificate`, `--tls-key`, PEM files) for deployments without a
    /// terminating proxy.
    public var tlsCertificatePath: String?
    public var tlsKeyPath: String?

    /// A configuration that cannot work (reported at start-up).
    public struct Invalid: Error, CustomStringConvertible {
        public let description: String
    }
    /// The provider dialects routes.json may name (tests register a test-only dialect here).
    public var dialects: DialectRegistry = .standard
    /// Demo merchant credentials (created on start when the sandbox runs).
    public var demoMerchant: DemoMerchant? = DemoMerchant()
    public var engine = EngineSettings()
    /// Shrinks the sandbox's processing and callback delays (tests).
    public var sandboxProcessingMillis: Int64 = 1_500
    public var sandboxCallbackStepMillis: Int64 = 1_000
    public var sandboxFaultDelayMillis: Int64 = 40_000
    /// How long the sandbox hides a payout from lookups under its late-visibility faults.
    public var sandboxLateVisibilityMillis: Int64 = 3_000
    /// How often routes.json is checked for changes.
    public var routesPollMillis: Int64 = 1_000
    /// Bearer token for `/admin` (generated and printed in demo mode when unset).
    public var adminToken: Secret?

    public init() {}

    /// The demo merchant's fixed, documented credentials (demo only; override by environment).
    public struct DemoMerchant: Sendable {
        public var accountID = "coma_DemoMerchant000001"
        public var apiKey = Secret("demo_api_key_change_me")
        public var publicKey = "pk_test_DemoMerchantPublicKey000000000000000001"
        public var callbackSecret = Secret("sk_test_demo_callback_secret")
        public init() {}
    }
}

/// Where the store lives, parsed from `--database`.
public enum DatabaseLocation: Sendable, Equatable {
    case sqliteFile(String)
    case sqliteMemory
    /// PostgreSQL: several instances may share it.
    case postgres(PostgresLocation)

    public struct Unsupported: Error, CustomStringConvertible {
        public let description: String
    }

    public static func parse(_ url: String, environment: [String: String] = ProcessInfo.processInfo.environment) throws -> DatabaseLocation {
        if url == "sqlite::memory:" || url == ":memory:" { return .sqliteMemory }
        if url.hasPrefix("postgres://") || url.hasPrefix("postgresql://") {
            return .postgres(try PostgresLocation.parse(url, environment: environment))
        }
        if url.hasPrefix("sqlite://") {
            let path = String(url.dropFirst("sqlite://".count))
            guard !path.isEmpty else { throw Unsupported(description: "the sqlite URL needs a path") }
            return .sqliteFile(path)
        }
        guard !url.contains("://") else { throw Unsupported(description: "unsupported database URL scheme") }
        return .sqliteFile(url)
    }
}

extension DatabaseLocation {
    /// Opens the backend this location names.
    public func open(logger: Logger) async throws -> any SQLBackend {
        switch self {
        case .sqliteMemory: return try await SQLiteBackend.openInMemory(logger: logger)
        case .sqliteFile(let path):
            // The same knob as PostgreSQL's pool: here, the read connections beside the one writer.
            let readers = ProcessInfo.processInfo.environment["PAYOUT_GATEWAY_DATABASE_POOL_SIZE"].flatMap(Int.init)
                .map { min(max($0, 1), 64) } ?? SQLiteBackend.defaultReaders
            return try await SQLiteBackend.open(path: path, readers: readers, logger: logger)
        case .postgres(let location): return try await PostgresBackend.open(location, logger: logger)
        }
    }

    /// Where the data key file lives by default: beside a SQLite file, else `data/data.key`. Several instances on
    /// PostgreSQL must share one key: give each the same `--data-key-file` or `PAYOUT_GATEWAY_DATA_KEY`.
    public var defaultKeyFile: String {
        if case .sqliteFile(let path) = self {
            return ((path as NSString).deletingLastPathComponent as NSString).appendingPathComponent("data.key")
        }
        return "data/data.key"
    }
}
