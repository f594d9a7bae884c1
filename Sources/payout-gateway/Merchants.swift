import ArgumentParser
import Foundation
import Logging
import PayoutChaos
import PayoutGateway
import PayoutSandbox

/// Merchant administration.
struct Merchants: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Manage merchant accounts.", subcommands: [Add.self, List.self, Disable.self, Enable.self, RotateKey.self])

    static func quietLogger() -> Logger {
        var logger = Logger(label: "payout-gateway")
        logger.logLevel = .warning
        return logger
    }

    /// Lists merchants (ids, names, public keys, state); never a key or a secret.
    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List merchants (no keys or secrets).")
        @Flag(help: "One JSON object per line.") var json = false
        @OptionGroup var store: StoreOptions

        func run() async throws {
            for merchant in try await MerchantAdmin.list(databaseURL: store.databaseURL, logger: Merchants.quietLogger()) {
                if json {
                    print(merchant.json.jsonString())
                } else {
                    let state = merchant.disabledMs == nil ? "active" : "disabled"
                    let overlap = merchant.previousKeyUntilMs.map { " previous key valid until \(Date(timeIntervalSince1970: Double($0) / 1000))" } ?? ""
                    print("\(merchant.id)\t\(state)\t\(merchant.publicKey)\t\(merchant.name)\(overlap)")
                }
            }
        }
    }

    /// Refuses a merchant's keys from now on (within the gateways' 5 s authentication cache).
    struct Disable: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Disable a merchant: its keys are refused.")
        @Argument(help: "The merchant's account id.") var id: String
        @OptionGroup var store: StoreOptions

        func run() async throws {
            try await MerchantAdmin.setEnabled(false, id: id, databaseURL: store.databaseURL, logger: Merchants.quietLogger())
            print("disabled \(id)")
        }
    }

    /// Accepts a disabled merchant's keys again.
    struct Enable: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Enable a disabled merchant again.")
        @Argument(help: "The merchant's account id.") var id: String
        @OptionGroup var store: StoreOptions

        func run() async throws {
            try await MerchantAdmin.setEnabled(true, id: id, databaseURL: store.databaseURL, logger: Merchants.quietLogger())
            print("enabled \(id)")
        }
    }

    /// Gives a merchant a new API key, printed once; the old key keeps working during the overlap.
    struct RotateKey: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "rotate-key", abstract: "Give a merchant a new API key (printed once); the old one stays valid during --overlap.")
        @Argument(help: "The merchant's account id.") var id: String
        @Option(help: "How long the old key keeps working: 90s, 30m, 24h, 7d (default 24h; 0 ends it now).") var overlap = "24h"
        @OptionGroup var store: StoreOptions

        func run() async throws {
            guard let seconds = MerchantAdmin.parseDuration(overlap) else { throw ValidationError("--overlap: a duration such as 30m, 24h or 7d") }
            let key = try await MerchantAdmin.rotateKey(id: id, overlapSeconds: seconds, databaseURL: store.databaseURL, logger: Merchants.quietLogger())
            print("api_key: \(key)")
        }
    }

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
