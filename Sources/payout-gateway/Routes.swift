import ArgumentParser
import Foundation
import PayoutGateway

/// Routing-table tools.
struct Routes: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Check a routing table.", subcommands: [Check.self])

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
