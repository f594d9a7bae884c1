import PayoutGateway
import Foundation
import Synchronization
import _CryptoExtras

/// A simulator of a PaynetEasy v4 provider (Payneteasy, Cardzo, Billblend …), mounted at `/{id}/{pathPrefix}`.
public struct PaynetSandbox: Sendable {
    /// What a repeated client_orderid does (providers differ; nothing is documented).
    public enum DuplicatePolicy: String, Sendable {
        case reject
        case newOrder = "new_order"
    }

    public let id: String
    public let pathPrefix: String
    public let login: String
    public let controlKey: String
    public let privateKeyPEM: String
    public let publicKeyPEM: String
    public var processingMillis: Int64 = 1_500
    public var callbackStepMillis: Int64 = 1_000
    public var faultDelayMillis: Int64 = 40_000
    /// How long a `late_visibility` payout stays hidden from lookups.
    public var lateVisibilityMillis: Int64 = 3_000
    /// Status polls after payout-check before the order-stage becomes `payout_check_validated`.
    public var validateAfterPolls = 1
    public var duplicatePolicy = DuplicatePolicy.reject
    /// A share of payout-pay calls is held this long before the order is paid (a confirming call slower than the
    /// gateway's timeout: the answer is lost, the payment happens).
    public var slowPayMillis: Int64 = 0
    public var slowPayRate = 0.0
    let state: PaynetSandboxState

    public init(id: String, pathPrefix: String = "paynet") throws {
        self.id = id
        self.pathPrefix = pathPrefix
        self.login = "merchant_" + Identifier.random(length: 8)
        self.controlKey = UUID().uuidString
        let key = try _RSA.Signing.PrivateKey(keySize: .bits2048)
        self.privateKeyPEM = key.pkcs8PEMRepresentation
        self.publicKeyPEM = key.publicKey.pemRepresentation
        self.state = PaynetSandboxState()
    }

    /// The base URL an adapter uses for this simulator on `port`.
    public func baseURL(port: Int) -> String { "http://127.0.0.1:\(port)/\(id)/\(pathPrefix)" }

    /// Keeps every finished record (the ledger then covers the whole run: the chaos suite checks it). By default
    /// finished records past 20,000 are dropped once two minutes old, so that a long demo keeps flat memory.
    public func keepEveryRecord() {
        state.storage.withLock { $0.schedule.retention = .everything }
    }

    public func inject(_ faults: [SandboxFault]) {
        state.faults.inject(faults)
    }

    public func setFaultRate(_ rate: Double) {
        state.faults.setRate(rate)
    }

    /// How many faults this simulator has injected.
    public var faultsInjected: Int { state.faults.injected }

    /// Every order and how many times it paid out.
    public func ledger() -> [SandboxLedgerLine] {
        state.storage.withLock { storage in
            storage.order.compactMap { storage.orders[$0] }.map {
                SandboxLedgerLine(provider: id, invoiceID: $0.orderID, reference: $0.clientOrderID, status: $0.status,
                                  currency: $0.currency, amountMinor: $0.amountMinor, payouts: $0.payouts, endpoint: $0.endpoint)
            }
        }
    }

    /// The receiver form URL of an order (what `redirect-to` points at).
    func receiverFormPath(_ orderID: String) -> String { "/\(id)/\(pathPrefix)/receiver-form/\(orderID)" }
}

/// One simulated order.
struct PaynetOrder: Sendable {
    var orderID: String
    /// The endpoint (or `group/ID`) the order was created on; status on another endpoint does not find it.
    var endpoint: String = ""
    var clientOrderID: String
    var amountMinor: Int64
    var currency: String
    var exponent: Int
    var bankCheck: Bool
    var status: String
    var stage: String
    var finalStatus: String
    var errorMessage: String?
    var errorCode: String?
    var needsReceiverForm: Bool
    var neverValidates: Bool
    var polls = 0
    var dueAtMillis: Int64?
    var visibleAtMillis: Int64
    var callbackURL: String?
    var redirectTo: String?
    var payouts = 0
    var lastSerial: String
}


final class PaynetSandboxState: Sendable {
    struct Storage {
        var orders: [String: PaynetOrder] = [:]
        var order: [String] = []
        var byClientOrderID: [String: [String]] = [:]
        var nextOrderID = 7_000_000
        var schedule = SandboxSchedule()

        /// Stores an order and indexes its next due time (always through here, so the clock sees it).
        mutating func save(_ order: PaynetOrder, nowMillis: Int64 = Clock.nowMillis()) {
            orders[order.orderID] = order
            let finished = ["approved", "declined", "error", "filtered"].contains(order.status)
            schedule.update(order.orderID, dueAtMillis: order.dueAtMillis, isFinished: finished, nowMillis: nowMillis)
        }

        /// Drops finished orders past the retention; their client order ids stay known (status finds nothing).
        mutating func dropExpired(nowMillis: Int64) {
            schedule.dropExpired(from: &orders, order: &order, nowMillis: nowMillis)
        }
    }

    let storage = Mutex(Storage())
    let faults = SandboxFaults()
    /// GET callback URLs (query included) waiting for delivery.
    let callbacks = SandboxCallbackQueue<String>()
}
