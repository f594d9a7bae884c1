import ArgumentParser
import Foundation
import Logging
import PayoutChaos
import PayoutGateway
import PayoutSandbox

/// Runs the gateway (and, with sandbox providers in routes.json, the provider sandbox in-process).
struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run the gateway (the default command).")

    @Option(help: "Address to listen on (env PAYOUT_GATEWAY_HOST, default 127.0.0.1).")
    var host: String?
    @Option(help: "Port to listen on (env PAYOUT_GATEWAY_PORT, default 8080).")
    var port: Int?
    @Option(help: "Routing table file (env PAYOUT_GATEWAY_ROUTES, default routes.json).")
    var routes: String?
    @OptionGroup var store: StoreOptions
    @Option(help: "Log level: trace, debug, info, notice, warning, error, critical (env PAYOUT_GATEWAY_LOG_LEVEL).")
    var logLevel: String?
    @Option(help: "Log format: text or json, one object per line (env PAYOUT_GATEWAY_LOG_FORMAT).")
    var logFormat: String?
    @Option(help: "Port of the in-process sandbox, 0 for any (env PAYOUT_GATEWAY_SANDBOX_PORT).")
    var sandboxPort: Int?
    @Option(help: "Base URL providers use for callbacks (env PAYOUT_GATEWAY_PUBLIC_URL, default http://HOST:PORT).")
    var publicURL: String?
    @Option(help: "File holding the base64 data key sealing destination fields (env PAYOUT_GATEWAY_DATA_KEY_FILE).")
    var dataKeyFile: String?
    @Option(help: "PEM certificate chain: serve the merchant API over TLS (env PAYOUT_GATEWAY_TLS_CERTIFICATE; with --tls-key).")
    var tlsCertificate: String?
    @Option(help: "PEM private key of --tls-certificate (env PAYOUT_GATEWAY_TLS_KEY).")
    var tlsKey: String?
    @Option(help: "OpenTelemetry collector for traces, OTLP over HTTP: base URL (traces to /v1/traces) or the traces URL (env PAYOUT_GATEWAY_OTLP_ENDPOINT; off when unset).")
    var otlpEndpoint: String?

    func run() async throws {
        let logger = makeLogger(level: logLevel, format: logFormat)
        GatewayMetrics.bootstrap()
        let tracer = try GatewayTracing.bootstrap(
            endpoint: otlpEndpoint ?? env("PAYOUT_GATEWAY_OTLP_ENDPOINT"), protocol: env("PAYOUT_GATEWAY_OTLP_PROTOCOL"))
        var configuration = GatewayConfiguration()
        configuration.simulators = SandboxServer.inProcess
        configuration.host = host ?? env("PAYOUT_GATEWAY_HOST") ?? "127.0.0.1"
        configuration.port = port ?? env("PAYOUT_GATEWAY_PORT").flatMap(Int.init) ?? 8080
        configuration.routesPath = routes ?? env("PAYOUT_GATEWAY_ROUTES") ?? "routes.json"
        configuration.databaseURL = store.databaseURL
        configuration.sandboxPort = sandboxPort ?? env("PAYOUT_GATEWAY_SANDBOX_PORT").flatMap(Int.init) ?? 0
        configuration.dataKeyFile = dataKeyFile ?? env("PAYOUT_GATEWAY_DATA_KEY_FILE")
        configuration.dataKey = env("PAYOUT_GATEWAY_DATA_KEY").map(Secret.init)
        configuration.tlsCertificatePath = tlsCertificate ?? env("PAYOUT_GATEWAY_TLS_CERTIFICATE")
        configuration.tlsKeyPath = tlsKey ?? env("PAYOUT_GATEWAY_TLS_KEY")
        let scheme = configuration.tlsCertificatePath == nil ? "http" : "https"
        if let rate = env("PAYOUT_GATEWAY_RATE_LIMIT").flatMap(Double.init), rate >= 0 { configuration.merchantRatePerSecond = rate }
        if let burst = env("PAYOUT_GATEWAY_RATE_BURST").flatMap(Double.init), burst >= 1 { configuration.merchantRateBurst = burst }
        if let idle = env("PAYOUT_GATEWAY_IDLE_TIMEOUT_SECONDS").flatMap(Int64.init), idle > 0 { configuration.idleTimeoutSeconds = idle }
        if let seconds = env("PAYOUT_GATEWAY_REQUEST_TIMEOUT_SECONDS").flatMap(Double.init), seconds > 0 { configuration.requestTimeoutSeconds = seconds }
        let advertisedHost = configuration.host == "0.0.0.0" ? "127.0.0.1" : configuration.host
        configuration.engine.publicBaseURL = publicURL ?? env("PAYOUT_GATEWAY_PUBLIC_URL") ?? "\(scheme)://\(advertisedHost):\(configuration.port)"
        if let hosts = env("PAYOUT_GATEWAY_WEBHOOK_HOSTS") {
            configuration.engine.webhookAllowedHosts = hosts.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
        }
        configuration.engine.apply(environment: ProcessInfo.processInfo.environment)
        if let token = env("PAYOUT_GATEWAY_ADMIN_TOKEN") {
            configuration.adminToken = Secret(token)
        } else if let file = env("PAYOUT_GATEWAY_ADMIN_TOKEN_FILE"), let token = SecretResolver().resolve(.file(file)) {
            configuration.adminToken = Secret(token)
        }
        if let key = env("PAYOUT_GATEWAY_DEMO_API_KEY") { configuration.demoMerchant?.apiKey = Secret(key) }

        let app: GatewayApp
        do {
            app = try await buildApplication(configuration, logger: logger)
        } catch let error as RoutesValidationError {
            throw ValidationError("routes file \(configuration.routesPath) is invalid:\n\(error.description)")
        }
        if let demo = app.demoMerchant {
            FileHandle.standardOutput.write(Data("""
                payout-gateway demo: providers are the built-in sandbox on 127.0.0.1:\(app.sandboxPort ?? 0).
                demo merchant (Basic auth for /api): account_id=\(demo.accountID) api_key=\(demo.apiKey.value)
                public_key=\(demo.publicKey) callback_secret=\(demo.callbackSecret.value)
                operator token (Bearer, /admin): \(app.adminToken?.value ?? "-")
                listening on \(scheme)://\(configuration.host):\(configuration.port)

                """.utf8))
        }
        try await app.run(first: tracer.map { [$0] } ?? [])
    }
}
