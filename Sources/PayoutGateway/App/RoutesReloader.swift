import Foundation
import Logging
import ServiceLifecycle
import UnixSignals

/// Reloads routes.json while the gateway runs: on a file change, on SIGHUP and on `POST /admin/routes/reload`.
/// The whole file is validated first; a bad file is refused and the old table stays. The swap is atomic;
/// payouts in flight keep the decision stored with them.
public struct RoutesReloader: Service {
    public struct Summary: Sendable {
        public let services: Int
        public let providers: Int
        public let routes: Int
    }

    let path: String
    let runtime: GatewayRuntime
    let http: ProviderHTTP
    let sandbox: (any ProviderSimulators)?
    let sandboxPort: Int?
    let pollMillis: Int64
    /// The engine's settings: a reload that would make the lease shorter than a provider call is refused.
    let engine: EngineSettings
    let logger: Logger

    init(path: String, runtime: GatewayRuntime, http: ProviderHTTP, sandbox: (any ProviderSimulators)?, sandboxPort: Int?, engine: EngineSettings = EngineSettings(),
         pollMillis: Int64, logger: Logger) {
        self.engine = engine
        self.path = path
        self.runtime = runtime
        self.http = http
        self.sandbox = sandbox
        self.sandboxPort = sandboxPort
        self.pollMillis = pollMillis
        self.logger = logger
    }

    /// Validates and swaps; throws the validation issues and leaves the running table untouched on failure.
    @discardableResult
    public func reload() throws(RoutesValidationError) -> Summary {
        do {
            return try compileAndSwap()
        } catch {
            runtime.recordRefusedReload(error.issues.map { "\($0.path): \($0.reason)" })
            throw error
        }
    }

    private func compileAndSwap() throws(RoutesValidationError) -> Summary {
        // The dialects of the running table: a reload cannot add one.
        var table = try RoutesCompiler(dialects: runtime.snapshot.table.dialects).compile(contentsOf: path)
        if let sandbox {
            let missing = table.providers.values.filter { $0.isSandbox && sandbox.baseURL(provider: $0.id, port: 0) == nil }
            if !missing.isEmpty {
                throw RoutesValidationError(issues: missing.map {
                    .init(path: "$.providers[id=\($0.id)].base_url", reason: "no sandbox simulator runs for \($0.id); restart to add sandbox providers")
                })
            }
            table = table.withSimulatorCredentials(sandbox)
        } else if let provider = table.providers.values.first(where: \.isSandbox) {
            throw RoutesValidationError(issues: [.init(path: "$.providers[id=\(provider.id)].base_url", reason: "the sandbox is not running")])
        }
        if let problem = engine.leaseProblem(table) {
            throw RoutesValidationError(issues: [.init(path: "$.providers", reason: problem)])
        }
        let port = sandboxPort
        let server = sandbox
        runtime.replace(GatewayRuntime.makeSnapshot(
            table: table, http: http, sandboxBaseURL: { id in port.flatMap { server?.baseURL(provider: id, port: $0) } }, logger: logger))
        logger.notice("routes reloaded", metadata: ["routes.file": "\(path)", "routes.count": "\(table.routes.count)"])
        return Summary(services: table.services.count, providers: table.providers.count, routes: table.routes.count)
    }

    func modificationDate() -> Date? {
        (try? FileManager.default.attributesOfItem(atPath: path))?[.modificationDate] as? Date
    }

    func reloadLogged(reason: String) {
        do {
            try reload()
        } catch {
            logger.error("routes reload refused; the previous table stays", metadata: [
                "routes.file": "\(path)", "reload.trigger": "\(reason)", "routes.errors": "\(error.description)",
            ])
        }
    }

    public func run() async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                var lastSeen = modificationDate()
                while !Task.isShuttingDownGracefully, !Task.isCancelled {
                    try? await Task.sleep(for: .milliseconds(pollMillis))
                    let current = modificationDate()
                    if let current, current != lastSeen {
                        lastSeen = current
                        reloadLogged(reason: "file changed")
                    }
                }
            }
            group.addTask {
                for await _ in await UnixSignalsSequence(trapping: .sighup).cancelOnGracefulShutdown() {
                    reloadLogged(reason: "SIGHUP")
                }
            }
            try await group.next()
            group.cancelAll()
        }
    }
}
