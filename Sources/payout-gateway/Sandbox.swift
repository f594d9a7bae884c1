import ArgumentParser
import Foundation
import Logging
import PayoutGateway

/// Runs the provider sandbox alone and prints each simulated account's generated credentials.
struct Sandbox: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run the provider sandbox (simulated providers) alone.")

    @Option(help: "Address to listen on.") var host = "127.0.0.1"
    @Option(help: "Port to listen on.") var port = 8090
    @Option(help: "JSON:API (Payelata-dialect) providers to simulate, comma-separated prefixes.") var jsonapi = "payelata"
    @Option(help: "Log level.") var logLevel: String?

    func run() async throws {
        let logger = makeLogger(level: logLevel)
        try await runSandbox(host: host, port: port, jsonapiPrefixes: jsonapi.split(separator: ",").map(String.init), logger: logger)
    }
}
