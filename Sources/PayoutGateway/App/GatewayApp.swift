import AsyncHTTPClient
import Foundation
import Hummingbird
import HummingbirdCore
import HummingbirdTLS
import Logging
import NIOSSL
import NIOCore
import NIOPosix
import ServiceLifecycle
import UnixSignals

/// The assembled gateway: the HTTP application plus handles that operators' tools and tests use.
public struct GatewayApp: Sendable {
    public let application: Application<RouterResponder<BasicRequestContext>>
    /// Every lifecycle service in start order (servers before the workers that call them).
    public let lifecycleServices: [any Service]
    /// This process's id, answered by `/health` (tells instances apart).
    public let instanceID: String
    let logger: Logger
    let backend: any SQLBackend
    let client: HTTPClient
    public let store: any PayoutStore
    public let runtime: GatewayRuntime
    /// The in-process provider simulators (demo and tests), on `sandboxPort`.
    public let simulators: (any ProviderSimulators)?
    public let sandboxPort: Int?
    public let demoMerchant: GatewayConfiguration.DemoMerchant?
    /// The operator token for `/admin` (generated in demo mode).
    public let adminToken: Secret?
    public let reloader: RoutesReloader
}

/// Paths the merchant API serves, for 405 answers on other methods.
let frontRoutes: [(String, [HTTPRequest.Method])] = [
    ("/api/payout-invoices", [.get, .post]),
    ("/api/payout-invoices/:id", [.get]),
    ("/api/payout-invoices/:id/process", [.post]),
    ("/api/payout-services", [.get]),
    ("/api/payout-services/:id", [.get]),
    ("/public-api/payout-prerequest", [.post]),
    ("/public-api/payout-invoices", [.get]),
    ("/public-api/payout-invoices/:id", [.get]),
    ("/callbacks/:provider", [.get, .post]),
    ("/health", [.get]),
    ("/ready", [.get]),
    ("/openapi.json", [.get]),
    ("/metrics", [.get]),
    ("/admin/routes/reload", [.post]),
    ("/admin/routes/explain", [.get]),
    ("/admin/payouts/:id/release", [.post]),
    ("/ops", [.get]),
    ("/ops/login", [.get, .post]),
    ("/ops/logout", [.post]),
    ("/ops/payouts", [.get]),
    ("/ops/payouts/:id", [.get]),
    ("/ops/payouts/:id/check", [.post]),
]

/// Builds the gateway from its configuration: store, routes, sandbox (demo), engine, webhooks and the merchant API.
public func buildApplication(_ configuration: GatewayConfiguration, logger: Logger) async throws -> GatewayApp {
    // Store
    let location = try DatabaseLocation.parse(configuration.databaseURL)
    let backend = try await location.open(logger: logger)
    let defaultKeyFile = location.defaultKeyFile
    do {
        return try await assemble(configuration, backend: backend, location: location, defaultKeyFile: defaultKeyFile, logger: logger)
    } catch {
        await backend.shutdown()
        throw error
    }
}

/// Everything after the store is open; on failure the caller closes the store.
private func assemble(
    _ configuration: GatewayConfiguration, backend: any SQLBackend, location: DatabaseLocation, defaultKeyFile: String, logger: Logger
) async throws -> GatewayApp {
    let store = SQLPayoutStore(backend: backend)
    try await store.migrate()

    let sealer: FieldSealer
    if let key = configuration.dataKey {
        sealer = try FieldSealer(base64Key: key.value)
    } else if location == .sqliteMemory, configuration.dataKeyFile == nil {
        sealer = FieldSealer.random()
    } else {
        sealer = try FieldSealer.loadOrCreate(
            path: configuration.dataKeyFile ?? defaultKeyFile, storeHoldsSealedData: try await store.holdsSealedData())
    }

    // Routes, with generated credentials for sandbox providers.
    var table = try RoutesCompiler(dialects: configuration.dialects).compile(contentsOf: configuration.routesPath)
    var sandbox: (any ProviderSimulators)?
    var sandboxPort: Int?
    let sandboxProviders = table.providers.values.filter(\.isSandbox).sorted { $0.id < $1.id }
    if configuration.sandboxEnabled, !sandboxProviders.isEmpty {
        guard let factory = configuration.simulators else {
            throw RoutesValidationError(issues: [.init(
                path: "$.providers[id=\(sandboxProviders[0].id)].base_url", reason: "\"sandbox\" needs the provider simulators, which this build does not have")])
        }
        let server = try factory(SimulatorRequest(
            providers: sandboxProviders, processingMillis: configuration.sandboxProcessingMillis,
            callbackStepMillis: configuration.sandboxCallbackStepMillis, faultDelayMillis: configuration.sandboxFaultDelayMillis,
            lateVisibilityMillis: configuration.sandboxLateVisibilityMillis))
        table = table.withSimulatorCredentials(server)
        sandbox = server
        sandboxPort = configuration.sandboxPort == 0 ? try await FreePort.find(host: "127.0.0.1") : configuration.sandboxPort
    }

    let demo = try await DemoMerchantPolicy.apply(
        configuration.demoMerchant, demoMode: sandbox != nil && table.providers.values.allSatisfy(\.isSandbox),
        store: store, sealer: sealer, logger: logger)

    var engineSettings = configuration.engine
    if let problem = engineSettings.leaseProblem(table) {
        throw RoutesValidationError(issues: [.init(path: "$.providers", reason: problem)])
    }
    if demo != nil {
        // A demo may send merchant webhooks over http, and to this machine.
        engineSettings.webhookRequireHTTPS = false
        if engineSettings.webhookAllowedHosts == nil { engineSettings.webhookAllowedHosts = ["127.0.0.1", "localhost", "::1"] }
    }
    let client = ProviderHTTP.makeClient(connectionsPerHost: engineSettings.providerConcurrency)
    let http = ProviderHTTP(client: client)
    let port = sandboxPort
    let runtime = GatewayRuntime(GatewayRuntime.makeSnapshot(
        table: table, http: http, sandboxBaseURL: { id in port.flatMap { sandbox?.baseURL(provider: id, port: $0) } }, logger: logger))

    // Merchant API
    let backlog = BacklogGate(limit: engineSettings.maxBacklog)
    let front = FrontDependencies(
        store: store, runtime: runtime, sealer: sealer, logger: logger, defaultTestMode: sandbox != nil, backlog: backlog,
        webhooks: engineSettings.webhookPolicy,
        rateLimiter: MerchantRateLimiter(ratePerSecond: configuration.merchantRatePerSecond, burst: configuration.merchantRateBurst),
        demoMerchantID: (configuration.demoMerchant ?? GatewayConfiguration.DemoMerchant()).accountID)
    let reloader = RoutesReloader(
        path: configuration.routesPath, runtime: runtime, http: http, sandbox: sandbox, sandboxPort: sandboxPort, engine: engineSettings,
        pollMillis: configuration.routesPollMillis, logger: logger)
    let adminToken = configuration.adminToken ?? (sandbox != nil ? Secret("adm_" + Identifier.secret()) : nil)
    let instanceID = "gw-" + Identifier.random(length: 12)
    let operatorActions = PayoutOperator(store: store, runtime: runtime, settings: engineSettings, logger: logger)
    let router = buildRouter(
        front, admin: AdminRoutes(adminToken: adminToken, reloader: reloader, runtime: runtime, payouts: operatorActions),
        ops: OpsRoutes(adminToken: adminToken, front: front, sessions: OpsSessions(), secureCookie: configuration.tlsCertificatePath != nil),
        instanceID: instanceID, requestTimeout: .milliseconds(Int64(configuration.requestTimeoutSeconds * 1000)))

    // One ServiceGroup stops services in reverse order: the workers that call servers (webhooks, engine,
    // sandbox clock) stop first, then the HTTP servers drain, then the store and the HTTP client close.
    let application = Application(
        router: router, server: try listener(configuration),
        configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "payout-gateway"),
        logger: logger)
    var services: [any Service] = [HTTPClientService(client: client), StoreService(backend: backend)]
    if let sandboxPort, let sandbox {
        services.append(Application(
            router: sandbox.buildRouter(),
            configuration: .init(address: .hostname("127.0.0.1", port: sandboxPort), serverName: "payout-sandbox"),
            logger: logger))
    }
    services.append(application)
    if let sandbox { services.append(sandbox.clock(client: client, logger: logger)) }
    services.append(ProviderServicesRefresher(runtime: runtime, cache: runtime.servicesCache, logger: logger))
    services.append(reloader)
    services.append(BacklogMonitor(gate: backlog, store: store, logger: logger))
    services.append(PayoutEngine(store: store, runtime: runtime, sealer: sealer, settings: engineSettings, logger: logger))
    services.append(WebhookDispatcher(store: store, http: http, sealer: sealer, settings: engineSettings, logger: logger))
    return GatewayApp(
        application: application, lifecycleServices: services, instanceID: instanceID, logger: logger, backend: backend, client: client, store: store, runtime: runtime, simulators: sandbox, sandboxPort: sandboxPort, demoMerchant: demo,
        adminToken: adminToken, reloader: reloader)
}

/// The merchant listener: HTTP/1.1 with an idle timeout, over TLS when a certificate and key are configured.
func listener(_ configuration: GatewayConfiguration) throws -> HTTPServerBuilder {
    let http = HTTP1Channel.Configuration(idleTimeout: .seconds(configuration.idleTimeoutSeconds))
    switch (configuration.tlsCertificatePath, configuration.tlsKeyPath) {
    case (nil, nil):
        return .http1(configuration: http)
    case (let certificate?, let key?):
        let chain = try NIOSSLCertificate.fromPEMFile(certificate).map { NIOSSLCertificateSource.certificate($0) }
        let tls = TLSConfiguration.makeServerConfiguration(certificateChain: chain, privateKey: .privateKey(try NIOSSLPrivateKey(file: key, format: .pem)))
        return try .tls(.http1(configuration: http), tlsConfiguration: tls)
    default:
        throw GatewayConfiguration.Invalid(description: "--tls-certificate and --tls-key go together")
    }
}

/// The merchant API, public API, provider callbacks, health and metrics on one router.
func buildRouter(_ front: FrontDependencies, admin: AdminRoutes? = nil, ops: OpsRoutes? = nil, instanceID: String = "",
                 requestTimeout: Duration = .seconds(30)) -> Router<BasicRequestContext> {
    let router = Router(context: BasicRequestContext.self)
    router.middlewares.add(MetricsMiddleware())
    // A span per request (a no-op without a tracer); a merchant's W3C traceparent makes it a child of theirs.
    router.middlewares.add(TracingMiddleware())
    router.middlewares.add(RequestIdentityMiddleware())
    router.middlewares.add(DialectErrorMiddleware(routes: frontRoutes))
    router.middlewares.add(RequestTimeoutMiddleware(timeout: requestTimeout))
    InvoiceRoutes(front: front).register(on: router)
    PublicInvoiceRoutes(front: front).register(on: router)
    CatalogueRoutes(front: front).register(on: router)
    ProviderCallbackRoutes(front: front).register(on: router)
    (admin ?? AdminRoutes(adminToken: nil, reloader: nil, runtime: front.runtime)).register(on: router)
    (ops ?? OpsRoutes(adminToken: nil, front: front, sessions: OpsSessions(), secureCookie: false)).register(on: router)
    router.get("/health") { _, _ in Response.json(["status": "ok", "instance": .string(instanceID)]) }
    // Readiness (a load balancer's or Kubernetes' check): the store answers and a routing table with routes is loaded.
    router.get("/ready") { _, _ in
        var problems: [JSONValue] = []
        do { try await front.store.ping() } catch { problems.append("store unavailable") }
        let table = front.runtime.snapshot.table
        if table.routes.isEmpty || table.providers.isEmpty { problems.append("no routing table loaded") }
        guard problems.isEmpty else {
            return Response.json(["status": "not_ready", "instance": .string(instanceID), "problems": .array(problems)], status: .serviceUnavailable)
        }
        return Response.json(["status": "ready", "instance": .string(instanceID),
                              "routes": .number(Decimal(table.routes.count)), "providers": .number(Decimal(table.providers.count))])
    }
    router.get("/openapi.json") { _, _ in
        Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: OpenAPIDocument.json)))
    }
    router.get("/metrics") { _, _ in
        // Gauges are read now: breakers and services lists from memory, payouts and webhooks from the store (through
        // indexes; every instance reports the same store-wide figures, so dashboards take max() across instances).
        let now = Clock.nowMillis()
        let state = try? await front.store.operationalState(nowMs: now)
        GatewayMetrics.refresh(runtime: front.runtime, state: state, nowMillis: now)
        return Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4"],
                        body: .init(byteBuffer: ByteBuffer(string: GatewayMetrics.exposition())))
    }
    return router
}

extension ProviderConfig {
    func with(credentials: [String: Secret]) -> ProviderConfig {
        var copy = self
        copy.credentials = credentials
        return copy
    }
}

/// Shuts the shared HTTP client down after every other service stopped.
public struct HTTPClientService: Service {
    let client: HTTPClient
    public init(client: HTTPClient) { self.client = client }
    public func run() async throws {
        try? await gracefulShutdown()
        try await client.shutdown()
    }
}

/// Closes the store after every other service stopped.
struct StoreService: Service {
    let backend: any SQLBackend
    func run() async throws {
        try? await gracefulShutdown()
        await backend.shutdown()
    }
}

/// Finds a free loopback port (the in-process sandbox, tests).
public enum FreePort {
    public static func find(host: String = "127.0.0.1") async throws -> Int {
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .bind(host: host, port: 0).get()
        let port = channel.localAddress?.port ?? 0
        try await channel.close()
        return port
    }
}

extension GatewayApp {
    /// The gateway's one ServiceGroup.
    /// `first` run before the gateway's services and stop after them (the trace exporter, so that it flushes last).
    public func serviceGroup(gracefulShutdownSignals: [UnixSignal] = [.sigterm, .sigint], first: [any Service] = []) -> ServiceGroup {
        ServiceGroup(configuration: .init(services: first + lifecycleServices, gracefulShutdownSignals: gracefulShutdownSignals, logger: logger))
    }

    /// Runs until SIGTERM/SIGINT: the workers stop between steps, the server stops accepting and lets in-flight
    /// requests finish, then the store and the HTTP client close.
    public func run(first: [any Service] = []) async throws {
        do {
            try await serviceGroup(first: first).run()
        } catch {
            await close()
            throw error
        }
        await close()
    }

    /// Closes the store and the HTTP client if the service group did not (safe to call more than once).
    public func close() async {
        await backend.shutdown()
        try? await client.shutdown()
    }
}

/// Writes a line to standard output at once (print buffers when stdout is not a terminal).
public func standardOutput(_ text: String) {
    FileHandle.standardOutput.write(Data((text + "\n").utf8))
}
