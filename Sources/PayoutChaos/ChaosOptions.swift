import PayoutGateway
import PayoutSandbox
import Foundation

/// What a chaos run does: payouts, provider fault rate, gateway kills.
public struct ChaosOptions: Sendable {
    public var payouts = 200
    public var faultRate = 0.2
    public var restarts = 3
    public var concurrency = 16
    /// The gateway executable to start as a child (this binary).
    public var executable: String
    /// Give up waiting for payouts to settle after this long.
    public var settleTimeoutSeconds: Double = 600
    /// Share of merchant webhook deliveries the receiver refuses with a 500.
    public var webhookFailureRate = 0.2
    public var workDirectory: String
    /// Gateway children started on the same store; merchant requests are spread across them and each kill takes one.
    public var instances = 1
    /// The store all instances share (`postgres://…` for several); default: a SQLite file in the work directory.
    public var databaseURL: String?

    public init(executable: String, workDirectory: String = NSTemporaryDirectory() + "payout-chaos-\(UUID().uuidString)") {
        self.executable = executable
        self.workDirectory = workDirectory
    }
}

/// The figures of a chaos run; `passed` only when every assertion holds.
public struct ChaosReport: Sendable {
    public var payouts = 0
    public var faults = 0
    public var restarts = 0
    /// Merchant payouts paid by providers more than once.
    public var duplicates = 0
    /// Acknowledged payouts the gateway does not know, or final states that never reached the merchant's webhook.
    public var lost = 0
    /// Payouts neither final nor pending with a reason when the run settled.
    public var unresolved = 0
    /// Payouts parked as `process_pending` with a reason (waiting for an operator): allowed, and counted.
    public var parked = 0
    public var paidMinorByProviders: [String: Int64] = [:]
    public var processedMinorByGateway: [String: Int64] = [:]
    public var forgedCallbacksRefused = 0
    /// Lines of the gateways' logs read by the log check.
    public var logLines = 0
    /// From the first create to the last acknowledged one, and to the moment every payout had settled.
    public var createSeconds = 0.0
    public var finaliseSeconds = 0.0

    /// Throughput of the run: acknowledged creates per second, and payouts settled per second (first create to last
    /// settled, webhook delivered).
    public var rates: String {
        let created = createSeconds > 0 ? Double(payouts) / createSeconds : 0
        let finalised = finaliseSeconds > 0 ? Double(payouts) / finaliseSeconds : 0
        return "chaos: rates created_per_second=\(String(format: "%.1f", created)) finalised_per_second=\(String(format: "%.1f", finalised))"
    }
    public var failures: [String] = []

    public var passed: Bool {
        duplicates == 0 && lost == 0 && unresolved == 0 && failures.isEmpty && paidMinorByProviders == processedMinorByGateway
    }

    public var line: String {
        "chaos: payouts=\(payouts) faults=\(faults) restarts=\(restarts) duplicates=\(duplicates) lost=\(lost) unresolved=\(unresolved)"
    }
}
