import HTTPTypes
import AsyncHTTPClient
import Foundation
import Hummingbird
import Logging
import NIOCore
import ServiceLifecycle

/// The provider sandbox: simulators of the provider dialects on one loopback HTTP server, each under its prefix.
public struct SandboxServer: Sendable {
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
    public func clock(client: HTTPClient, logger: Logger) -> SandboxClock {
        SandboxClock(server: self, client: client, logger: logger)
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
