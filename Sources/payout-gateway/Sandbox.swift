import ArgumentParser
import Foundation
import Logging
import PayoutChaos
import PayoutGateway
import PayoutSandbox

/// Runs the provider sandbox alone and prints each simulated account's generated credentials.
struct Sandbox: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run the provider sandbox (simulated providers) alone.")

    @Option(help: "Address to listen on.") var host = "127.0.0.1"
    @Option(help: "Port to listen on.") var port = 8090
    @Option(help: "JSON:API (Payelata-dialect) providers to simulate, comma-separated prefixes.") var jsonapi = "payelata"
    @Option(help: "PaynetEasy v4 providers to simulate, comma-separated id or id:prefix.") var paynet = "payneteasy,cardzo,billblend:checkout"
    @Option(help: "Where the v4 simulators' RSA private keys are written.") var keyDirectory = "data/sandbox-keys"
    @Option(help: "Also write every simulated account's credentials as files DIR/{provider}/{name} (mode 0600), for gateways that read secrets from files (env PAYOUT_SANDBOX_CREDENTIALS_DIRECTORY).")
    var credentialsDirectory: String?
    @Option(help: "Log level.") var logLevel: String?

    func run() async throws {
        let logger = makeLogger(level: logLevel)
        try await runSandbox(
            host: host, port: port, jsonapiPrefixes: jsonapi.split(separator: ",").map(String.init),
            paynet: paynet.split(separator: ",").map(String.init), keyDirectory: keyDirectory,
            credentialsDirectory: credentialsDirectory ?? env("PAYOUT_SANDBOX_CREDENTIALS_DIRECTORY"), logger: logger)
    }
}
