import AsyncHTTPClient
import Hummingbird
import Logging
import ServiceLifecycle

/// Simulated providers run in-process for the providers whose `base_url` is `"sandbox"` (the demo and tests).
/// The gateway only knows this seam; the `PayoutSandbox` target implements it (`SandboxServer`), and the
/// executable and the tests hand its factory in through ``GatewayConfiguration/simulators``.
public protocol ProviderSimulators: Sendable {
    /// The credentials a sandbox provider uses with its simulator; nil when no simulator runs for it.
    func credentials(provider id: String) -> [String: Secret]?
    /// The simulator's base URL for a provider when it listens on `port`; nil when none runs for it.
    func baseURL(provider id: String, port: Int) -> String?
    /// The simulators' HTTP routes, served on their own loopback port.
    func buildRouter() -> Router<BasicRequestContext>
    /// The simulators' clock (scripted status changes, callbacks to the gateway).
    func clock(client: HTTPClient, logger: Logger) -> any Service
}

/// What the in-process simulators are made from: the sandbox providers of routes.json and the timing settings.
public struct SimulatorRequest: Sendable {
    public let providers: [ProviderConfig]
    public let processingMillis: Int64
    public let callbackStepMillis: Int64
    public let faultDelayMillis: Int64
    public let lateVisibilityMillis: Int64
}

/// Builds the in-process simulators.
public typealias SimulatorFactory = @Sendable (SimulatorRequest) throws -> any ProviderSimulators

extension RoutingTable {
    /// The same table with each sandbox provider's credentials taken from its simulator.
    func withSimulatorCredentials(_ simulators: any ProviderSimulators) -> RoutingTable {
        var providers = self.providers
        for (id, provider) in providers where provider.isSandbox {
            if let credentials = simulators.credentials(provider: id) {
                providers[id] = provider.with(credentials: credentials)
            }
        }
        return RoutingTable(services: services, providers: providers, routes: routes, pollInterval: pollInterval, dialects: dialects)
    }
}
