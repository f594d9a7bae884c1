import Foundation
import Logging
import ServiceLifecycle
import Synchronization

/// The last good services list of one provider and its age, with the provider's field definitions.
public struct CachedProviderServices: Sendable {
    public var services: [ProviderServiceInfo]
    public var fetchedAtMillis: Int64
    public var lastError: String?
    public var lastAttemptMillis: Int64
    /// The provider's destination fields by ``fieldsKey(code:currency:)`` (its own service code and keys), from its
    /// prerequest; empty when the provider has none to give or the read failed (the last good ones are kept).
    public var fields: [String: [FieldDefinition]] = [:]

    public init(services: [ProviderServiceInfo], fetchedAtMillis: Int64, lastError: String? = nil, lastAttemptMillis: Int64,
                fields: [String: [FieldDefinition]] = [:]) {
        self.services = services
        self.fetchedAtMillis = fetchedAtMillis
        self.lastError = lastError
        self.lastAttemptMillis = lastAttemptMillis
        self.fields = fields
    }

    public static func fieldsKey(code: String, currency: String) -> String { code + "/" + currency }
}

/// Services lists of the JSON:API providers: stale-while-error, with a maximum age.
public final class ProviderServicesCache: Sendable {
    private let entries = Mutex<[String: CachedProviderServices]>([:])

    public init() {}

    public func snapshot() -> [String: CachedProviderServices] { entries.withLock { $0 } }

    /// Stores a fresh list, keeping the field definitions read before.
    public func store(_ providerID: String, services: [ProviderServiceInfo], nowMillis: Int64 = Clock.nowMillis()) {
        entries.withLock { entries in
            let kept = entries[providerID]?.fields ?? [:]
            entries[providerID] = CachedProviderServices(services: services, fetchedAtMillis: nowMillis, lastError: nil, lastAttemptMillis: nowMillis, fields: kept)
        }
    }

    /// Stores the provider's field definitions (read after its list).
    public func storeFields(_ providerID: String, fields: [String: [FieldDefinition]]) {
        entries.withLock { entries in entries[providerID]?.fields = fields }
    }

    /// A failed refresh keeps the last good list and records why.
    public func recordFailure(_ providerID: String, error: String, nowMillis: Int64 = Clock.nowMillis()) {
        entries.withLock { entries in
            if var entry = entries[providerID] {
                entry.lastError = error
                entry.lastAttemptMillis = nowMillis
                entries[providerID] = entry
            } else {
                entries[providerID] = CachedProviderServices(services: [], fetchedAtMillis: 0, lastError: error, lastAttemptMillis: nowMillis)
            }
        }
    }
}

/// Refreshes every JSON:API provider's services list on its own interval (first at start-up).
public struct ProviderServicesRefresher: Service {
    let runtime: GatewayRuntime
    let cache: ProviderServicesCache
    let logger: Logger

    public init(runtime: GatewayRuntime, cache: ProviderServicesCache, logger: Logger) {
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
            for (id, provider) in snapshot.table.providers where provider.enabled {
                // Only providers whose adapter can read a services list have one.
                guard let adapter = snapshot.adapters[id] as? any ProviderCatalogueSource else { continue }
                let interval = Int64(provider.servicesRefreshSeconds * 1000)
                if let entry = entries[id], nowMillis - entry.lastAttemptMillis < min(interval, entry.lastError == nil ? interval : 5_000) {
                    continue
                }
                group.addTask {
                    let started = ContinuousClock.now
                    do {
                        let services = try await adapter.fetchServices(pageSize: 100, maxPages: 100)
                        GatewayMetrics.providerCallDuration(id, call: "services", ContinuousClock.now - started)
                        GatewayMetrics.providerCall(id, call: "services", outcome: "ok")
                        cache.store(id, services: services)
                        // Field definitions come second: a slow prerequest never delays the list routing reads.
                        let currencies = Self.servedCurrencies(provider, table: snapshot.table).intersection(services.map(\.currency))
                        if let fields = await fields(adapter, currencies: currencies, providerID: id) {
                            cache.storeFields(id, fields: fields)
                        }
                    } catch {
                        GatewayMetrics.providerCall(id, call: "services", outcome: "failed")
                        cache.recordFailure(id, error: "\(error)")
                        logger.warning("services list refresh failed; keeping the last good list", metadata: ["provider.id": "\(id)"])
                    }
                }
            }
        }
    }

    /// The currencies routes.json may send to this provider.
    static func servedCurrencies(_ provider: ProviderConfig, table: RoutingTable) -> Set<String> {
        var currencies = Set<String>()
        for (service, mapping) in provider.services {
            currencies.formUnion(mapping.currencies ?? Set(table.service(service)?.currencies ?? []))
        }
        return currencies
    }

    /// The provider's field definitions for the currencies it is routed (one prerequest per currency); nil when it
    /// cannot give them (no `public_key`) or a read failed, so that the last good ones stay.
    func fields(_ adapter: any ProviderCatalogueSource, currencies: Set<String>, providerID: String) async -> [String: [FieldDefinition]]? {
        guard adapter.canReadFields else { return nil }
        var fields: [String: [FieldDefinition]] = [:]
        for code in currencies.sorted() {
            guard let currency = Currency(code: code) else { continue }
            do {
                for entry in try await adapter.fetchFields(currency: currency, amountMinor: nil) {
                    fields[CachedProviderServices.fieldsKey(code: entry.service, currency: code)] = entry.fields
                }
            } catch {
                logger.warning("provider field definitions not read; keeping the last good ones", metadata: ["provider.id": "\(providerID)"])
                return nil
            }
        }
        return fields
    }
}
