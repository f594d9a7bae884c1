import Foundation
import Logging
import ServiceLifecycle
import Synchronization

/// The last good services list of one provider and its age.
public struct CachedServices: Sendable {
    public var services: [ProviderServiceInfo]
    public var fetchedAtMillis: Int64
    public var lastError: String?
    public var lastAttemptMillis: Int64
}

/// Services lists of the JSON:API providers: stale-while-error, with a maximum age.
public final class ServicesCache: Sendable {
    private let entries = Mutex<[String: CachedServices]>([:])

    public init() {}

    public func snapshot() -> [String: CachedServices] { entries.withLock { $0 } }

    public func store(_ providerID: String, services: [ProviderServiceInfo], nowMillis: Int64 = Clock.nowMillis()) {
        entries.withLock { $0[providerID] = CachedServices(services: services, fetchedAtMillis: nowMillis, lastError: nil, lastAttemptMillis: nowMillis) }
    }

    /// A failed refresh keeps the last good list and records why.
    public func recordFailure(_ providerID: String, error: String, nowMillis: Int64 = Clock.nowMillis()) {
        entries.withLock { entries in
            if var entry = entries[providerID] {
                entry.lastError = error
                entry.lastAttemptMillis = nowMillis
                entries[providerID] = entry
            } else {
                entries[providerID] = CachedServices(services: [], fetchedAtMillis: 0, lastError: error, lastAttemptMillis: nowMillis)
            }
        }
    }
}

/// Refreshes every JSON:API provider's services list on its own interval (first at start-up).
public struct ServicesRefresher: Service {
    let runtime: GatewayRuntime
    let cache: ServicesCache
    let logger: Logger

    public init(runtime: GatewayRuntime, cache: ServicesCache, logger: Logger) {
        self.runtime = runtime
        self.cache = cache
        self.logger = logger
    }

    public func run() async throws {
        while !Task.isShuttingDownGracefully, !Task.isCancelled {
            await refreshDue(nowMillis: Clock.nowMillis())
            try? await Task.sleep(for: .milliseconds(250))
        }
    }

    /// Refreshes the providers whose list is older than their interval (or whose last try failed a while ago).
    public func refreshDue(nowMillis: Int64) async {
        let snapshot = runtime.snapshot
        let entries = cache.snapshot()
        await withTaskGroup(of: Void.self) { group in
            for (id, provider) in snapshot.table.providers where provider.dialect == .jsonapi && provider.enabled {
                guard let adapter = snapshot.adapters[id] as? JSONAPIAdapter else { continue }
                let interval = Int64(provider.servicesRefreshSeconds * 1000)
                if let entry = entries[id], nowMillis - entry.lastAttemptMillis < min(interval, entry.lastError == nil ? interval : 5_000) {
                    continue
                }
                group.addTask {
                    do {
                        let services = try await adapter.fetchServices()
                        cache.store(id, services: services)
                    } catch {
                        cache.recordFailure(id, error: "\(error)")
                        logger.warning("services list refresh failed; keeping the last good list", metadata: ["provider.id": "\(id)"])
                    }
                }
            }
        }
    }
}
