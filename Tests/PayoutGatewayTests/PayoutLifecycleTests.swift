import Foundation
@testable import PayoutGateway
@testable import PayoutSandbox
import Testing

/// The payout lifecycle without I/O: one test per rule of "a payout is never paid twice nor lost".
@Suite("Payout lifecycle rules")
struct PayoutLifecycleTests {
    static let settings: EngineSettings = {
        var settings = EngineSettings()
        settings.absenceGraceMillis = 5_000
        settings.ambiguousLookupDelayMillis = 1_000
        settings.lookupBackoffMillis = 1_000
        settings.lookupBackoffCapMillis = 60_000
        settings.invoiceLifetimeMillis = 3_600_000
        settings.bankCheckTimeoutMillis = 600_000
        return settings
    }()

    static let traits: [String: ProviderTraits] = [
        "json": ProviderTraits(needsConfirmation: false, repeatedReference: .rejected, pollIntervalMillis: 3_000),
        "jsonconfirm": ProviderTraits(needsConfirmation: true, repeatedReference: .rejected, pollIntervalMillis: 3_000),
        "paynet": ProviderTraits(needsConfirmation: false, repeatedReference: .unknown, pollIntervalMillis: 3_000),
        "bank": ProviderTraits(needsConfirmation: true, repeatedReference: .unknown, pollIntervalMillis: 3_000),
        "other": ProviderTraits(needsConfirmation: false, repeatedReference: .rejected, pollIntervalMillis: 3_000),
    ]

    static func context(_ now: Int64, unhealthy: Set<String> = []) -> LifecycleContext {
        LifecycleContext(nowMillis: now, providers: traits, unhealthy: unhealthy, settings: settings)
    }

    static func payout(candidates: [String], processRequested: Bool = true, failover: Bool? = nil) -> PayoutRecord {
        let decision = RouteDecision(routeID: "r", strategy: "ordered", candidates: candidates, skipped: [:], failover: failover)
        return PayoutRecord(
            id: "pay_1", merchantId: "m", referenceId: "ref", status: "created", resolution: "ok", service: "card", method: "card",
            currency: "USD", amountMinor: 1_000, feeMinor: 0, testMode: true, description: nil, fieldsMasked: "{}", fieldsSealed: "sealed",
            metadata: nil, customer: nil, customerId: nil, callbackUrl: nil, autoProcess: processRequested, processRequested: processRequested,
            providerId: nil, decision: JSONCoding.encodeString(decision), redirectUrl: nil, pendingReason: nil, processedAt: nil,
            processedAmountMinor: nil, createdMs: 0, updatedMs: 0, nextActionAt: 0, leaseOwner: nil, leaseUntil: nil)
    }

    static func snapshot(_ outcome: ProviderOutcome, _ status: PayoutStatus, id: String = "p-1") -> ProviderSnapshot {
        ProviderSnapshot(providerPayoutID: id, rawStatus: status.rawValue, outcome: outcome, merchantStatus: status)
    }

    /// Runs `next` and expects a call; returns it.
    static func expectCall(_ lifecycle: inout PayoutLifecycle, _ now: Int64, sourceLocation: SourceLocation = #_sourceLocation) -> PayoutLifecycle.ProviderCall? {
        guard case .call(let call) = lifecycle.next(context(now)) else {
            Issue.record("expected a provider call", sourceLocation: sourceLocation)
            return nil
        }
        return call
    }

    /// Simulates a commit: what the store would hand the next step.
    static func reload(_ lifecycle: PayoutLifecycle) -> PayoutLifecycle {
        PayoutLifecycle(payout: lifecycle.payout, attempts: lifecycle.attempts)
    }

    @Test("a create is stored as an intent before it leaves, and after a crash the provider is asked first")
    func createIntentThenLookupAfterCrash() {
        var lifecycle = PayoutLifecycle(payout: Self.payout(candidates: ["paynet"]), attempts: [])
        #expect(Self.expectCall(&lifecycle, 0) == .create(providerID: "paynet", reference: "pay_1", send: 1))
        #expect(lifecycle.currentAttempt?.phase == .creating)
        // The process dies here; the next step starts from the stored intent.
        var recovered = Self.reload(lifecycle)
        #expect(Self.expectCall(&recovered, 10_000) == .lookup(providerID: "paynet", reference: "pay_1", providerPayoutID: nil))
    }

    @Test("an unclear create at a provider not known to refuse repeats is never sent again and never failed over")
    func unknownRepeatPolicyParks() {
        var lifecycle = PayoutLifecycle(payout: Self.payout(candidates: ["paynet", "other"]), attempts: [])
        _ = Self.expectCall(&lifecycle, 0)
        lifecycle.record(.create(.ambiguous(reason: "answered 502")), Self.context(10))
        var now: Int64 = 1_000
        for _ in 0..<6 {
            lifecycle = Self.reload(lifecycle)
            guard case .lookup = Self.expectCall(&lifecycle, now) else { return }
            lifecycle.record(.lookup(.absent), Self.context(now))
            now = max(now + 10_000, lifecycle.payout.nextActionAt ?? now)
        }
        #expect(lifecycle.attempts.count == 1)
        #expect(lifecycle.currentAttempt?.sends == 1)
        #expect(lifecycle.currentAttempt?.phase == .unclear)
        #expect(lifecycle.status == .processPending)
        #expect(lifecycle.payout.pendingReason?.contains("repeated_reference") == true)
    }

    @Test("absent on lookup plus duplicate on resend is a contradiction: parked with an alert, never moved on")
    func duplicateAndAbsentContradiction() {
        var lifecycle = PayoutLifecycle(payout: Self.payout(candidates: ["json", "other"]), attempts: [])
        _ = Self.expectCall(&lifecycle, 0)
        lifecycle.record(.create(.ambiguous(reason: "answered 500")), Self.context(0))
        var now: Int64 = 1_000
        var sawResend = false
        for _ in 0..<12 {
            lifecycle = Self.reload(lifecycle)
            guard let call = Self.expectCall(&lifecycle, now) else { return }
            switch call {
            case .create:
                sawResend = true
                lifecycle.record(.create(.duplicate), Self.context(now))
            case .lookup:
                lifecycle.record(.lookup(.absent), Self.context(now))
            case .confirm:
                Issue.record("no confirming call was due")
            }
            now = max(now + 6_000, lifecycle.payout.nextActionAt ?? now)
        }
        #expect(sawResend)
        #expect(lifecycle.attempts.count == 1, "the next provider must never take a payout the first may hold")
        #expect(lifecycle.currentAttempt?.duplicateSeen == true)
        #expect(lifecycle.status == .processPending)
        #expect(lifecycle.payout.pendingReason?.contains("duplicate") == true)
    }

    @Test("a 422 on a resend says nothing about the first send: the payout stays bound")
    func rejectedResendKeepsBinding() {
        var lifecycle = PayoutLifecycle(payout: Self.payout(candidates: ["json", "other"]), attempts: [])
        _ = Self.expectCall(&lifecycle, 0)
        lifecycle.record(.create(.ambiguous(reason: "timeout")), Self.context(0))
        var now: Int64 = 1_000
        var resent = false
        for _ in 0..<6 where !resent {
            lifecycle = Self.reload(lifecycle)
            guard let call = Self.expectCall(&lifecycle, now) else { return }
            if case .create = call {
                resent = true
                lifecycle.record(.create(.rejected(reason: "answered 422")), Self.context(now))
            } else {
                lifecycle.record(.lookup(.absent), Self.context(now))
            }
            now = max(now + 6_000, lifecycle.payout.nextActionAt ?? now)
        }
        #expect(resent)
        #expect(lifecycle.currentAttempt?.phase == .unclear)
        #expect(lifecycle.currentAttempt?.unclearSends == 1)
        lifecycle = Self.reload(lifecycle)
        if case .create(let provider, _, _)? = Self.expectCall(&lifecycle, now) { Issue.record("sent to \(provider) again at once") }
        #expect(lifecycle.attempts.count == 1)
    }

    @Test("a definite refusal of every send lets the next candidate take the payout")
    func definiteRejectFailsOver() {
        var lifecycle = PayoutLifecycle(payout: Self.payout(candidates: ["paynet", "other"]), attempts: [])
        _ = Self.expectCall(&lifecycle, 0)
        lifecycle.record(.create(.rejected(reason: "answered 422")), Self.context(0))
        #expect(lifecycle.currentAttempt?.phase == .notCreated)
        lifecycle = Self.reload(lifecycle)
        #expect(Self.expectCall(&lifecycle, 1) == .create(providerID: "other", reference: "pay_1", send: 1))
    }

    @Test("a refused connection with no other candidate is sent again after a back-off, to the same provider")
    func unreachableRetriesSameProvider() {
        var lifecycle = PayoutLifecycle(payout: Self.payout(candidates: ["paynet"]), attempts: [])
        _ = Self.expectCall(&lifecycle, 0)
        lifecycle.record(.create(.notSent(reason: "connection refused")), Self.context(0))
        #expect(lifecycle.currentAttempt?.phase == .resendDue)
        #expect((lifecycle.payout.nextActionAt ?? 0) > 0)
        lifecycle = Self.reload(lifecycle)
        #expect(Self.expectCall(&lifecycle, 5_000) == .create(providerID: "paynet", reference: "pay_1", send: 2))
    }

    @Test("the confirming call is an intent: after a crash it is looked up, and a lagging status re-sends it only after the grace window")
    func confirmIntentAndLaggingStatus() {
        var lifecycle = PayoutLifecycle(payout: Self.payout(candidates: ["bank"]), attempts: [])
        _ = Self.expectCall(&lifecycle, 0)
        lifecycle.record(.create(.accepted(Self.snapshot(.awaitingConfirmation, .created))), Self.context(0))
        lifecycle = Self.reload(lifecycle)
        #expect(Self.expectCall(&lifecycle, 10) == .confirm(providerID: "bank", reference: "pay_1", providerPayoutID: "p-1"))
        #expect(lifecycle.currentAttempt?.phase == .confirming)
        // Crash: the stored intent leads to a lookup, not to a second payout-pay.
        lifecycle = Self.reload(lifecycle)
        guard case .lookup = Self.expectCall(&lifecycle, 5_000) else { return }
        lifecycle.record(.lookup(.found(Self.snapshot(.awaitingConfirmation, .created))), Self.context(5_000))
        lifecycle = Self.reload(lifecycle)
        guard case .lookup = Self.expectCall(&lifecycle, 6_000) else { return }
        lifecycle.record(.lookup(.found(Self.snapshot(.awaitingConfirmation, .created))), Self.context(6_000))
        #expect(lifecycle.currentAttempt?.phase == .confirmUnclear, "within the grace window the status may lag")
        lifecycle = Self.reload(lifecycle)
        guard case .lookup = Self.expectCall(&lifecycle, 11_000) else { return }
        lifecycle.record(.lookup(.found(Self.snapshot(.awaitingConfirmation, .created))), Self.context(11_000))
        #expect(lifecycle.currentAttempt?.phase == .confirmDue)
        lifecycle = Self.reload(lifecycle)
        guard case .confirm = Self.expectCall(&lifecycle, 11_001) else { return }
        #expect(lifecycle.currentAttempt?.confirmSends == 2)
    }

    @Test("a provider that accepted the confirming call but still waits for it gets it again after the grace window, at most 3 times, then the payout is parked")
    func acceptedConfirmNotActedOn() {
        var lifecycle = PayoutLifecycle(payout: Self.payout(candidates: ["jsonconfirm"]), attempts: [])
        _ = Self.expectCall(&lifecycle, 0)
        lifecycle.record(.create(.accepted(Self.snapshot(.awaitingConfirmation, .created))), Self.context(0))
        var now: Int64 = 10
        var confirms = 0
        for _ in 0..<40 {
            lifecycle = Self.reload(lifecycle)
            guard let call = Self.expectCall(&lifecycle, now) else { return }
            switch call {
            case .confirm:
                confirms += 1
                lifecycle.record(.confirm(.accepted(Self.snapshot(.processing, .processing))), Self.context(now))
            case .lookup:
                lifecycle.record(.lookup(.found(Self.snapshot(.awaitingConfirmation, .created))), Self.context(now))
            case .create:
                Issue.record("no create was due")
            }
            now = max(now + 1_000, lifecycle.payout.nextActionAt ?? now)
        }
        #expect(confirms == 3)
        #expect(lifecycle.status == .processPending)
        #expect(lifecycle.payout.pendingReason?.contains("confirming call") == true)
    }

    @Test("a confirming call refused because the check had not validated yet goes again once it validates")
    func confirmRefusedBeforeValidation() {
        var lifecycle = PayoutLifecycle(payout: Self.payout(candidates: ["bank"]), attempts: [])
        _ = Self.expectCall(&lifecycle, 0)
        lifecycle.record(.create(.accepted(Self.snapshot(.awaitingConfirmation, .created))), Self.context(0))
        lifecycle = Self.reload(lifecycle)
        guard case .confirm = Self.expectCall(&lifecycle, 10) else { return }
        lifecycle.record(.confirm(.rejected(reason: "Order is not validated for payout-pay")), Self.context(10))
        lifecycle = Self.reload(lifecycle)
        guard case .lookup = Self.expectCall(&lifecycle, 20) else { return }
        lifecycle.record(.lookup(.found(Self.snapshot(.checking, .processing))), Self.context(20))
        #expect(lifecycle.status != .processFailed)
        lifecycle = Self.reload(lifecycle)
        guard case .lookup = Self.expectCall(&lifecycle, 3_000) else { return }
        lifecycle.record(.lookup(.found(Self.snapshot(.awaitingConfirmation, .created))), Self.context(3_000))
        lifecycle = Self.reload(lifecycle)
        #expect(Self.expectCall(&lifecycle, 3_001) == .confirm(providerID: "bank", reference: "pay_1", providerPayoutID: "p-1"))
    }

    @Test("the confirming call leaves only after the merchant's /process")
    func confirmWaitsForProcess() {
        var lifecycle = PayoutLifecycle(payout: Self.payout(candidates: ["bank"], processRequested: false), attempts: [])
        _ = Self.expectCall(&lifecycle, 0)
        lifecycle.record(.create(.accepted(Self.snapshot(.awaitingConfirmation, .created))), Self.context(0))
        lifecycle = Self.reload(lifecycle)
        let waitAction = lifecycle.next(Self.context(10))
        #expect(waitAction == .commit)
        #expect(lifecycle.payout.nextActionAt == Self.settings.invoiceLifetimeMillis)
    }

    @Test("a provider that pays on create is not sent to before /process; the invoice expires unpaid")
    func directPayWaitsThenExpires() {
        var lifecycle = PayoutLifecycle(payout: Self.payout(candidates: ["json"], processRequested: false), attempts: [])
        let firstAction = lifecycle.next(Self.context(0))
        #expect(firstAction == .commit)
        #expect(lifecycle.attempts.isEmpty)
        lifecycle = Self.reload(lifecycle)
        let expiryAction = lifecycle.next(Self.context(Self.settings.invoiceLifetimeMillis))
        #expect(expiryAction == .commit)
        #expect(lifecycle.status == .expired)
        #expect(lifecycle.requiresNoProcessRequest, "an expiry must lose to a /process that landed meanwhile")
    }

    @Test("an invoice that expired while the provider waited for confirmation stays quiet when a callback nudges it")
    func expiredInvoiceIgnoresNudge() {
        var lifecycle = PayoutLifecycle(payout: Self.payout(candidates: ["bank"], processRequested: false), attempts: [])
        _ = Self.expectCall(&lifecycle, 0)
        lifecycle.record(.create(.accepted(Self.snapshot(.awaitingConfirmation, .created))), Self.context(0))
        lifecycle = Self.reload(lifecycle)
        _ = lifecycle.next(Self.context(Self.settings.invoiceLifetimeMillis))
        #expect(lifecycle.status == .expired)
        lifecycle = Self.reload(lifecycle)
        let nudged = lifecycle.next(Self.context(Self.settings.invoiceLifetimeMillis + 5_000))
        #expect(nudged == .commit)
        #expect(lifecycle.payout.nextActionAt == nil, "found by the simulation (seed 685): the nudge made the payout due forever")
    }

    @Test("failed lookups back off, doubling to the cap")
    func lookupBackoffDoubles() {
        var lifecycle = PayoutLifecycle(payout: Self.payout(candidates: ["paynet"]), attempts: [])
        _ = Self.expectCall(&lifecycle, 0)
        lifecycle.record(.create(.ambiguous(reason: "timeout")), Self.context(0))
        var delays: [Int64] = []
        var now: Int64 = 1_000
        for _ in 0..<8 {
            lifecycle = Self.reload(lifecycle)
            _ = Self.expectCall(&lifecycle, now)
            lifecycle.record(.lookup(.failed(reason: "answered 503")), Self.context(now))
            let next = lifecycle.payout.nextActionAt ?? now
            delays.append(next - now)
            now = next
        }
        #expect(delays[1] > delays[0] && delays[3] > delays[2], "delays: \(delays)")
        #expect(delays.last! <= Self.settings.lookupBackoffCapMillis * 6 / 5)
        #expect(delays.last! >= Self.settings.lookupBackoffCapMillis * 4 / 5)
    }

    @Test("a bank check that never validates is parked with a reason after the configured time")
    func bankCheckTimeout() {
        var lifecycle = PayoutLifecycle(payout: Self.payout(candidates: ["bank"]), attempts: [])
        _ = Self.expectCall(&lifecycle, 0)
        lifecycle.record(.create(.accepted(Self.snapshot(.checking, .processing))), Self.context(0))
        lifecycle = Self.reload(lifecycle)
        _ = Self.expectCall(&lifecycle, Self.settings.bankCheckTimeoutMillis + 1)
        lifecycle.record(.lookup(.found(Self.snapshot(.checking, .processing))), Self.context(Self.settings.bankCheckTimeoutMillis + 1))
        #expect(lifecycle.status == .processPending)
        #expect(lifecycle.payout.pendingReason?.contains("bank check") == true)
        #expect(lifecycle.payout.nextActionAt != nil, "it keeps being polled")
    }

    @Test("no new attempt starts at a provider whose breaker is open")
    func openBreakerSkipsCandidate() {
        var lifecycle = PayoutLifecycle(payout: Self.payout(candidates: ["paynet", "other"]), attempts: [])
        let skipAction = lifecycle.next(Self.context(0, unhealthy: ["paynet"]))
        #expect(skipAction == .call(.create(providerID: "other", reference: "pay_1", send: 1)))
        var waiting = PayoutLifecycle(payout: Self.payout(candidates: ["paynet"]), attempts: [])
        let waitingAction = waiting.next(Self.context(0, unhealthy: ["paynet"]))
        #expect(waitingAction == .commit)
        #expect(waiting.attempts.isEmpty)
    }

    @Test("a final status never goes back, except a success that is reversed")
    func finalStatusesHold() {
        #expect(!PayoutStatus.processFailed.allowsTransition(to: .processing))
        #expect(PayoutStatus.processed.allowsTransition(to: .canceling))
        #expect(PayoutStatus.processFailed.allowsTransition(to: .processed))
        #expect(!PayoutStatus.expired.allowsTransition(to: .canceled))
    }

    @Test("an operator may release only a parked attempt; the payout then goes to the next candidate")
    func operatorRelease() {
        var lifecycle = PayoutLifecycle(payout: Self.payout(candidates: ["paynet", "other"]), attempts: [])
        _ = Self.expectCall(&lifecycle, 0)
        let early = lifecycle.release(reason: "checked", Self.context(1))
        #expect(!early, "a call may be in flight")
        lifecycle.record(.create(.ambiguous(reason: "timeout")), Self.context(0))
        lifecycle = Self.reload(lifecycle)
        let released = lifecycle.release(reason: "provider confirmed by phone it has no such order", Self.context(2))
        #expect(released)
        lifecycle = Self.reload(lifecycle)
        #expect(Self.expectCall(&lifecycle, 3) == .create(providerID: "other", reference: "pay_1", send: 1))
    }
}
