import ArgumentParser
import Foundation
import Logging
import PayoutChaos
import PayoutGateway
import PayoutSandbox

/// Merchant administration.
struct Merchants: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Manage merchant accounts.", subcommands: [Add.self])

    /// Creates a merchant and prints its credentials once; only a hash of the API key is stored.
    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create a merchant and print its credentials once.")

        @Argument(help: "The merchant's name.") var name: String
        @Flag(help: "Print the credentials as one JSON object.") var json = false
        @OptionGroup var store: StoreOptions
        @Option(help: "File holding the base64 data key (env PAYOUT_GATEWAY_DATA_KEY_FILE).") var dataKeyFile: String?

        func run() async throws {
            var logger = Logger(label: "payout-gateway")
            logger.logLevel = .warning
            let credentials = try await createMerchant(
                name: name, databaseURL: store.databaseURL, dataKeyFile: dataKeyFile ?? env("PAYOUT_GATEWAY_DATA_KEY_FILE"),
                dataKey: env("PAYOUT_GATEWAY_DATA_KEY").map(Secret.init), logger: logger)
            if json {
                print(credentials.jsonLine)
            } else {
                print("account_id: \(credentials.accountID)\napi_key: \(credentials.apiKey)\npublic_key: \(credentials.publicKey)\ncallback_secret: \(credentials.callbackSecret)")
            }
        }
    }
}
