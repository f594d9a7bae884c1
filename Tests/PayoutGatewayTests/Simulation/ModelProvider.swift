import Foundation
@testable import PayoutGateway
@testable import PayoutSandbox

/// SplitMix64: a small seeded generator, so that a seed replays the same run.
struct SeededRandom: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed &+ 0x9E37_79B9_7F4A_7C15 }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    mutating func chance(_ p: Double) -> Bool { Double(next() % 1_000_000) / 1_000_000 < p }
    mutating func pick<T>(_ items: [T]) -> T { items[Int(next() % UInt64(items.count))] }
    mutating func int(_ range: ClosedRange<Int64>) -> Int64 { range.lowerBound + Int64(next() % UInt64(range.upperBound - range.lowerBound + 1)) }
}

/// A provider of one dialect as the simulation sees it: it stores orders, pays them, and can give every answer class —
/// including the adversarial ones (stores the payout but hides it from lookups, answers "duplicate" on resend, lags).
struct ModelProvider {
    /// `direct`: pays on create. `confirm`: waits for the confirming call (JSON:API `process`: awaiting at once).
    /// `bankCheck`: PaynetEasy payout-check, validated by the bank after a while, then payout-pay.
    enum Flow { case direct, confirm, bankCheck }

    struct Order {
        let id: String
        let reference: String
        let endpoint: String
        var state: State
        /// Lookups do not find the order before this time (late visibility); `.max`: hidden for good.
        var visibleAt: Int64
        var changedAt: Int64
        var confirms = 0
        /// The bank check never validates.
        var stuckCheck = false
        var willFail = false
    }

    enum State: Equatable { case awaiting, checking, processing, paid, failed }

    let id: String
    let flow: Flow
    /// JSON:API refuses a repeated reference (409); the PaynetEasy model may create a second order for it.
    let refusesRepeats: Bool
    /// Orders are scoped by endpoint (currency): a status asked on another endpoint does not find them.
    let scopedByEndpoint = true
    var orders: [String: Order] = [:]
    var byReference: [String: [String]] = [:]
    var creates: [String: Int] = [:]
    var nextID = 1
    /// Per run: how often a call gets a fault.
    var faultRate: Double

    init(id: String, flow: Flow, refusesRepeats: Bool, faultRate: Double) {
        self.id = id
        self.flow = flow
        self.refusesRepeats = refusesRepeats
        self.faultRate = faultRate
    }

    /// Orders that paid, by reference.
    var paidByReference: [String: Int] {
        var counts: [String: Int] = [:]
        for order in orders.values where order.state == .paid { counts[order.reference, default: 0] += 1 }
        return counts
    }

    func snapshot(_ order: Order, currency: String) -> ProviderSnapshot {
        switch order.state {
        case .awaiting:
            return ProviderSnapshot(providerPayoutID: order.id, rawStatus: "awaiting", outcome: .awaitingConfirmation, merchantStatus: .created, currency: currency)
        case .checking:
            return ProviderSnapshot(providerPayoutID: order.id, rawStatus: "checking", outcome: .checking, merchantStatus: .processing, currency: currency)
        case .processing:
            return ProviderSnapshot(providerPayoutID: order.id, rawStatus: "processing", outcome: .processing, merchantStatus: .processing, currency: currency)
        case .paid:
            return ProviderSnapshot(providerPayoutID: order.id, rawStatus: "paid", outcome: .succeeded, merchantStatus: .processed, currency: currency)
        case .failed:
            return ProviderSnapshot(providerPayoutID: order.id, rawStatus: "failed", outcome: .failed, merchantStatus: .processFailed,
                                    resolution: "declined", currency: currency)
        }
    }

    /// A create arrives at the provider. Returns the answer the gateway gets back.
    mutating func create(reference: String, currency: String, now: Int64, random: inout SeededRandom) -> SubmitOutcome {
        if random.chance(faultRate / 4) { return .notSent(reason: "connection refused") }
        if random.chance(faultRate / 4) { return .rejected(reason: "answered 422") }
        // Creates that reached the provider and were not refused outright (the ones that could create something).
        creates[reference, default: 0] += 1
        if let existing = byReference[reference], !existing.isEmpty {
            if refusesRepeats || random.chance(0.5) { return .duplicate }
            // PaynetEasy: undocumented — this model takes a repeated client_orderid as a new order.
        }
        let faulty = random.chance(faultRate)
        if faulty, random.chance(0.3) { return .ambiguous(reason: "answered 502 before storing") }
        let order = Order(
            id: "\(id)-\(nextID)", reference: reference, endpoint: currency,
            state: flow == .direct ? .processing : (flow == .bankCheck ? .checking : .awaiting),
            visibleAt: faulty && random.chance(0.5) ? (random.chance(0.3) ? .max : now + random.int(1_000...20_000)) : now,
            changedAt: now, stuckCheck: random.chance(0.05), willFail: random.chance(0.1))
        nextID += 1
        orders[order.id] = order
        byReference[reference, default: []].append(order.id)
        if faulty { return random.chance(0.5) ? .ambiguous(reason: "answered 500 after storing") : .ambiguous(reason: "timeout") }
        return .accepted(snapshot(order, currency: currency))
    }

    /// A confirming call (payout-pay / process) arrives.
    mutating func confirm(orderID: String, now: Int64, random: inout SeededRandom) -> SubmitOutcome {
        if random.chance(faultRate / 4) { return .notSent(reason: "connection refused") }
        guard var order = orders[orderID] else { return .rejected(reason: "no such order") }
        let faultBefore = random.chance(faultRate / 3)
        if faultBefore { return .ambiguous(reason: "timeout before arriving") }
        order.confirms += 1
        switch order.state {
        case .awaiting where random.chance(faultRate / 4):
            // Adversarial: answers "accepted" but does not act on it.
            orders[orderID] = order
            return .accepted(snapshot(order, currency: order.endpoint))
        case .awaiting:
            order.state = .processing
            order.changedAt = now
            orders[orderID] = order
        case .checking:
            orders[orderID] = order
            return .rejected(reason: "not validated yet")
        case .processing, .paid, .failed:
            orders[orderID] = order
            return .rejected(reason: "already processed")
        }
        if random.chance(faultRate) { return .ambiguous(reason: "answered 504 after processing") }
        return .accepted(snapshot(order, currency: order.endpoint))
    }

    /// A status lookup arrives.
    func lookup(reference: String, orderID: String?, currency: String, now: Int64, random: inout SeededRandom) -> LookupOutcome {
        if random.chance(faultRate / 2) { return .failed(reason: "answered 503") }
        let candidates = orderID.map { [$0] } ?? (byReference[reference] ?? [])
        guard let id = candidates.first, let order = orders[id], order.reference == reference,
              order.visibleAt <= now, !scopedByEndpoint || order.endpoint == currency
        else { return .absent }
        var shown = order
        // A lagging status: shows the order as it was before its last change.
        if random.chance(faultRate / 2), now - order.changedAt < 3_000, order.state == .processing, order.confirms > 0 {
            shown.state = .awaiting
        }
        return .found(snapshot(shown, currency: order.endpoint))
    }

    /// Time passes at the provider: bank checks validate, payouts pay or fail.
    mutating func tick(now: Int64) -> [String] {
        var changed: [String] = []
        for (id, order) in orders {
            var order = order
            switch order.state {
            case .checking where !order.stuckCheck && now - order.changedAt >= 1_500:
                order.state = .awaiting
            case .processing where now - order.changedAt >= 2_000:
                order.state = order.willFail ? .failed : .paid
            default:
                continue
            }
            order.changedAt = now
            orders[id] = order
            changed.append(order.reference)
        }
        return changed
    }

    /// The end of a run: no more faults; delayed orders become visible (hidden-for-good ones stay hidden).
    mutating func calm(now: Int64) {
        faultRate = 0
        for (id, order) in orders where order.visibleAt != .max && order.visibleAt > now {
            orders[id]?.visibleAt = now
        }
    }
}

/// The adapter the simulation registers for each provider: the engine only reads `needsConfirmation` from it; the
/// simulation delivers calls to the ``ModelProvider`` itself, so that it can interleave them.
struct SimulatedAdapter: ProviderAdapter {
    var baseURL: String { "http://simulated.invalid" }
    let id: String
    let needsConfirmation: Bool
    func submit(_ request: ProviderPayoutRequest) async -> SubmitOutcome { .notSent(reason: "simulated") }
    func confirm(reference: String, providerPayoutID: String, service: String, currency: Currency) async -> SubmitOutcome { .notSent(reason: "simulated") }
    func lookup(reference: String, providerPayoutID: String?, service: String, currency: Currency) async -> LookupOutcome { .failed(reason: "simulated") }
}
