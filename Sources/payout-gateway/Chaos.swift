import ArgumentParser
import Foundation
import Logging
import PayoutChaos
import PayoutGateway
import PayoutSandbox

/// Runs the chaos suite: the gateway as a child process, faulty sandboxes, SIGKILL restarts; exits 0 only when
/// nothing was paid twice, nothing was lost and every final state reached the merchant.
struct Chaos: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Prove the delivery guarantees under faults and crashes.")

    @Option(help: "Number of payouts.") var payouts = 200
    @Option(help: "Share of provider create calls that fail (0–1).") var faultRate = 0.2
    @Option(help: "How many times the gateway is killed with SIGKILL and restarted.") var restarts = 3
    @Option(help: "Concurrent merchant requests.") var concurrency = 16
    @Option(help: "Seconds to wait for every payout to settle.") var settleTimeout = 600.0
    @Option(help: "Gateway instances on the same store; requests are spread across them and kills take them in turn.") var instances = 1
    @Option(help: "The store the instances share (postgres://… for several; default a SQLite file in the work directory).") var database: String?
    @Option(help: "Log level.") var logLevel: String?

    func run() async throws {
        let logger = makeLogger(level: logLevel ?? "warning")
        var options = ChaosOptions(executable: ProcessInfo.processInfo.arguments[0].hasPrefix("/")
            ? ProcessInfo.processInfo.arguments[0]
            : FileManager.default.currentDirectoryPath + "/" + ProcessInfo.processInfo.arguments[0])
        options.payouts = payouts
        options.faultRate = faultRate
        options.restarts = restarts
        options.concurrency = concurrency
        options.settleTimeoutSeconds = settleTimeout
        guard (1...8).contains(instances) else { throw ValidationError("--instances must be 1 to 8") }
        if instances > 1, !(database ?? "").hasPrefix("postgres") {
            throw ValidationError("several instances need a shared PostgreSQL store: --database postgres://…")
        }
        options.instances = instances
        options.databaseURL = database
        let started = Date()
        let report = try await ChaosRun(options: options, logger: logger).run()
        for failure in report.failures { print("chaos: FAILED \(failure)") }
        print("chaos: work directory \(options.workDirectory), \(Int(Date().timeIntervalSince(started))) s, forged callbacks refused \(report.forgedCallbacksRefused), parked \(report.parked)")
        print(report.rates)
        print(report.line)
        if !report.passed { throw ExitCode(1) }
    }
}
