import Foundation

/// Whether a provider is known to refuse a create that repeats a reference it already holds.
public enum RepeatedReference: String, Sendable, Codable, Hashable {
    /// Documented to refuse it (JSON:API answers 409): sending the same reference again cannot pay twice.
    case rejected
    /// Not documented (PaynetEasy v4 §8): a repeat might create a second payout, so an unclear create is never resent.
    case unknown
}

/// What the lifecycle needs to know about one provider, taken from the step's routing snapshot.
public struct ProviderTraits: Sendable, Hashable {
    public var needsConfirmation: Bool
    public var repeatedReference: RepeatedReference
    public var pollIntervalMillis: Int64
    /// The provider's own code for each gateway service (to check an adopted payout against ours), keyed by the
    /// gateway code, or by ``codeKey(service:currency:)`` where one currency has a code of its own.
    public var serviceCodes: [String: String]

    public static func codeKey(service: String, currency: String) -> String { service + "/" + currency }

    /// The provider's code of `service` in `currency`.
    public func serviceCode(service: String, currency: String) -> String {
        serviceCodes[Self.codeKey(service: service, currency: currency)] ?? serviceCodes[service] ?? service
    }

    public init(needsConfirmation: Bool, repeatedReference: RepeatedReference, pollIntervalMillis: Int64, serviceCodes: [String: String] = [:]) {
        self.needsConfirmation = needsConfirmation
        self.repeatedReference = repeatedReference
        self.pollIntervalMillis = pollIntervalMillis
        self.serviceCodes = serviceCodes
    }
}

/// Everything a lifecycle decision may depend on besides the payout itself: the time, the providers, the settings.
public struct LifecycleContext: Sendable {
    public var nowMillis: Int64
    public var providers: [String: ProviderTraits]
    /// Providers whose circuit breaker is open now: no new attempt starts there.
    public var unhealthy: Set<String>
    public var settings: EngineSettings

    public init(nowMillis: Int64, providers: [String: ProviderTraits], unhealthy: Set<String> = [], settings: EngineSettings) {
        self.nowMillis = nowMillis
        self.providers = providers
        self.unhealthy = unhealthy
        self.settings = settings
    }
}

/// Something operators must hear about (logged at error level and counted by the engine).
public struct LifecycleAlert: Sendable, Hashable {
    public enum Kind: String, Sendable, Hashable, CaseIterable {
        /// The payout a provider holds under our reference differs from ours.
        case adoptedMismatch = "adopted_mismatch"
        /// The provider answered "duplicate" for our reference, yet its lookups do not find it.
        case contradiction
        /// The payout is parked: it waits for an operator or for the provider to show it.
        case parked
        /// A provider paid a payout it had reported failed.
        case paidAfterFailure = "paid_after_failure"
    }

    public var kind: Kind
    public var message: String
}

/// The payout lifecycle as one pure value type: the stored payout and its attempts in, decisions out. It performs no
/// I/O and reads no clock; the engine loads it, asks ``next(_:)`` what to do, performs that one provider call,
/// books the answer with ``record(_:_:)`` and commits. Every rule of "a payout is never paid twice nor lost" lives here.
public struct PayoutLifecycle: Sendable {
    public private(set) var payout: PayoutRecord
    public private(set) var attempts: [AttemptRecord]
    public private(set) var events: [PayoutEventRecord] = []
    public private(set) var alerts: [LifecycleAlert] = []
    public private(set) var statusChanged = false
    /// Attempts changed by this step (only these are written).
    public private(set) var changedAttempts: Set<String> = []
    /// The step's commit must be refused if the merchant asked to process meanwhile (it expires the invoice).
    public private(set) var requiresNoProcessRequest = false

    public init(payout: PayoutRecord, attempts: [AttemptRecord]) {
        self.payout = payout
        self.attempts = attempts
    }

    /// One provider call. `create` and `confirm` can move money: the engine commits the lifecycle (the intent) before
    /// they leave. `lookup` only reads.
    public enum ProviderCall: Sendable, Hashable {
        case create(providerID: String, reference: String, send: Int64)
        case confirm(providerID: String, reference: String, providerPayoutID: String)
        case lookup(providerID: String, reference: String, providerPayoutID: String?)

        public var providerID: String {
            switch self {
            case .create(let id, _, _), .confirm(let id, _, _), .lookup(let id, _, _): return id
            }
        }

        public var movesMoney: Bool {
            if case .lookup = self { return false }
            return true
        }
    }

    /// What the engine does next.
    public enum Action: Sendable, Hashable {
        /// Commit (keeping the lease when the call moves money), perform the call, then ``record(_:_:)`` its answer.
        case call(ProviderCall)
        /// Commit and release the lease; the payout is due again at `payout.nextActionAt` (nil: never).
        case commit
    }

    /// A provider call's answer.
    public enum CallResult: Sendable, Hashable {
        case create(SubmitOutcome)
        case confirm(SubmitOutcome)
        case lookup(LookupOutcome)
    }

    public var currentAttempt: AttemptRecord? { attempts.last }

    /// After a commit: the written state is the new starting point (nothing is written twice).
    public mutating func committed(updatedMs: Int64) {
        payout.updatedMs = updatedMs
        events = []
        alerts = []
        statusChanged = false
        changedAttempts = []
        requiresNoProcessRequest = false
    }
    public var status: PayoutStatus { payout.payoutStatus }

    // MARK: Deciding

    /// Decides the step: a provider call, or only a commit (waiting, expiring, failing, parking).
    public mutating func next(_ context: LifecycleContext) -> Action {
        let now = context.nowMillis
        // Rule: an invoice never asked to process expires after its lifetime. Nothing was paid: a provider that pays
        // on create is never sent to before /process, and a confirming provider is never confirmed without it.
        if !payout.processRequested, status == .created, now >= payout.createdMs + context.settings.invoiceLifetimeMillis {
            requiresNoProcessRequest = true
            setStatus(.expired, resolution: "operation_expired", context)
            return .commit
        }
        guard let index = attempts.indices.last else {
            // Rule: a final payout that never reached a provider is never sent anywhere.
            if status.isFinal {
                payout.nextActionAt = nil
                return .commit
            }
            return startNextAttempt(context)
        }
        let attempt = attempts[index]
        if attempt.phase == .notCreated {
            if status.isFinal {
                payout.nextActionAt = nil
                return .commit
            }
            return startNextAttempt(context)
        }
        guard let traits = context.providers[attempt.providerId] else {
            // Rule: a provider that left routes.json keeps its payout; the gateway waits, never guesses.
            payout.pendingReason = "provider \(attempt.providerId) is not configured"
            schedule(after: context.settings.lookupBackoffCapMillis, context)
            return .commit
        }
        if status.isFinal, attempt.phase == .held, attempt.confirmSends == 0, traits.needsConfirmation,
           attempt.providerOutcome == .awaitingConfirmation {
            // Rule: an invoice that ended (expired) while the provider waited for the confirming call never gets one;
            // a callback that nudges it changes nothing.
            payout.nextActionAt = nil
            return .commit
        }
        switch attempt.phase {
        case .held:
            if traits.needsConfirmation, attempt.providerOutcome == .awaitingConfirmation, attempt.confirmSends == 0 {
                guard payout.processRequested else {
                    // Rule: the confirming call leaves only after the merchant's /process.
                    payout.nextActionAt = payout.createdMs + context.settings.invoiceLifetimeMillis
                    return .commit
                }
                if let call = beginConfirm(index, context) { return .call(call) }
            }
            return .call(lookupCall(attempt))
        case .confirmDue:
            if let call = beginConfirm(index, context) { return .call(call) }
            return .call(lookupCall(attempt))
        case .resendDue:
            return beginResend(index, context)
        case .creating, .unclear, .confirming, .confirmUnclear, .confirmRefused, .final:
            // Rule: after a crash, a lost lease or an unclear answer, the provider is asked before anything is repeated.
            return .call(lookupCall(attempt))
        case .notCreated:
            return startNextAttempt(context)
        }
    }

    /// Starts an attempt at the first untried, configured, healthy candidate, or ends the payout when none is left.
    mutating func startNextAttempt(_ context: LifecycleContext) -> Action {
        let decision = payout.decision.flatMap(RouteDecision.parse)
        let tried = Set(attempts.map(\.providerId))
        // Rule: the next provider is tried only when every send to the previous one got a definite "not created".
        let mayFailOver = attempts.isEmpty || decision?.failover != false
        let untried = (decision?.candidates ?? []).filter { !tried.contains($0) }
        guard mayFailOver, !untried.isEmpty else {
            setStatus(.processFailed, resolution: attempts.last?.resolution ?? "no provider accepted the payout", context)
            return .commit
        }
        let configured = untried.filter { context.providers[$0] != nil }
        guard let providerID = configured.first(where: { !context.unhealthy.contains($0) }) else {
            payout.pendingReason = configured.isEmpty
                ? "provider \(untried[0]) is not configured"
                : "every remaining provider is unavailable (circuit open)"
            schedule(after: context.settings.lookupBackoffMillis * 4, context)
            return .commit
        }
        let traits = context.providers[providerID]!
        if !traits.needsConfirmation, !payout.processRequested {
            // Rule: a provider that pays on create is sent to only after the merchant's /process.
            payout.nextActionAt = payout.createdMs + context.settings.invoiceLifetimeMillis
            return .commit
        }
        guard payout.fieldsSealed != nil else {
            setStatus(.processFailed, resolution: "destination fields are no longer available", context)
            return .commit
        }
        let number = Int64(attempts.count + 1)
        let now = context.nowMillis
        // The id follows the payout's (time-ordered, see `Identifier.timeOrdered`) and the number: the same on a
        // recomputed step, and new attempts land together in the store's index.
        let attempt = AttemptRecord(
            id: "att_" + payout.id + "_" + String(number), payoutId: payout.id, providerId: providerID,
            number: number, reference: payout.id, state: AttemptPhase.creating.rawValue, providerPayoutId: nil,
            providerStatus: nil, serialNumber: nil, outcome: nil, resolution: nil, confirmSent: false, lookupMisses: 0,
            sends: 1, detail: nil, createdMs: now, updatedMs: now, unclearSends: 1)
        attempts.append(attempt)
        changedAttempts.insert(attempt.id)
        payout.providerId = providerID
        payout.pendingReason = nil
        if payout.processRequested, !status.isFinal { setStatus(.processing, resolution: "ok", context) }
        addEvent("attempt_started", ["provider_id": .string(providerID), "attempt": .number(Decimal(number))], context)
        // After a crash the payout is due again once the lease expires, and then it is looked up.
        payout.nextActionAt = now
        return .call(.create(providerID: providerID, reference: attempt.reference, send: 1))
    }

    /// Records a repeated create (same reference) as about to leave.
    mutating func beginResend(_ index: Int, _ context: LifecycleContext) -> Action {
        guard payout.fieldsSealed != nil else {
            return park(index, "destination fields are no longer available to send again", context)
        }
        update(index, context) { attempt in
            attempt.phase = .creating
            attempt.sends += 1
            attempt.unclearSends += 1
            attempt.lookupMisses = 0
            attempt.absentSinceMs = nil
        }
        let attempt = attempts[index]
        addEvent("create_resend", ["provider_id": .string(attempt.providerId), "send": .number(Decimal(attempt.sends))], context)
        payout.nextActionAt = context.nowMillis
        return .call(.create(providerID: attempt.providerId, reference: attempt.reference, send: attempt.sends))
    }

    /// Records a confirming call as about to leave; nil when it cannot be sent (no provider id yet, or too many sent).
    mutating func beginConfirm(_ index: Int, _ context: LifecycleContext) -> ProviderCall? {
        let attempt = attempts[index]
        guard let providerPayoutID = attempt.providerPayoutId else { return nil }
        guard attempt.confirmSends < context.settings.maxConfirmSends else {
            _ = park(index, "the provider still waits for the confirming call after \(attempt.confirmSends) sends", context)
            return nil
        }
        update(index, context) { attempt in
            attempt.phase = .confirming
            attempt.confirmSends += 1
            attempt.confirmSent = true
            attempt.absentSinceMs = nil
        }
        if !status.isFinal { setStatus(.processing, resolution: "ok", context) }
        addEvent("confirm_intent", ["provider_id": .string(attempt.providerId), "send": .number(Decimal(attempt.confirmSends + 1))], context)
        payout.nextActionAt = context.nowMillis
        return .confirm(providerID: attempt.providerId, reference: attempt.reference, providerPayoutID: providerPayoutID)
    }

    func lookupCall(_ attempt: AttemptRecord) -> ProviderCall {
        .lookup(providerID: attempt.providerId, reference: attempt.reference, providerPayoutID: attempt.providerPayoutId)
    }

    // MARK: Booking answers

    /// Books the answer to the call that ``next(_:)`` asked for.
    public mutating func record(_ result: CallResult, _ context: LifecycleContext) {
        guard let index = attempts.indices.last else { return }
        switch result {
        case .create(let outcome):
            addEvent("provider_submit", ["provider_id": .string(attempts[index].providerId), "outcome": .string(Self.describe(outcome))], context)
            recordCreate(outcome, index, context)
        case .confirm(let outcome):
            addEvent("provider_confirm", ["provider_id": .string(attempts[index].providerId), "outcome": .string(Self.describe(outcome))], context)
            recordConfirm(outcome, index, context)
        case .lookup(let outcome):
            if attempts[index].phase != .held && attempts[index].phase != .final {
                addEvent("provider_lookup", ["provider_id": .string(attempts[index].providerId), "outcome": .string(Self.describe(outcome))], context)
            }
            recordLookup(outcome, index, context)
        }
    }

    mutating func recordCreate(_ outcome: SubmitOutcome, _ index: Int, _ context: LifecycleContext) {
        switch outcome {
        case .accepted(let snapshot):
            update(index, context) { attempt in
                attempt.phase = .held
                attempt.lookupMisses = 0
                attempt.absentSinceMs = nil
            }
            apply(snapshot, index, context)
        case .rejected(let reason):
            definitelyNotCreated(reason, unreachable: false, index, context)
        case .notSent(let reason):
            definitelyNotCreated("unreachable: \(reason)", unreachable: true, index, context)
        case .duplicate:
            // Rule: "duplicate / already exists" for our reference means the provider may hold the payout: bound to it.
            update(index, context) { attempt in
                attempt.phase = .unclear
                attempt.duplicateSeen = true
                attempt.lookupMisses = 0
            }
            payout.pendingReason = "the provider reports our reference as existing; looking it up"
            schedule(after: 0, context)
        case .ambiguous(let reason, let retryAfter):
            update(index, context) { attempt in
                attempt.phase = .unclear
                attempt.lookupMisses = 0
            }
            payout.pendingReason = "provider answer unclear: \(reason)"
            schedule(after: max(context.settings.ambiguousLookupDelayMillis, retryAfter ?? 0), context)
        }
    }

    /// This send definitely did not create the payout. Only when no send to this provider was unclear may the payout
    /// leave it.
    mutating func definitelyNotCreated(_ reason: String, unreachable: Bool, _ index: Int, _ context: LifecycleContext) {
        update(index, context) { attempt in
            attempt.unclearSends = max(0, attempt.unclearSends - 1)
        }
        let attempt = attempts[index]
        if attempt.unclearSends > 0 || attempt.duplicateSeen {
            // Rule: a 422 or a refused connection on a resend says nothing about the earlier send.
            update(index, context) { $0.phase = .unclear }
            payout.pendingReason = "a repeated create was refused (\(reason)); an earlier send may have created the payout"
            schedule(after: backoff(attempt.lookupFailures + 1, context), context)
            return
        }
        if unreachable, !hasOtherCandidate(context) {
            // Nothing reached the provider and no other provider may take the payout: send again after a back-off.
            update(index, context) { attempt in
                attempt.phase = .resendDue
                attempt.resolution = reason
            }
            payout.pendingReason = "provider \(reason)"
            schedule(after: backoff(attempt.sends, context), context)
            return
        }
        update(index, context) { attempt in
            attempt.phase = .notCreated
            attempt.resolution = reason
        }
        schedule(after: 0, context)
    }

    mutating func recordConfirm(_ outcome: SubmitOutcome, _ index: Int, _ context: LifecycleContext) {
        switch outcome {
        case .accepted(let snapshot):
            update(index, context) { attempt in
                attempt.phase = .held
                attempt.absentSinceMs = nil
            }
            apply(snapshot, index, context)
        case .rejected(let reason):
            // The provider holds the payout but refused to pay it: a lookup decides whether it failed.
            update(index, context) { attempt in
                attempt.phase = .confirmRefused
                attempt.resolution = reason
            }
            schedule(after: 0, context)
        case .notSent(let reason):
            // Never connected: the confirming call did not leave; it may be sent again.
            update(index, context) { attempt in
                attempt.phase = .held
                attempt.confirmSends = max(0, attempt.confirmSends - 1)
                attempt.confirmSent = attempt.confirmSends > 0
                attempt.lookupFailures += 1
            }
            payout.pendingReason = "provider \(reason)"
            schedule(after: backoff(attempts[index].lookupFailures, context), context)
        case .duplicate, .ambiguous:
            update(index, context) { attempt in
                attempt.phase = .confirmUnclear
                attempt.absentSinceMs = nil
            }
            var delay = context.settings.ambiguousLookupDelayMillis
            if case .ambiguous(let reason, let retryAfter) = outcome {
                payout.pendingReason = "confirming call unclear: \(reason)"
                delay = max(delay, retryAfter ?? 0)
            }
            schedule(after: delay, context)
        }
    }

    mutating func recordLookup(_ outcome: LookupOutcome, _ index: Int, _ context: LifecycleContext) {
        let now = context.nowMillis
        let attempt = attempts[index]
        switch outcome {
        case .found(let snapshot):
            update(index, context) { attempt in
                attempt.lookupMisses = 0
                attempt.lookupFailures = 0
            }
            switch attempt.phase {
            case .creating, .unclear, .resendDue:
                update(index, context) { attempt in
                    attempt.phase = .held
                    attempt.absentSinceMs = nil
                }
                if let fields = mismatch(snapshot, attempt: attempt, context) {
                    alerts.append(LifecycleAlert(kind: .adoptedMismatch, message: "adopted provider payout differs from ours: \(fields)"))
                    addEvent("adopted_mismatch", ["provider_id": .string(attempt.providerId), "fields": .string(fields)], context)
                }
                apply(snapshot, index, context)
            case .held where attempt.confirmSends == 0, .final, .notCreated:
                apply(snapshot, index, context)
            case .confirming, .confirmUnclear, .confirmDue, .held:
                // (`held` after an accepted confirming call: the provider said it took it, yet may not have acted.)
                guard snapshot.outcome == .awaitingConfirmation else {
                    update(index, context) { attempt in
                        attempt.phase = .held
                        attempt.absentSinceMs = nil
                    }
                    apply(snapshot, index, context)
                    return
                }
                // Rule: the provider still shows the payout waiting for confirmation. The confirming call may not have
                // arrived, or the status lags: it is sent again only after the grace window, never at once.
                let since = attempt.absentSinceMs ?? now
                update(index, context) { attempt in
                    attempt.providerStatus = snapshot.rawStatus
                    attempt.absentSinceMs = since
                    if attempt.phase == .confirming { attempt.phase = .confirmUnclear }
                }
                if attempt.phase == .held { update(index, context) { $0.phase = .confirmUnclear } }
                if attempt.absentSinceMs != nil, now - since >= context.settings.absenceGraceMillis {
                    if attempt.confirmSends < context.settings.maxConfirmSends {
                        update(index, context) { $0.phase = .confirmDue }
                        schedule(after: 0, context)
                    } else {
                        _ = park(index, "the provider still waits for the confirming call after \(attempt.confirmSends) sends", context)
                    }
                } else {
                    schedule(after: context.settings.absenceGraceMillis, context)
                }
            case .confirmRefused:
                if snapshot.outcome == .awaitingConfirmation {
                    update(index, context) { $0.phase = .final }
                    setStatus(.processFailed, resolution: attempt.resolution ?? "process refused", context)
                } else {
                    update(index, context) { attempt in
                        attempt.phase = .held
                        if snapshot.outcome == .checking {
                            // Refused because the bank check had not validated yet (a lagging status let it go early):
                            // the refusal was definite, so the confirming call goes again once it validates.
                            attempt.confirmSends = max(0, attempt.confirmSends - 1)
                            attempt.confirmSent = attempt.confirmSends > 0
                        }
                    }
                    apply(snapshot, index, context)
                }
            }
        case .absent:
            update(index, context) { attempt in
                attempt.lookupMisses += 1
                attempt.lookupFailures = 0
                if attempt.absentSinceMs == nil { attempt.absentSinceMs = now }
            }
            let current = attempts[index]
            switch current.phase {
            case .creating, .unclear, .resendDue:
                absentAfterCreate(current, index, context)
            default:
                // The provider no longer finds a payout it had: never sent again; looked up with back-off.
                payout.pendingReason = "provider no longer finds the payout"
                if current.lookupMisses >= 3 {
                    _ = park(index, "provider no longer finds the payout it had", context)
                } else {
                    schedule(after: backoff(current.lookupMisses, context), context)
                }
            }
        case .failed(let reason):
            update(index, context) { $0.lookupFailures += 1 }
            let current = attempts[index]
            payout.pendingReason = "status unknown: \(reason)"
            if current.phase != .held, current.phase != .final, payout.processRequested, !status.isFinal,
               now - current.createdMs > context.settings.absenceGraceMillis * 4 {
                setStatus(.processPending, resolution: "ok", context)
            }
            schedule(after: backoff(current.lookupFailures, context), context)
        }
    }

    /// The provider does not find the payout after a create whose answer was unclear.
    mutating func absentAfterCreate(_ attempt: AttemptRecord, _ index: Int, _ context: LifecycleContext) {
        let now = context.nowMillis
        let settings = context.settings
        if attempt.unclearSends == 0, !attempt.duplicateSeen {
            // Every send was definitely refused or never connected: nothing can be there.
            update(index, context) { $0.phase = .resendDue }
            schedule(after: 0, context)
            return
        }
        if attempt.duplicateSeen {
            // Rule: "absent" on lookup and "duplicate" on create contradict each other: the provider may hold the
            // payout. It waits for an operator; it never moves on by itself.
            let reason = "the provider answered duplicate for our reference but its lookups do not find it; check with the provider before releasing"
            if payout.pendingReason != reason {
                alerts.append(LifecycleAlert(kind: .contradiction, message: reason))
            }
            _ = park(index, reason, context)
            return
        }
        let traits = context.providers[attempt.providerId]
        guard traits?.repeatedReference == .rejected else {
            // Rule: a provider not known to refuse a repeated reference never gets an unclear create again.
            _ = park(index, "the provider does not find the payout after an unclear create and may still hold it; it is not sent again (repeated_reference: unknown)", context)
            return
        }
        let since = attempt.absentSinceMs ?? now
        if attempt.lookupMisses < 2 || now - since < settings.absenceGraceMillis {
            payout.pendingReason = "waiting for the provider to show the payout"
            schedule(after: settings.absenceGraceMillis, context)
            return
        }
        guard attempt.sends < settings.maxSendsPerProvider else {
            _ = park(index, "not found after \(attempt.sends) sends whose answers were unclear; it stays with this provider", context)
            return
        }
        // Absent twice across the grace window, and the provider refuses a repeated reference: send again.
        update(index, context) { $0.phase = .resendDue }
        schedule(after: 0, context)
    }

    /// Parks the payout: `process_pending` (once the merchant asked to process) with a reason, looked up with back-off.
    mutating func park(_ index: Int, _ reason: String, _ context: LifecycleContext) -> Action {
        if payout.pendingReason != reason {
            alerts.append(LifecycleAlert(kind: .parked, message: reason))
            addEvent("parked", ["reason": .string(reason)], context)
        }
        payout.pendingReason = reason
        if payout.processRequested, !status.isFinal, status != .processPending {
            setStatus(.processPending, resolution: "ok", context, keepReason: true)
        }
        let attempt = attempts[index]
        schedule(after: backoff(max(attempt.lookupMisses, attempt.lookupFailures, 1), context), context)
        return .commit
    }

    // MARK: Applying a provider status

    /// Books what the provider said: attempt fields, the merchant status, and the next action.
    mutating func apply(_ snapshot: ProviderSnapshot, _ index: Int, _ context: LifecycleContext) {
        let now = context.nowMillis
        update(index, context) { attempt in
            attempt.providerStatus = snapshot.rawStatus
            attempt.outcome = snapshot.outcome.rawValue
            if let id = snapshot.providerPayoutID { attempt.providerPayoutId = id }
            if let serial = snapshot.serialNumber { attempt.serialNumber = serial }
            if let resolution = snapshot.resolution { attempt.resolution = resolution }
        }
        if let redirect = snapshot.redirectURL { payout.redirectUrl = redirect }
        payout.pendingReason = nil
        let attempt = attempts[index]
        let traits = context.providers[attempt.providerId]
        let poll = pollInterval(traits, attempt, context)
        switch snapshot.outcome {
        case .awaitingConfirmation:
            if traits?.needsConfirmation == true, attempt.confirmSends == 0 {
                if payout.processRequested {
                    schedule(after: 0, context)
                } else {
                    payout.nextActionAt = payout.createdMs + context.settings.invoiceLifetimeMillis
                }
            } else {
                schedule(after: poll, context)
            }
        case .checking:
            // The bank check runs; the merchant sees processing only once it asked to process.
            if payout.processRequested, status == .created { setStatus(.processing, resolution: "ok", context) }
            schedule(after: poll, context)
            if attempt.confirmSends == 0, now - attempt.createdMs >= context.settings.bankCheckTimeoutMillis {
                // Rule: a bank check that never validates is parked with a reason (it keeps being polled).
                _ = park(index, "the bank check has not validated after \((now - attempt.createdMs) / 1000) s", context)
                schedule(after: poll, context)
            }
        case .processing:
            setStatus(.processing, resolution: snapshot.resolution ?? "ok", context)
            schedule(after: poll, context)
        case .pending:
            setStatus(snapshot.merchantStatus, resolution: snapshot.resolution ?? "ok", context)
            schedule(after: poll, context)
        case .succeeded:
            update(index, context) { $0.phase = .final }
            if !status.isFinal || status != snapshot.merchantStatus {
                payout.processedAt = payout.processedAt ?? now / 1000
                payout.processedAmountMinor = snapshot.processedAmountMinor ?? payout.amountMinor
            }
            setStatus(snapshot.merchantStatus, resolution: snapshot.resolution ?? "ok", context)
            if snapshot.merchantStatus.isFinal { payout.nextActionAt = nil } else { schedule(after: poll, context) }
        case .failed:
            update(index, context) { $0.phase = .final }
            setStatus(snapshot.merchantStatus, resolution: snapshot.resolution ?? "process_failed", context)
            payout.nextActionAt = nil
        case .reversed:
            update(index, context) { $0.phase = .final }
            setStatus(.canceled, resolution: snapshot.resolution ?? "canceled", context)
            payout.nextActionAt = nil
        }
    }

    // MARK: Operators

    /// An operator checked with the provider by hand that a parked attempt holds no payout: the attempt counts as not
    /// created, and the payout may go to the next candidate. Refused while a call may be in flight or the provider holds it.
    public mutating func release(reason: String, _ context: LifecycleContext) -> Bool {
        guard let index = attempts.indices.last else { return false }
        switch attempts[index].phase {
        case .unclear, .resendDue:
            break
        default:
            return false
        }
        update(index, context) { attempt in
            attempt.phase = .notCreated
            attempt.unclearSends = 0
            attempt.resolution = "released by an operator: \(reason)"
        }
        addEvent("released_by_operator", ["provider_id": .string(attempts[index].providerId), "reason": .string(reason)], context)
        payout.pendingReason = nil
        if status == .processPending { setStatus(.processing, resolution: "ok", context) }
        schedule(after: 0, context)
        return true
    }

    /// The destination fields could not be opened to build a create (the request never left).
    public mutating func requestUnavailable(_ reason: String, _ context: LifecycleContext) {
        payout.pendingReason = reason
        let sentBefore = attempts.contains { $0.unclearSends > 0 || $0.phase == .held || $0.phase == .final }
        if !sentBefore {
            setStatus(.processFailed, resolution: "destination fields are no longer available", context)
        } else {
            schedule(after: context.settings.lookupBackoffCapMillis, context)
        }
    }

    // MARK: Helpers

    mutating func update(_ index: Int, _ context: LifecycleContext, _ change: (inout AttemptRecord) -> Void) {
        change(&attempts[index])
        attempts[index].updatedMs = context.nowMillis
        changedAttempts.insert(attempts[index].id)
    }

    func hasOtherCandidate(_ context: LifecycleContext) -> Bool {
        let decision = payout.decision.flatMap(RouteDecision.parse)
        guard decision?.failover != false else { return false }
        let tried = Set(attempts.map(\.providerId))
        return decision?.candidates.contains(where: { !tried.contains($0) && context.providers[$0] != nil }) ?? false
    }

    mutating func setStatus(_ next: PayoutStatus, resolution: String, _ context: LifecycleContext, keepReason: Bool = false) {
        let current = status
        guard current != next || payout.resolution != resolution else { return }
        if current.isFailure, next.isPaid {
            alerts.append(LifecycleAlert(kind: .paidAfterFailure, message: "provider paid a payout it had reported failed"))
        }
        // Rule: a final status never goes back, except a success that is reversed.
        guard current.allowsTransition(to: next) else { return }
        payout.status = next.rawValue
        payout.resolution = resolution
        statusChanged = true
        addEvent("status_changed", ["from": .string(current.rawValue), "to": .string(next.rawValue), "resolution": .string(resolution)], context)
        if next.isFinal {
            payout.nextActionAt = nil
            payout.pendingReason = nil
        }
    }

    mutating func schedule(after millis: Int64, _ context: LifecycleContext) {
        payout.nextActionAt = context.nowMillis + max(0, millis)
    }

    mutating func addEvent(_ kind: String, _ detail: [String: JSONValue], _ context: LifecycleContext) {
        events.append(PayoutEventRecord(payoutId: payout.id, atMs: context.nowMillis, kind: kind, detail: JSONCoding.encodeString(JSONValue.object(detail))))
    }

    /// The provider's interval while the attempt is young, then the engine's back-off schedule by age.
    func pollInterval(_ traits: ProviderTraits?, _ attempt: AttemptRecord, _ context: LifecycleContext) -> Int64 {
        let age = context.nowMillis - attempt.createdMs
        var interval = traits?.pollIntervalMillis ?? 3_000
        for step in context.settings.backoffSchedule where age >= step.olderThanMillis {
            interval = max(interval, step.intervalMillis)
        }
        return interval
    }

    /// Doubling back-off from the engine's base to its cap, with ±20 % jitter drawn from the payout id and the count
    /// (deterministic, yet payouts do not retry in lockstep).
    func backoff(_ count: Int64, _ context: LifecycleContext) -> Int64 {
        let settings = context.settings
        let exponent = min(max(count - 1, 0), 20)
        let base = min(settings.lookupBackoffMillis << exponent, settings.lookupBackoffCapMillis)
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in payout.id.utf8 { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
        hash = (hash ^ UInt64(bitPattern: count)) &* 0x100_0000_01b3
        let span = base / 5
        guard span > 0 else { return base }
        return base - span + Int64(hash % UInt64(2 * span + 1))
    }

    /// Which of amount, currency and service differ between a provider's payout and ours (nil when none do).
    func mismatch(_ snapshot: ProviderSnapshot, attempt: AttemptRecord, _ context: LifecycleContext) -> String? {
        var fields: [String] = []
        if let amount = snapshot.amountMinor, amount != payout.amountMinor { fields.append("amount") }
        if let currency = snapshot.currency, currency != payout.currency { fields.append("currency") }
        if let service = snapshot.service {
            let ours = context.providers[attempt.providerId]?.serviceCode(service: payout.service, currency: payout.currency) ?? payout.service
            if service != ours { fields.append("service") }
        }
        return fields.isEmpty ? nil : fields.joined(separator: ",")
    }

    public static func describe(_ outcome: SubmitOutcome) -> String {
        switch outcome {
        case .accepted(let snapshot): return "accepted \(snapshot.rawStatus)"
        case .rejected(let reason): return "rejected: \(reason)"
        case .duplicate: return "duplicate"
        case .ambiguous(let reason, _): return "ambiguous: \(reason)"
        case .notSent(let reason): return "not sent: \(reason)"
        }
    }

    public static func describe(_ outcome: LookupOutcome) -> String {
        switch outcome {
        case .found(let snapshot): return "found \(snapshot.rawStatus)"
        case .absent: return "absent"
        case .failed(let reason): return "failed: \(reason)"
        }
    }
}
