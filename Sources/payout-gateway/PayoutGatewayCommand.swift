import ArgumentParser
import Foundation
import Logging
import PayoutChaos
import PayoutGateway
import PayoutSandbox

/// `payout-gateway`: serve (default), sandbox, merchants add, routes check.
@main
struct PayoutGatewayCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "payout-gateway",
        abstract: "A multi-provider payout routing gateway.",
        subcommands: [Serve.self, Sandbox.self, Merchants.self, Routes.self, Chaos.self],
        defaultSubcommand: Serve.self)
}

/// Options shared by commands that open the store.
struct StoreOptions: ParsableArguments {
    @Option(help: "Database URL: sqlite:///abs/path, sqlite://rel/path, sqlite::memory: or postgres://user@host:port/db?sslmode=disable (env PAYOUT_GATEWAY_DATABASE).")
    var database: String?

    var databaseURL: String { database ?? env("PAYOUT_GATEWAY_DATABASE") ?? "sqlite://data/gateway.sqlite" }
}

func env(_ name: String) -> String? {
    ProcessInfo.processInfo.environment[name].flatMap { $0.isEmpty ? nil : $0 }
}

/// The root logger: text (default) or one JSON object per line (`--log-format json`, env PAYOUT_GATEWAY_LOG_FORMAT).
func makeLogger(level: String?, format: String? = nil) -> Logger {
    let level = Logger.Level(rawValue: level ?? env("PAYOUT_GATEWAY_LOG_LEVEL") ?? "info") ?? .info
    let json = (format ?? env("PAYOUT_GATEWAY_LOG_FORMAT"))?.lowercased() == "json"
    // Every line of a request or an engine step carries its ids (LogContext), whichever logger writes it.
    LoggingSystem.bootstrap({ label, metadataProvider in
        if json {
            var handler = JSONLogHandler(label: label, level: level)
            handler.metadataProvider = metadataProvider
            return handler
        }
        var handler = StreamLogHandler.standardError(label: label, metadataProvider: metadataProvider)
        handler.logLevel = level
        return handler
    }, metadataProvider: LogContext.metadataProvider)
    return Logger(label: "payout-gateway")
}
