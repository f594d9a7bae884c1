import HTTPTypes
import Logging
import Synchronization

/// The live routing table and the adapters built from it, swapped whole on reload.
public final class GatewayRuntime: Sendable {
    public struct Snapshot: Sendable {
        public let table: RoutingTable
        public let adapters: [String: any ProviderAdapter]
    }

    private let current: Mutex<Snapshot>
    /// Provider breakers and services lists outlive reloads.
    public let health: ProviderHealth
    public let servicesCache: ProviderServicesCache
    /// The last hour of provider calls (the ops page).
    public let callStats = ProviderCallStats()

    public init(_ snapshot: Snapshot, health: ProviderHealth = ProviderHealth(), servicesCache: ProviderServicesCache = ProviderServicesCache()) {
        self.current = Mutex(snapshot)
        self.health = health
        self.servicesCache = servicesCache
    }

    /// A router over the current table and the current services lists and health.
    public func router(nowMillis: Int64 = Clock.nowMillis()) -> PayoutRouter {
        PayoutRouter(table: snapshot.table, conditions: RoutingConditions(
            services: servicesCache.snapshot(), unhealthy: health.unhealthy(nowMillis: nowMillis), nowMillis: nowMillis))
    }

    public var snapshot: Snapshot { current.withLock { $0 } }

    public func replace(_ snapshot: Snapshot) {
        current.withLock { $0 = snapshot }
        loads.withLock { loads in
            loads.version += 1
            loads.loadedAtMillis = Clock.nowMillis()
        }
    }

    /// The routing table's version (1 at start, +1 at each reload), when it was loaded, and the last refused reload.
    public struct Loads: Sendable {
        public var version = 1
        public var loadedAtMillis = Clock.nowMillis()
        public var lastRefusedAtMillis: Int64?
        public var lastRefusedErrors: [String] = []
    }

    private let loads = Mutex(Loads())
    public var tableLoads: Loads { loads.withLock { $0 } }

    /// A reload that failed validation: the running table stays; the ops page shows why.
    public func recordRefusedReload(_ errors: [String]) {
        loads.withLock { loads in
            loads.lastRefusedAtMillis = Clock.nowMillis()
            loads.lastRefusedErrors = errors
        }
    }

    /// Builds adapters for every provider of `table`. Sandbox providers get `sandboxBaseURL(providerID)`.
    public static func makeSnapshot(
        table: RoutingTable, http: ProviderHTTP, sandboxBaseURL: (String) -> String?, logger: Logger
    ) -> Snapshot {
        var adapters: [String: any ProviderAdapter] = [:]
        for (id, provider) in table.providers {
            let base = provider.isSandbox ? (sandboxBaseURL(id) ?? provider.baseURL) : provider.baseURL
            adapters[id] = table.dialects[provider.dialect]?.makeAdapter(config: provider, baseURL: base, http: http, logger: logger)
        }
        return Snapshot(table: table, adapters: adapters)
    }
}
