import PayoutGateway
import HTTPTypes
import Logging
import Foundation
import Synchronization

/// Credentials of a simulated JSON:API provider account.
public struct JSONAPISandboxAccount: Sendable, CustomStringConvertible, CustomDebugStringConvertible {
    public var accountID: String
    public var apiKey: String
    public var publicKey: String
    public var callbackSecret: String

    /// Never prints the keys (ServiceLifecycle logs its services' descriptions at debug level).
    public var description: String { "JSONAPISandboxAccount(\(accountID))" }
    public var debugDescription: String { description }

    public static func generate() -> JSONAPISandboxAccount {
        JSONAPISandboxAccount(
            accountID: Identifier.make("coma_"), apiKey: Identifier.secret(), publicKey: "pk_test_" + Identifier.random(length: 43),
            callbackSecret: "sk_test_" + Identifier.random(length: 43))
    }
}

/// A payout service the simulated provider offers.
public struct SandboxService: Sendable {
    public var id: String
    public var code: String
    public var method: String
    public var currency: String
    public var amountMin: String
    public var amountMax: String
    public var available = true
    public var fields: [FieldDefinition]
}

/// A fault the simulator injects into the next create calls.
public enum SandboxFault: String, Sendable, Codable, CaseIterable {
    /// 500 before anything is stored.
    case errorBeforeStore = "5xx_before_store"
    /// 500 after the invoice is stored (the create did happen).
    case errorAfterStore = "5xx_after_store"
    /// Stores, then answers too late for the client's deadline.
    case timeoutAfterStore = "timeout_after_store"
    /// 429 without storing.
    case rateLimited = "429"
    /// Stores, but `filter[reference_id]` finds it only after a delay.
    case lateVisibility = "late_visibility"
    /// Stores, starts the answer, then drops the connection mid-body (a reset as the client sees it).
    case resetAfterStore = "reset_after_store"
    /// Stores, hides it from lookups by reference for the late-visibility delay, and answers 5xx: a resend meets
    /// "duplicate" while lookups say "absent" (the contradiction the gateway must park, never fail over).
    case hiddenAfterStore = "5xx_after_store_hidden"
}

/// How the simulator misbehaves when it sends callbacks.
public enum SandboxCallbackMode: String, Sendable, Codable {
    case normal
    /// Every callback twice.
    case duplicate
    /// Random delays, so a later state may arrive first.
    case outOfOrder = "out_of_order"
    /// Pending callbacks of an invoice are replaced by its latest state.
    case merged
}

/// One invoice in the simulator, with its scripted future.
struct SandboxInvoice: Sendable {
    var id: String
    var referenceID: String
    var service: String
    var method: String
    var currency: String
    var amountMinor: Int64
    var exponent: Int
    var fieldsMasked: [String: String]
    var status: String
    var resolution: String
    var testMode: Bool
    var description: String?
    var callbackURL: String?
    var created: Int64
    var updated: Int64
    var processed: Int64?
    var processedAmountMinor: Int64?
    /// The final status this invoice will reach once processed, and its resolution.
    var plannedStatus: String
    var plannedResolution: String
    var reverseAfterSuccess: Bool
    var dueAtMillis: Int64?
    var visibleAtMillis: Int64
    var processCalls: Int = 0
    /// How many times money left for this invoice (must never exceed 1).
    var payouts: Int = 0
}

/// A signed POST callback of one invoice state.
struct SandboxCallback: Sendable {
    var invoiceID: String
    var url: String
    var body: String
}

/// Mutable state of one simulated JSON:API provider, behind a lock.
final class JSONAPISandboxState: Sendable {
    struct Storage {
        var invoices: [String: SandboxInvoice] = [:]
        var order: [String] = []
        var byReference: [String: String] = [:]
        var callbackMode = SandboxCallbackMode.normal
        var services: [SandboxService]
        var schedule = SandboxSchedule()

        /// Stores an invoice and indexes its next due time (always through here, so the clock sees it).
        mutating func save(_ invoice: SandboxInvoice, nowMillis: Int64) {
            invoices[invoice.id] = invoice
            let finished = !["created", "processing", "canceling"].contains(invoice.status)
            schedule.update(invoice.id, dueAtMillis: invoice.dueAtMillis, isFinished: finished, nowMillis: nowMillis)
        }

        /// Drops finished invoices past the retention. Their references stay taken: a repeat still answers 409.
        mutating func dropExpired(nowMillis: Int64) {
            schedule.dropExpired(from: &invoices, order: &order, nowMillis: nowMillis)
        }
    }

    let storage: Mutex<Storage>
    let faults = SandboxFaults()
    let callbacks = SandboxCallbackQueue<SandboxCallback>()

    init(services: [SandboxService]) {
        self.storage = Mutex(Storage(services: services))
    }

    func withStorage<R>(_ body: (inout Storage) throws -> R) rethrows -> R {
        try storage.withLock { try body(&$0) }
    }
}
