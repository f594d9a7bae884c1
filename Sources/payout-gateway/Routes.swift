import ArgumentParser
import Foundation
import PayoutChaos
import PayoutGateway
import PayoutSandbox

/// Routing-table tools.
struct Routes: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Check a routing table or explain a routing decision.", subcommands: [Check.self, Explain.self])

    /// Prints the candidates for a payout in order and why every other provider is excluded (routes.json alone;
    /// the running gateway's view, with services lists and health, is `GET /admin/routes/explain`).
    struct Explain: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Explain which providers would carry a payout.")
        @Option(help: "Gateway service code.") var service: String
        @Option(help: "ISO 4217 currency.") var currency: String
        @Option(help: "Decimal amount, e.g. 120.50.") var amount: String
        @Option(help: "Merchant account id.") var merchant: String?
        @Option(help: "The routes file (default routes.json).") var routes = "routes.json"
        @Flag(help: "Print JSON.") var json = false

        func run() async throws {
            let table: RoutingTable
            do {
                table = try RoutesCompiler().compile(contentsOf: routes)
            } catch {
                for issue in error.issues { print("\(routes): \(issue.path): \(issue.reason)") }
                throw ExitCode(1)
            }
            do {
                let explanation = try RouteExplanation.explain(
                    router: PayoutRouter(table: table), service: service, currency: currency, amount: amount, merchantID: merchant)
                print(json ? JSONCoding.encodeString(explanation.json) : explanation.text)
                if explanation.decision == nil { throw ExitCode(2) }
            } catch let error as APIError {
                print("invalid request: \(error.summary)")
                throw ExitCode(1)
            }
        }
    }

    /// Validates a routes file; exits non-zero listing each error with its JSON path.
    struct Check: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Validate a routes file.")
        @Argument(help: "The routes file (default routes.json).") var file = "routes.json"

        func run() async throws {
            do {
                let table = try RoutesCompiler().compile(contentsOf: file)
                print("\(file): ok (\(table.services.count) services, \(table.providers.count) providers, \(table.routes.count) routes)")
            } catch {
                for issue in error.issues { print("\(file): \(issue.path): \(issue.reason)") }
                throw ExitCode(1)
            }
        }
    }
}
