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

    public init(_ snapshot: Snapshot) {
        self.current = Mutex(snapshot)
    }

    public var snapshot: Snapshot { current.withLock { $0 } }

    public func replace(_ snapshot: Snapshot) {
        current.withLock { $0 = snapshot }
    }

    /// Builds adapters for every provider of `table`. Sandbox providers get `sandboxBaseURL(providerID)`.
    public static func makeSnapshot(
        table: RoutingTable, http: ProviderHTTP, sandboxBaseURL: (String) -> String?, logger: Logger
    ) -> Snapshot {
        var adapters: [String: any ProviderAdapter] = [:]
        for (id, provider) in table.providers {
            let base = provider.isSandbox ? (sandboxBaseURL(id) ?? provider.baseURL) : provider.baseURL
            switch provider.dialect {
            case .jsonapi:
                adapters[id] = JSONAPIAdapter(config: provider, baseURL: base, http: http, logger: logger)
            case .paynetV4:
                adapters[id] = PaynetV4Adapter(config: provider, baseURL: base, http: http, logger: logger)
            }
        }
        return Snapshot(table: table, adapters: adapters)
    }
}
