import HTTPTypes
import Foundation
import Logging

/// Drives one leased payout one step forward: route, send, confirm, look up, and book the outcome.
///
/// Rules (the providers' own directives): an attempt is stored before its request leaves; an ambiguous
/// answer is resolved by a lookup by our reference, and a create is sent again only when the provider
/// confirmed twice, a grace window apart, that it has no such payout; a 409 adopts the existing payout;
/// a definite "not created" lets the next candidate take the payout.
struct PayoutStepper: Sendable {
    let store: any PayoutStore
    let runtime: GatewayRuntime
    let sealer: FieldSealer
    let settings: EngineSettings
    let owner: String
    let logger: Logger

    /// Mutable working copy of one step's writes.
    struct Work {
        var payout: PayoutRecord
        var attempts: [AttemptRecord] = []
        var events: [PayoutEventRecord] = []
        var statusChanged = false
    }

    func step(_ payout: PayoutRecord) async throws {
        let snapshot = runtime.snapshot
        let attempts = try await store.attempts(payoutId: payout.id)
        var work = Work(payout: payout)
        let current = attempts.last

        // An invoice never asked to process expires after its lifetime; no confirming call was ever sent for it.
        if !payout.processRequested, payout.status == PayoutStatus.created,
           Clock.nowMillis() >= payout.createdMs + settings.invoiceLifetimeMillis {
            setStatus(&work, "expired", resolution: "operation_expired")
            try await finish(work)
            return
        }
        // A final payout that never reached a provider is never sent anywhere.
        if PayoutStatus.isFinal(payout.status), current == nil {
            work.payout.nextActionAt = nil
            try await finish(work)
            return
        }

        if let current, current.attemptState != .rejected {
            guard let adapter = snapshot.adapters[current.providerId] else {
                // The provider left routes.json: keep the payout and retry later; never guess.
                work.payout.pendingReason = "provider \(current.providerId) is not configured"
                schedule(&work, after: settings.lookupBackoffCapMillis)
                try await finish(work)
                return
            }
            try await advance(&work, attempt: current, adapter: adapter)
        } else {
            try await startNextAttempt(&work, previous: attempts, snapshot: snapshot)
        }
    }

    // MARK: Starting an attempt

    func startNextAttempt(_ work: inout Work, previous: [AttemptRecord], snapshot: GatewayRuntime.Snapshot) async throws {
        let now = Clock.nowMillis()
        let decision = work.payout.decision.flatMap { try? JSONCoding.decode(RouteDecision.self, from: $0) }
        let tried = Set(previous.map(\.providerId))
        let lastReason = previous.last?.resolution
        let mayFailOver = previous.isEmpty || decision?.failover != false
        guard mayFailOver, let providerID = decision?.candidates.first(where: { !tried.contains($0) }) else {
            setStatus(&work, PayoutStatus.processFailed, resolution: lastReason ?? "no provider accepted the payout")
            try await finish(work)
            return
        }
        guard let adapter = snapshot.adapters[providerID], let provider = snapshot.table.providers[providerID] else {
            work.payout.pendingReason = "provider \(providerID) is not configured"
            schedule(&work, after: settings.lookupBackoffCapMillis)
            try await finish(work)
            return
        }
        if !adapter.needsConfirmation && !work.payout.processRequested {
            // This provider pays on create: wait for the merchant's /process.
            work.payout.nextActionAt = work.payout.createdMs + settings.invoiceLifetimeMillis
            try await finish(work)
            return
        }
        guard let request = try makeRequest(work.payout, provider: provider, reference: work.payout.id) else {
            setStatus(&work, PayoutStatus.processFailed, resolution: "destination fields are no longer available")
            try await finish(work)
            return
        }
        var attempt = AttemptRecord(
            id: Identifier.make("att_"), payoutId: work.payout.id, providerId: providerID,
            number: Int64(previous.count + 1), reference: work.payout.id, state: AttemptState.sending.rawValue,
            providerPayoutId: nil, providerStatus: nil, serialNumber: nil, outcome: nil, resolution: nil, confirmSent: false,
            lookupMisses: 0, sends: 1, detail: nil, createdMs: now, updatedMs: now)
        work.payout.providerId = providerID
        if work.payout.processRequested, !PayoutStatus.isFinal(work.payout.status) {
            setStatus(&work, PayoutStatus.processing, resolution: "ok")
        }
        work.events.append(event(work.payout.id, "attempt_started", ["provider_id": .string(providerID), "attempt": .number(Decimal(attempt.number))]))
        // Stored before the request leaves: a crash from here on is resolved by lookup, never by a blind resend.
        work.payout.nextActionAt = now + settings.leaseMillis
        work.attempts = [attempt]
        guard try await commit(work, keepLease: true) else { return }
        work = Work(payout: work.payout)

        let outcome = await adapter.submit(request)
        recordHealth(providerID, outcome)
        GatewayMetrics.providerCall(providerID, call: "submit", outcome: Self.kind(outcome))
        work.events.append(event(work.payout.id, "provider_submit", ["provider_id": .string(providerID), "outcome": .string(describe(outcome))]))
        try await applySubmit(&work, attempt: &attempt, outcome: outcome, adapter: adapter, hasOtherCandidates: hasOtherCandidates(work.payout, tried: tried.union([providerID])))
    }

    func hasOtherCandidates(_ payout: PayoutRecord, tried: Set<String>) -> Bool {
        let decision = payout.decision.flatMap { try? JSONCoding.decode(RouteDecision.self, from: $0) }
        return decision?.candidates.contains(where: { !tried.contains($0) }) ?? false
    }

    func makeRequest(_ payout: PayoutRecord, provider: ProviderConfig, reference: String) throws -> ProviderPayoutRequest? {
        guard let sealed = payout.fieldsSealed, let currency = Currency(code: payout.currency) else { return nil }
        let fields = try sealer.openFields(sealed)
        let mapping = provider.services[payout.service]
        var providerFields: [String: String] = [:]
        for (key, value) in fields { providerFields[mapping?.fieldMap?[key] ?? key] = value }
        return ProviderPayoutRequest(
            reference: reference, service: mapping?.code ?? payout.service, currency: currency,
            amountMinor: payout.amountMinor, fields: providerFields, description: payout.description,
            testMode: payout.testMode || provider.testMode,
            callbackURL: settings.publicBaseURL + "/callbacks/" + provider.id,
            autoProcess: provider.autoProcess)
    }

    // MARK: Advancing an attempt

    func advance(_ work: inout Work, attempt current: AttemptRecord, adapter: any ProviderAdapter) async throws {
        var attempt = current
        switch attempt.attemptState {
        case .sending, .ambiguous:
            try await resolveByLookup(&work, attempt: &attempt, adapter: adapter)
        case .created:
            if adapter.needsConfirmation, !attempt.confirmSent, attempt.outcome == ProviderOutcome.awaitingConfirmation.rawValue {
                guard work.payout.processRequested else {
                    work.payout.nextActionAt = work.payout.createdMs + settings.invoiceLifetimeMillis
                    work.attempts = [attempt]
                    try await finish(work)
                    return
                }
                guard let providerPayoutID = attempt.providerPayoutId else {
                    try await resolveByLookup(&work, attempt: &attempt, adapter: adapter)
                    return
                }
                attempt.confirmSent = true
                if !PayoutStatus.isFinal(work.payout.status) { setStatus(&work, PayoutStatus.processing, resolution: "ok") }
                guard let currency = Currency(code: work.payout.currency) else { return }
                let outcome = await adapter.confirm(reference: attempt.reference, providerPayoutID: providerPayoutID, currency: currency)
                recordHealth(adapter.id, outcome)
                GatewayMetrics.providerCall(adapter.id, call: "confirm", outcome: Self.kind(outcome))
                work.events.append(event(work.payout.id, "provider_confirm", ["provider_id": .string(adapter.id), "outcome": .string(describe(outcome))]))
                switch outcome {
                case .accepted(let snapshot):
                    attempt.detail = nil
                    apply(&work, attempt: &attempt, snapshot: snapshot, adapter: adapter)
                case .rejected(let reason):
                    // The provider holds the payout but refused to pay it: confirm by lookup, then fail.
                    attempt.detail = Self.confirmRefused + reason
                    attempt.resolution = reason
                    schedule(&work, after: 0)
                case .duplicate, .ambiguous, .notSent:
                    // Unknown whether it arrived: a lookup decides, and only then is it sent again.
                    attempt.detail = Self.confirmUnclear
                    schedule(&work, after: settings.ambiguousLookupDelayMillis)
                }
                work.attempts = [attempt]
                try await finish(work)
            } else {
                try await poll(&work, attempt: &attempt, adapter: adapter)
            }
        case .final:
            try await poll(&work, attempt: &attempt, adapter: adapter)
        case .rejected:
            break
        }
    }

    func poll(_ work: inout Work, attempt: inout AttemptRecord, adapter: any ProviderAdapter) async throws {
        let lookup = await adapter.lookup(reference: attempt.reference, providerPayoutID: attempt.providerPayoutId)
        recordHealth(adapter.id, lookup)
        switch lookup {
        case .found(let snapshot):
            if snapshot.outcome == .awaitingConfirmation, attempt.confirmSent {
                if attempt.detail?.hasPrefix(Self.confirmRefused) == true {
                    attempt.state = AttemptState.final.rawValue
                    setStatus(&work, PayoutStatus.processFailed, resolution: attempt.resolution ?? "process refused")
                    break
                }
                if attempt.detail == Self.confirmUnclear {
                    // The confirming call was lost before the provider saw it: send it again.
                    attempt.confirmSent = false
                    attempt.detail = nil
                }
            }
            apply(&work, attempt: &attempt, snapshot: snapshot, adapter: adapter)
        case .absent, .failed:
            let reason: String
            if case .failed(let why) = lookup { reason = why } else { reason = "provider no longer finds the payout" }
            attempt.lookupMisses += 1
            work.payout.pendingReason = reason
            schedule(&work, after: backoff(attempt.lookupMisses))
        }
        attempt.updatedMs = Clock.nowMillis()
        work.attempts = [attempt]
        try await finish(work)
    }

    func resolveByLookup(_ work: inout Work, attempt: inout AttemptRecord, adapter: any ProviderAdapter) async throws {
        let lookup = await adapter.lookup(reference: attempt.reference, providerPayoutID: attempt.providerPayoutId)
        recordHealth(adapter.id, lookup)
        work.events.append(event(work.payout.id, "provider_lookup", ["provider_id": .string(adapter.id), "outcome": .string(describe(lookup))]))
        let now = Clock.nowMillis()
        switch lookup {
        case .found(let snapshot):
            attempt.state = AttemptState.created.rawValue
            attempt.lookupMisses = 0
            if let mismatch = mismatch(snapshot, work.payout) {
                // Adopted by our reference, yet not what we asked for: keep it, and tell operators.
                logger.error("adopted provider payout differs from ours", metadata: ["payout.id": "\(work.payout.id)", "provider.id": "\(adapter.id)", "mismatch": "\(mismatch)"])
                work.events.append(event(work.payout.id, "adopted_mismatch", ["provider_id": .string(adapter.id), "fields": .string(mismatch)]))
            }
            apply(&work, attempt: &attempt, snapshot: snapshot, adapter: adapter)
        case .failed(let reason):
            work.payout.pendingReason = "status unknown: \(reason)"
            if work.payout.processRequested, !PayoutStatus.isFinal(work.payout.status), attempt.sends > 0,
               now - attempt.createdMs > settings.absenceGraceMillis * 4 {
                setStatus(&work, PayoutStatus.processPending, resolution: "ok")
            }
            schedule(&work, after: backoff(attempt.lookupMisses + 1))
            attempt.lookupMisses += 0
        case .absent:
            attempt.lookupMisses += 1
            if attempt.lookupMisses < 2 {
                schedule(&work, after: settings.absenceGraceMillis)
            } else if attempt.sends < settings.maxSendsPerProvider {
                // Confirmed absent twice across the grace window: send again with the same reference.
                guard let provider = runtime.snapshot.table.providers[attempt.providerId],
                      let request = try makeRequest(work.payout, provider: provider, reference: attempt.reference)
                else {
                    attempt.state = AttemptState.rejected.rawValue
                    attempt.resolution = "cannot rebuild the request"
                    schedule(&work, after: 0)
                    break
                }
                attempt.sends += 1
                attempt.lookupMisses = 0
                attempt.state = AttemptState.sending.rawValue
                attempt.updatedMs = now
                work.payout.nextActionAt = now + settings.leaseMillis
                work.attempts = [attempt]
                guard try await commit(work, keepLease: true) else { return }
                work = Work(payout: work.payout)
                let outcome = await adapter.submit(request)
                recordHealth(adapter.id, outcome)
                GatewayMetrics.providerCall(adapter.id, call: "submit", outcome: Self.kind(outcome))
                work.events.append(event(work.payout.id, "provider_submit", ["provider_id": .string(adapter.id), "outcome": .string(describe(outcome)), "send": .number(Decimal(attempt.sends))]))
                let tried = Set(try await store.attempts(payoutId: work.payout.id).map(\.providerId))
                try await applySubmit(&work, attempt: &attempt, outcome: outcome, adapter: adapter, hasOtherCandidates: hasOtherCandidates(work.payout, tried: tried))
                return
            } else {
                attempt.state = AttemptState.rejected.rawValue
                attempt.resolution = "not created after \(attempt.sends) sends"
                schedule(&work, after: 0)
            }
        }
        attempt.updatedMs = now
        work.attempts = [attempt]
        try await finish(work)
    }

    func applySubmit(_ work: inout Work, attempt: inout AttemptRecord, outcome: SubmitOutcome, adapter: any ProviderAdapter, hasOtherCandidates: Bool) async throws {
        let now = Clock.nowMillis()
        switch outcome {
        case .accepted(let snapshot):
            attempt.state = AttemptState.created.rawValue
            apply(&work, attempt: &attempt, snapshot: snapshot, adapter: adapter)
            if adapter.needsConfirmation, !attempt.confirmSent, work.payout.processRequested, snapshot.outcome == .awaitingConfirmation {
                schedule(&work, after: 0)
            }
        case .rejected(let reason):
            attempt.state = AttemptState.rejected.rawValue
            attempt.resolution = reason
            schedule(&work, after: 0)
        case .duplicate:
            attempt.state = AttemptState.ambiguous.rawValue
            attempt.lookupMisses = 0
            schedule(&work, after: 0)
        case .ambiguous(let reason, let retryAfter):
            attempt.state = AttemptState.ambiguous.rawValue
            attempt.lookupMisses = 0
            work.payout.pendingReason = "provider answer unclear: \(reason)"
            schedule(&work, after: max(settings.ambiguousLookupDelayMillis, retryAfter ?? 0))
        case .notSent(let reason):
            if hasOtherCandidates {
                attempt.state = AttemptState.rejected.rawValue
                attempt.resolution = "unreachable: \(reason)"
                schedule(&work, after: 0)
            } else {
                attempt.state = AttemptState.ambiguous.rawValue
                attempt.lookupMisses = 0
                work.payout.pendingReason = "provider unreachable: \(reason)"
                schedule(&work, after: settings.lookupBackoffMillis)
            }
        }
        attempt.updatedMs = now
        work.attempts = [attempt]
        try await finish(work)
    }

    /// Books what the provider said: attempt fields, the merchant status, and the next action.
    func apply(_ work: inout Work, attempt: inout AttemptRecord, snapshot: ProviderSnapshot, adapter: any ProviderAdapter) {
        let provider = runtime.snapshot.table.providers[attempt.providerId]
        attempt.providerStatus = snapshot.rawStatus
        attempt.outcome = snapshot.outcome.rawValue
        if let id = snapshot.providerPayoutID { attempt.providerPayoutId = id }
        if let serial = snapshot.serialNumber { attempt.serialNumber = serial }
        if let resolution = snapshot.resolution { attempt.resolution = resolution }
        if let redirect = snapshot.redirectURL { work.payout.redirectUrl = redirect }
        work.payout.pendingReason = nil
        let pollMillis = pollInterval(provider: provider, attempt: attempt)
        switch snapshot.outcome {
        case .awaitingConfirmation:
            if adapter.needsConfirmation, !attempt.confirmSent {
                if work.payout.processRequested {
                    schedule(&work, after: 0)
                } else {
                    work.payout.nextActionAt = work.payout.createdMs + settings.invoiceLifetimeMillis
                }
            } else {
                schedule(&work, after: pollMillis)
            }
        case .checking:
            // The bank check runs; the merchant sees processing only once it asked to process.
            if work.payout.processRequested, work.payout.status == PayoutStatus.created {
                setStatus(&work, PayoutStatus.processing, resolution: "ok")
            }
            schedule(&work, after: pollMillis)
        case .processing:
            setStatus(&work, PayoutStatus.processing, resolution: snapshot.resolution ?? "ok")
            schedule(&work, after: pollMillis)
        case .pending:
            setStatus(&work, snapshot.merchantStatus, resolution: snapshot.resolution ?? "ok")
            schedule(&work, after: pollMillis)
        case .succeeded:
            attempt.state = AttemptState.final.rawValue
            if !PayoutStatus.isFinal(work.payout.status) || work.payout.status != snapshot.merchantStatus {
                work.payout.processedAt = work.payout.processedAt ?? Clock.nowSeconds()
                work.payout.processedAmountMinor = snapshot.processedAmountMinor ?? work.payout.amountMinor
            }
            setStatus(&work, snapshot.merchantStatus, resolution: snapshot.resolution ?? "ok")
            if PayoutStatus.isFinal(snapshot.merchantStatus) { work.payout.nextActionAt = nil } else { schedule(&work, after: pollMillis) }
        case .failed:
            attempt.state = AttemptState.final.rawValue
            setStatus(&work, snapshot.merchantStatus, resolution: snapshot.resolution ?? "process_failed")
            work.payout.nextActionAt = nil
        case .reversed:
            attempt.state = AttemptState.final.rawValue
            setStatus(&work, "canceled", resolution: snapshot.resolution ?? "canceled")
            work.payout.nextActionAt = nil
        }
    }

    // MARK: Helpers

    /// 5xx, timeouts and lost connections count against a provider's breaker; any clear answer resets it.
    func recordHealth(_ providerID: String, _ outcome: SubmitOutcome) {
        switch outcome {
        case .ambiguous, .notSent: runtime.health.record(providerID, success: false)
        case .accepted, .rejected, .duplicate: runtime.health.record(providerID, success: true)
        }
    }

    func recordHealth(_ providerID: String, _ outcome: LookupOutcome) {
        if case .failed = outcome { runtime.health.record(providerID, success: false) } else { runtime.health.record(providerID, success: true) }
    }

    static let confirmRefused = "confirm refused: "
    static let confirmUnclear = "confirm unclear"

    /// The provider's interval while the attempt is young, then the engine's back-off schedule by age.
    func pollInterval(provider: ProviderConfig?, attempt: AttemptRecord) -> Int64 {
        let age = Clock.nowMillis() - attempt.createdMs
        var interval = Int64((provider?.pollIntervalSeconds ?? 3) * 1000)
        for step in settings.backoffSchedule where age >= step.olderThanMillis {
            interval = max(interval, step.intervalMillis)
        }
        return interval
    }

    /// Whether a move from one merchant status to another is allowed: a final state never goes back to a non-final
    /// one, except that a success may still be reversed (processed → canceling → canceled). A provider that paid a
    /// payout it had reported failed is believed (money moved), and operators are alerted.
    static func allowsTransition(from current: String, to next: String) -> Bool {
        guard PayoutStatus.isFinal(current) else { return true }
        if next == "processed" || next == "partially_processed" { return true }
        let reversal: Set<String> = ["canceling", "cancel_pending", "cancel_error", "canceled", "partially_canceled", "cancel_failed"]
        let paid: Set<String> = ["processed", "partially_processed", "cancel_failed"]
        return (paid.contains(current) || reversal.contains(current)) && (reversal.contains(next) || paid.contains(next))
    }

    func setStatus(_ work: inout Work, _ status: String, resolution: String) {
        guard work.payout.status != status || work.payout.resolution != resolution else { return }
        if PayoutStatus.isFinal(work.payout.status), ["process_failed", "expired", "terminated"].contains(work.payout.status),
           status == "processed" || status == "partially_processed" {
            logger.error("provider paid a payout it had reported failed", metadata: ["payout.id": "\(work.payout.id)"])
        }
        guard Self.allowsTransition(from: work.payout.status, to: status) else {
            logger.warning("provider reported a status after a final one; kept the final one", metadata: [
                "payout.id": "\(work.payout.id)", "payout.status": "\(work.payout.status)", "provider.status": "\(status)",
            ])
            return
        }
        let previous = work.payout.status
        work.payout.status = status
        work.payout.resolution = resolution
        work.statusChanged = true
        work.events.append(event(work.payout.id, "status_changed", ["from": .string(previous), "to": .string(status), "resolution": .string(resolution)]))
        if PayoutStatus.isFinal(status) {
            work.payout.nextActionAt = nil
            work.payout.pendingReason = nil
        }
        GatewayMetrics.statusChanged(to: status)
        logger.info("payout status changed", metadata: ["payout.id": "\(work.payout.id)", "payout.status": "\(status)", "payout.previous_status": "\(previous)"])
    }

    func schedule(_ work: inout Work, after millis: Int64) {
        work.payout.nextActionAt = Clock.nowMillis() + max(0, millis)
    }

    /// Doubling back-off with ±20 % jitter, so that many payouts do not retry in lockstep.
    func backoff(_ misses: Int64) -> Int64 {
        let exponent = min(max(misses - 1, 0), 20)
        let base = min(settings.lookupBackoffMillis << exponent, settings.lookupBackoffCapMillis)
        return base + Int64.random(in: -(base / 5)...(base / 5))
    }

    func event(_ payoutID: String, _ kind: String, _ detail: [String: JSONValue]) -> PayoutEventRecord {
        PayoutEventRecord(payoutId: payoutID, kind: kind, detail: JSONCoding.encodeString(JSONValue.object(detail)))
    }

    func describe(_ outcome: SubmitOutcome) -> String {
        switch outcome {
        case .accepted(let snapshot): return "accepted \(snapshot.rawStatus)"
        case .rejected(let reason): return "rejected: \(reason)"
        case .duplicate: return "duplicate"
        case .ambiguous(let reason, _): return "ambiguous: \(reason)"
        case .notSent(let reason): return "not sent: \(reason)"
        }
    }

    /// Which of amount, currency and service differ between a provider's payout and ours (nil when none do).
    func mismatch(_ snapshot: ProviderSnapshot, _ payout: PayoutRecord) -> String? {
        var fields: [String] = []
        if let amount = snapshot.amountMinor, amount != payout.amountMinor { fields.append("amount") }
        if let currency = snapshot.currency, currency != payout.currency { fields.append("currency") }
        if let service = snapshot.service, let provider = runtime.snapshot.table.providers[snapshot.providerID ?? ""],
           service != (provider.services[payout.service]?.code ?? payout.service) { fields.append("service") }
        return fields.isEmpty ? nil : fields.joined(separator: ",")
    }

    static func kind(_ outcome: SubmitOutcome) -> String {
        switch outcome {
        case .accepted: return "accepted"
        case .rejected: return "rejected"
        case .duplicate: return "duplicate"
        case .ambiguous: return "ambiguous"
        case .notSent: return "not_sent"
        }
    }

    func describe(_ outcome: LookupOutcome) -> String {
        switch outcome {
        case .found(let snapshot): return "found \(snapshot.rawStatus)"
        case .absent: return "absent"
        case .failed(let reason): return "failed: \(reason)"
        }
    }

    /// Commits and releases the lease.
    func finish(_ work: Work) async throws {
        _ = try await commit(work, keepLease: false)
    }

    func commit(_ work: Work, keepLease: Bool) async throws -> Bool {
        var payout = work.payout
        let now = Clock.nowMillis()
        payout.updatedMs = max(now, payout.updatedMs)
        if PayoutStatus.isFinal(payout.status) && payout.nextActionAt == nil { payout.fieldsSealed = nil }
        if !keepLease {
            payout.leaseOwner = nil
            payout.leaseUntil = nil
        }
        var webhookBody: String?
        if work.statusChanged, payout.callbackUrl != nil {
            let attempts = try await mergedAttempts(payout.id, work.attempts)
            let logs = try await store.webhooks(payoutId: payout.id)
            webhookBody = InvoiceDocument.single(payout, attempts: attempts, webhooks: logs).jsonString()
        }
        let committed = try await store.commit(
            PayoutStepCommit(payout: payout, attempts: work.attempts, events: work.events, webhookBody: webhookBody), owner: owner)
        if !committed {
            logger.warning("payout lease lost; step discarded", metadata: ["payout.id": "\(payout.id)"])
        }
        return committed
    }

    func mergedAttempts(_ payoutID: String, _ changed: [AttemptRecord]) async throws -> [AttemptRecord] {
        var all = try await store.attempts(payoutId: payoutID)
        for attempt in changed {
            if let index = all.firstIndex(where: { $0.id == attempt.id }) { all[index] = attempt } else { all.append(attempt) }
        }
        return all
    }
}
