import AsyncHTTPClient
import Hummingbird
import Logging
import PayoutGateway
import PayoutSandbox
import ServiceLifecycle

/// Runs a sandbox server alone on a port for the duration of `body`.
enum TestSandbox {
    static func run(_ server: SandboxServer, port: Int, _ body: @Sendable () async throws -> Void) async throws {
        let app = Application(router: server.buildRouter(), configuration: .init(address: .hostname("127.0.0.1", port: port)), logger: TestGateway.logger)
        let group = ServiceGroup(configuration: .init(services: [app, server.clock(client: HTTPClient.shared, logger: TestGateway.logger)], logger: TestGateway.logger))
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            try await GatewayClient(base: "http://127.0.0.1:\(port)").waitUntilUp()
            do {
                try await body()
            } catch {
                await group.triggerGracefulShutdown()
                throw error
            }
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
        }
    }
}
