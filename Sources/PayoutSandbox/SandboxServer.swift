import PayoutGateway
import HTTPTypes
import AsyncHTTPClient
import Foundation
import Hummingbird
import Logging
import NIOCore
import ServiceLifecycle

/// The provider sandbox: simulators of the provider dialects on one loopback HTTP server, each under its prefix.
public struct SandboxServer: ProviderSimulators {
    public let jsonapi: [JSONAPISandbox]
    public let paynet: [PaynetSandbox]

    public init(jsonapi: [JSONAPISandbox], paynet: [PaynetSandbox] = []) {
        self.jsonapi = jsonapi
        self.paynet = paynet
    }

    /// The JSON:API simulator for a provider id, if any.
    public func jsonapi(_ prefix: String) -> JSONAPISandbox? { jsonapi.first { $0.prefix == prefix } }

    /// The PaynetEasy v4 simulator for a provider id, if any.
    public func paynet(_ id: String) -> PaynetSandbox? { paynet.first { $0.id == id } }

    /// The base URL of a provider's simulator on `port`.
    public func baseURL(provider id: String, port: Int) -> String? {
        if jsonapi(id) != nil { return "http://127.0.0.1:\(port)/\(id)" }
        return paynet(id)?.baseURL(port: port)
    }

    public func buildRouter() -> Router<BasicRequestContext> {
        let router = Router(context: BasicRequestContext.self)
        router.middlewares.add(DialectErrorMiddleware(routes: []))
        for sandbox in jsonapi { sandbox.register(on: router) }
        for sandbox in paynet { sandbox.register(on: router) }
        router.get("/health") { _, _ in "OK" }
        return router
    }

    /// The background clock that advances scripted outcomes and delivers callbacks.
    public func clock(client: HTTPClient, logger: Logger) -> any Service {
        SandboxClock(server: self, client: client, logger: logger)
    }

    /// The credentials the gateway uses with a provider's simulator.
    public func credentials(provider id: String) -> [String: Secret]? {
        if let simulator = paynet(id) {
            return ["login": Secret(simulator.login), "control_key": Secret(simulator.controlKey), "private_key": Secret(simulator.privateKeyPEM)]
        }
        if let simulator = jsonapi(id) {
            return [
                "account_id": Secret(simulator.account.accountID), "api_key": Secret(simulator.account.apiKey),
                "public_key": Secret(simulator.account.publicKey), "callback_secret": Secret(simulator.account.callbackSecret),
            ]
        }
        return nil
    }

    /// The gateway's in-process simulators (``GatewayConfiguration/simulators``): one per sandbox provider of its dialect.
    public static let inProcess: SimulatorFactory = { request in
        var jsonapi: [JSONAPISandbox] = []
        var paynet: [PaynetSandbox] = []
        for provider in request.providers {
            switch provider.dialect {
            case .jsonapi:
                var simulator = JSONAPISandbox(prefix: provider.id, processingMillis: request.processingMillis, callbackStepMillis: request.callbackStepMillis)
                simulator.faultDelayMillis = request.faultDelayMillis
                simulator.lateVisibilityMillis = request.lateVisibilityMillis
                jsonapi.append(simulator)
            case .paynetV4:
                var simulator = try PaynetSandbox(id: provider.id, pathPrefix: (provider.options as? PaynetOptions)?.sandboxPathPrefix ?? "paynet")
                simulator.processingMillis = request.processingMillis
                simulator.callbackStepMillis = request.callbackStepMillis
                simulator.faultDelayMillis = request.faultDelayMillis
                simulator.lateVisibilityMillis = request.lateVisibilityMillis
                paynet.append(simulator)
            default:
                throw RoutesValidationError(issues: [.init(
                    path: "$.providers[id=\(provider.id)].base_url", reason: "no simulator of dialect \(provider.dialect) exists")])
            }
        }
        return SandboxServer(jsonapi: jsonapi, paynet: paynet)
    }

    /// Every sandbox's ledger lines.
    public func ledger() -> [SandboxLedgerLine] { jsonapi.flatMap { $0.ledger() } + paynet.flatMap { $0.ledger() } }
}

/// An answer that starts and then breaks the connection: the client sees a reset after sending its request.
func brokenResponse() -> Response {
    Response(
        status: .ok, headers: [.contentType: "application/json", .contentLength: "4096"],
        body: ResponseBody(contentLength: 4096) { writer in
            try await writer.write(ByteBuffer(string: "{\"data\":"))
            throw SandboxConnectionDropped()
        })
}

/// Thrown by a simulator to drop a connection on purpose.
struct SandboxConnectionDropped: Error {}

/// Ticks every sandbox: outcomes fall due, callbacks go out (and are retried).
public struct SandboxClock: Service {
    let server: SandboxServer
    let client: HTTPClient
    let logger: Logger

    public func run() async throws {
        while !Task.isShuttingDownGracefully, !Task.isCancelled {
            let now = Clock.nowMillis()
            await withTaskGroup(of: Void.self) { group in
                for sandbox in server.jsonapi {
                    sandbox.tick(now: now)
                    for callback in sandbox.dueCallbacks(now: now) {
                        group.addTask { await sandbox.deliver(callback, client: client) }
                    }
                }
                for sandbox in server.paynet {
                    sandbox.tick(now: now)
                    for callback in sandbox.dueCallbacks(now: now) {
                        group.addTask { await sandbox.deliver(callback, client: client) }
                    }
                }
            }
            try? await Task.sleep(for: .milliseconds(50))
        }
    }
}

extension GatewayApp {
    /// The in-process sandbox (demo and tests), when the gateway runs one.
    public var sandbox: SandboxServer? { simulators as? SandboxServer }
}

/// Runs the provider sandbox alone (`payout-gateway sandbox`), printing each simulated account's credentials.
/// v4 simulators are given as `id` or `id:prefix` (`billblend:checkout`); their RSA private keys are written to
/// files (mode 0600) in `keyDirectory`, never printed.
public func runSandbox(host: String, port: Int, jsonapiPrefixes: [String], paynet: [String], keyDirectory: String,
                       credentialsDirectory: String? = nil, logger: Logger) async throws {
    var simulators: [PaynetSandbox] = []
    try FileManager.default.createDirectory(atPath: keyDirectory, withIntermediateDirectories: true)
    for spec in paynet {
        let parts = spec.split(separator: ":").map(String.init)
        simulators.append(try PaynetSandbox(id: parts[0], pathPrefix: parts.count > 1 ? parts[1] : "paynet"))
    }
    let server = SandboxServer(jsonapi: jsonapiPrefixes.map { JSONAPISandbox(prefix: $0) }, paynet: simulators)
    for simulator in server.jsonapi {
        standardOutput("""
            \(simulator.prefix) (jsonapi): base_url=http://\(host):\(port)/\(simulator.prefix) account_id=\(simulator.account.accountID) \
            api_key=\(simulator.account.apiKey) public_key=\(simulator.account.publicKey) callback_secret=\(simulator.account.callbackSecret)
            """)
    }
    for simulator in server.paynet {
        let keyPath = (keyDirectory as NSString).appendingPathComponent("\(simulator.id).pem")
        _ = FileManager.default.createFile(atPath: keyPath, contents: Data(simulator.privateKeyPEM.utf8), attributes: [.posixPermissions: 0o600])
        standardOutput("""
            \(simulator.id) (paynet-v4): base_url=http://\(host):\(port)/\(simulator.id)/\(simulator.pathPrefix) login=\(simulator.login) \
            control_key=\(simulator.controlKey) private_key_file=\(keyPath)
            """)
    }
    if let credentialsDirectory {
        for simulator in server.jsonapi {
            try writeCredentials(credentialsDirectory, provider: simulator.prefix, server.credentials(provider: simulator.prefix) ?? [:])
        }
        for simulator in server.paynet {
            try writeCredentials(credentialsDirectory, provider: simulator.id, server.credentials(provider: simulator.id) ?? [:])
        }
    }
    let client = ProviderHTTP.makeClient()
    let app = Application(
        router: server.buildRouter(),
        configuration: .init(address: .hostname(host, port: port), serverName: "payout-sandbox"),
        services: [HTTPClientService(client: client), server.clock(client: client, logger: logger)],
        logger: logger)
    try await app.runService()
}


/// Writes one simulated account's credentials as files `directory/provider/name` (mode 0600), each written whole
/// under a temporary name and then renamed, so that a gateway never reads half a secret.
func writeCredentials(_ directory: String, provider: String, _ credentials: [String: Secret]) throws {
    let folder = (directory as NSString).appendingPathComponent(provider)
    try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
    for (name, value) in credentials {
        let path = (folder as NSString).appendingPathComponent(name)
        let temporary = path + ".tmp"
        guard FileManager.default.createFile(atPath: temporary, contents: Data(value.value.utf8), attributes: [.posixPermissions: 0o600]) else {
            throw CocoaError(.fileWriteUnknown)
        }
        _ = try? FileManager.default.removeItem(atPath: path)
        try FileManager.default.moveItem(atPath: temporary, toPath: path)
    }
}
