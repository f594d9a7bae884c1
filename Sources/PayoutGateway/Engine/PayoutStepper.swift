import Foundation
import Logging
import Tracing

/// Drives one leased payout one step: load it, ask ``PayoutLifecycle`` what to do, perform that one provider call
/// (after committing the intent when the call can move money, and renewing the lease while it is in flight), book
/// the answer and commit. All decisions are the lifecycle's; this type only does I/O.
///
/// A step has three phases the simulation test drives one by one: ``prepare(_:)``, ``perform(_:)``, ``complete(_:_:)``.
struct PayoutStepper: Sendable {
    let store: any EngineStore
    let runtime: GatewayRuntime
    let sealer: FieldSealer
    let settings: EngineSettings
    let owner: String
    let logger: Logger
    /// The engine's clock (virtual in the simulation).
    let now: @Sendable () -> Int64

    init(store: any EngineStore, runtime: GatewayRuntime, sealer: FieldSealer, settings: EngineSettings, owner: String, logger: Logger,
         now: @escaping @Sendable () -> Int64 = { Clock.nowMillis() }) {
        self.store = store
        self.runtime = runtime
        self.sealer = sealer
        self.settings = settings
        self.owner = owner
        self.logger = logger
        self.now = now
    }

    /// A step waiting for its provider call.
    struct Pending: Sendable {
        var lifecycle: PayoutLifecycle
        let call: PayoutLifecycle.ProviderCall
        let request: ProviderPayoutRequest?
        let adapter: any ProviderAdapter
        /// Calls made before this one in the same lease (see ``complete(_:_:)``).
        var depth = 0
    }

    /// At most this many calls follow one another within one lease.
    static let maxChainedCalls = 3

    func step(_ claimed: PayoutRecord) async throws {
        let started = ContinuousClock.now
        defer { GatewayMetrics.engineStep(ContinuousClock.now - started) }
        var next = try await prepare(claimed)
        while let pending = next {
            let result = await performRenewingLease(pending)
            next = try await complete(pending, result)
        }
    }

    /// Decides the step. Returns nil when it was only a commit (or the lease was lost); otherwise the intent of a
    /// money-moving call is committed (lease kept) before this returns.
    func prepare(_ claimed: PayoutRecord) async throws -> Pending? {
        var lifecycle = PayoutLifecycle(payout: claimed, attempts: try await store.attempts(payoutId: claimed.id))
        let snapshot = runtime.snapshot
        let before = lifecycle
        let action = lifecycle.next(context(snapshot))
        return try await begin(action, &lifecycle, before: before, snapshot: snapshot, depth: 0)
    }

    /// Commits what `next` decided and, for a call, returns it ready to perform (its intent committed when it moves
    /// money; the lease kept).
    /// `before` is the lifecycle as it was before `next` decided.
    private func begin(_ action: PayoutLifecycle.Action, _ lifecycle: inout PayoutLifecycle, before: PayoutLifecycle,
                       snapshot: GatewayRuntime.Snapshot, depth: Int) async throws -> Pending? {
        guard case .call(let call) = action, let adapter = snapshot.adapters[call.providerID] else {
            try await commit(&lifecycle, keepLease: false)
            return nil
        }
        var request: ProviderPayoutRequest?
        if case .create = call {
            do {
                request = try makeRequest(lifecycle.payout, provider: snapshot.table.providers[call.providerID])
            } catch {
                lifecycle = before
                lifecycle.requestUnavailable("destination fields cannot be opened: \(error)", context(snapshot))
                try await commit(&lifecycle, keepLease: false)
                return nil
            }
        }
        if call.movesMoney || depth > 0 {
            // Rule: a call that can move money is recorded as about to leave, in its own commit, before it leaves.
            // (A chained call also commits the answer before it, so that nothing booked waits on the next call.)
            guard try await commit(&lifecycle, keepLease: true) else { return nil }
        }
        return Pending(lifecycle: lifecycle, call: call, request: request, adapter: adapter, depth: depth)
    }

    /// Performs the call, in a span named after it (`provider.submit`, `provider.confirm`, `provider.lookup`).
    func perform(_ pending: Pending) async -> PayoutLifecycle.CallResult {
        let name: String
        switch pending.call {
        case .create: name = "provider.submit"
        case .confirm: name = "provider.confirm"
        case .lookup: name = "provider.lookup"
        }
        return await withSpan(name, ofKind: .client) { span in
            span.attributes["provider.id"] = pending.adapter.id
            span.attributes["payout.id"] = pending.lifecycle.payout.id
            return await call(pending)
        }
    }

    func call(_ pending: Pending) async -> PayoutLifecycle.CallResult {
        let adapter = pending.adapter
        let payout = pending.lifecycle.payout
        let currency = Currency(code: payout.currency) ?? Currency(code: "USD")!
        let started = ContinuousClock.now
        LogContext.set("provider.id", adapter.id)
        func timed(_ call: String, failed: Bool) {
            let elapsed = ContinuousClock.now - started
            GatewayMetrics.providerCallDuration(adapter.id, call: call, elapsed)
            runtime.callStats.record(adapter.id, call: call, millis: Double(GatewayMetrics.nanoseconds(elapsed)) / 1e6, failed: failed, nowMillis: now())
        }
        switch pending.call {
        case .create:
            guard let request = pending.request else { return .create(.notSent(reason: "no request")) }
            let outcome = await adapter.submit(request).fromProvider(base: adapter.baseURL)
            timed("submit", failed: Self.failed(outcome))
            recordHealth(adapter.id, outcome)
            GatewayMetrics.providerCall(adapter.id, call: "submit", outcome: Self.kind(outcome))
            return .create(outcome)
        case .confirm(_, let reference, let providerPayoutID):
            let outcome = await adapter.confirm(reference: reference, providerPayoutID: providerPayoutID, service: payout.service, currency: currency)
                .fromProvider(base: adapter.baseURL)
            timed("confirm", failed: Self.failed(outcome))
            recordHealth(adapter.id, outcome)
            GatewayMetrics.providerCall(adapter.id, call: "confirm", outcome: Self.kind(outcome))
            return .confirm(outcome)
        case .lookup(_, let reference, let providerPayoutID):
            let outcome = await adapter.lookup(reference: reference, providerPayoutID: providerPayoutID, service: payout.service, currency: currency)
                .fromProvider(base: adapter.baseURL)
            timed("lookup", failed: { if case .failed = outcome { return true } else { return false } }())
            recordHealth(adapter.id, outcome)
            GatewayMetrics.providerCall(adapter.id, call: "lookup", outcome: Self.kind(outcome))
            return .lookup(outcome)
        }
    }

    /// Performs the call while renewing the lease (fenced by its token) every third of the lease.
    func performRenewingLease(_ pending: Pending) async -> PayoutLifecycle.CallResult {
        let payout = pending.lifecycle.payout
        return await withTaskGroup(of: PayoutLifecycle.CallResult?.self) { group in
            group.addTask { await perform(pending) }
            group.addTask {
                let interval = max(settings.leaseMillis / 3, 50)
                while !Task.isCancelled {
                    try? await Task.sleep(for: .milliseconds(interval))
                    if Task.isCancelled { break }
                    let kept = (try? await store.renewLease(
                        payoutId: payout.id, owner: owner, token: payout.leaseToken, untilMs: now() + settings.leaseMillis)) ?? false
                    if !kept {
                        logger.warning("payout lease lost during a provider call", metadata: ["payout.id": "\(payout.id)"])
                        break
                    }
                }
                return nil
            }
            var result: PayoutLifecycle.CallResult?
            while let next = await group.next() {
                if let next {
                    result = next
                    group.cancelAll()
                }
            }
            return result ?? .lookup(.failed(reason: "call cancelled"))
        }
    }

    /// Books the answer. When the lifecycle's next call is due at once and goes to the same provider (a confirming
    /// call after an accepted create, a lookup after "duplicate"), the answer and that call's intent are committed
    /// together, the lease kept, and the call is returned to perform: one transaction and one claim fewer per call.
    /// Otherwise the answer is committed and the lease released.
    func complete(_ pending: Pending, _ result: PayoutLifecycle.CallResult) async throws -> Pending? {
        var lifecycle = pending.lifecycle
        let snapshot = runtime.snapshot
        let context = context(snapshot)
        lifecycle.record(result, context)
        if pending.depth + 1 < Self.maxChainedCalls, let due = lifecycle.payout.nextActionAt, due <= context.nowMillis {
            var chained = lifecycle
            let action = chained.next(context)
            if case .call(let call) = action, call.providerID == pending.call.providerID {
                return try await begin(action, &chained, before: lifecycle, snapshot: snapshot, depth: pending.depth + 1)
            }
        }
        try await commit(&lifecycle, keepLease: false)
        return nil
    }

    // MARK: Context and requests

    func context(_ snapshot: GatewayRuntime.Snapshot) -> LifecycleContext {
        let time = now()
        var providers: [String: ProviderTraits] = [:]
        for (id, config) in snapshot.table.providers {
            guard let adapter = snapshot.adapters[id] else { continue }
            var codes: [String: String] = [:]
            for (service, mapping) in config.services {
                codes[service] = mapping.common.code
                for (currency, terms) in mapping.byCurrency { codes[ProviderTraits.codeKey(service: service, currency: currency)] = terms.code }
            }
            providers[id] = ProviderTraits(
                needsConfirmation: adapter.needsConfirmation, repeatedReference: config.repeatedReference,
                pollIntervalMillis: Int64(config.pollIntervalSeconds * 1000), serviceCodes: codes)
        }
        return LifecycleContext(nowMillis: time, providers: providers, unhealthy: Set(runtime.health.unhealthy(nowMillis: time).keys), settings: settings)
    }

    func makeRequest(_ payout: PayoutRecord, provider: ProviderConfig?) throws -> ProviderPayoutRequest {
        guard let provider else { throw SealError(description: "provider is not configured") }
        guard let sealed = payout.fieldsSealed, let currency = Currency(code: payout.currency) else {
            throw SealError(description: "no destination fields")
        }
        let fields = try sealer.openFields(sealed)
        let terms = provider.terms(service: payout.service, currency: payout.currency)
        // Only the fields this service defines for this provider are sent (a create refuses others; a payout stored
        // before that rule, or a field dropped from routes.json since, is not sent either).
        let defined: Set<String>? = runtime.snapshot.table.service(payout.service).map { service in
            Set(runtime.router().fields(service: service, currency: payout.currency, providers: [provider.id]).map(\.key))
        }
        var providerFields: [String: String] = [:]
        for (key, value) in fields where defined?.contains(key) ?? true { providerFields[terms?.providerKey(key) ?? key] = value }
        return ProviderPayoutRequest(
            reference: payout.id, service: terms?.code ?? payout.service, gatewayService: payout.service, currency: currency,
            amountMinor: payout.amountMinor, fields: providerFields, description: payout.description,
            testMode: payout.testMode || provider.testMode,
            callbackURL: settings.publicBaseURL + "/callbacks/" + provider.id,
            autoProcess: provider.autoProcess)
    }

    // MARK: Commit

    /// Commits the lifecycle's writes (fenced by the claimed token); false when the lease was lost.
    @discardableResult
    func commit(_ lifecycle: inout PayoutLifecycle, keepLease: Bool) async throws -> Bool {
        var payout = lifecycle.payout
        let time = now()
        // `updated` only grows, by at least a millisecond per status change: merchants order webhooks by it.
        payout.updatedMs = lifecycle.statusChanged ? max(time, payout.updatedMs + 1) : max(time, payout.updatedMs)
        let changed = lifecycle.attempts.filter { lifecycle.changedAttempts.contains($0.id) }
        var webhookBody: String?
        if lifecycle.statusChanged, payout.callbackUrl != nil {
            let logs = try await store.webhooks(payoutId: payout.id)
            webhookBody = String(decoding: InvoiceDocument.single(payout, attempts: lifecycle.attempts, webhooks: logs), as: UTF8.self)
        }
        for alert in lifecycle.alerts {
            logger.error("payout needs attention", metadata: [
                "payout.id": "\(payout.id)", "alert.kind": "\(alert.kind.rawValue)", "alert.message": "\(alert.message)",
            ])
            GatewayMetrics.lifecycleAlert(alert.kind.rawValue)
        }
        let step = PayoutStepCommit(
            payout: payout, attempts: changed, events: lifecycle.events, webhookBody: webhookBody,
            keepLease: keepLease, requireNoProcessRequest: lifecycle.requiresNoProcessRequest)
        let committed = try await withSpan("store.commit") { span in
            span.attributes["payout.id"] = payout.id
            return try await store.commit(step, owner: owner)
        }
        if committed {
            defer { lifecycle.committed(updatedMs: payout.updatedMs) }
            if lifecycle.statusChanged {
                GatewayMetrics.statusChanged(to: payout.status)
                logger.info("payout status changed", metadata: ["payout.id": "\(payout.id)", "payout.status": "\(payout.status)"])
            }
        } else if lifecycle.requiresNoProcessRequest {
            // The merchant asked to process while this step expired the invoice: the request wins; step again now.
            try await store.releaseLease(payoutId: payout.id, owner: owner, token: payout.leaseToken, nextActionAt: time)
        } else {
            GatewayMetrics.leaseLost()
            logger.warning("payout lease lost; step discarded", metadata: ["payout.id": "\(payout.id)"])
        }
        return committed
    }

    // MARK: Health and metrics

    /// 5xx, timeouts and lost connections count against a provider's breaker; any clear answer resets it.
    func recordHealth(_ providerID: String, _ outcome: SubmitOutcome) {
        switch outcome {
        case .ambiguous, .notSent: runtime.health.record(providerID, success: false, nowMillis: now())
        case .accepted, .rejected, .duplicate: runtime.health.record(providerID, success: true, nowMillis: now())
        }
    }

    func recordHealth(_ providerID: String, _ outcome: LookupOutcome) {
        if case .failed = outcome {
            runtime.health.record(providerID, success: false, nowMillis: now())
        } else {
            runtime.health.record(providerID, success: true, nowMillis: now())
        }
    }

    /// A timeout, a 5xx or no connection: what counts against a provider (as for its breaker).
    static func failed(_ outcome: SubmitOutcome) -> Bool {
        switch outcome {
        case .ambiguous, .notSent: return true
        case .accepted, .rejected, .duplicate: return false
        }
    }

    static func kind(_ outcome: LookupOutcome) -> String {
        switch outcome {
        case .found: return "found"
        case .absent: return "absent"
        case .failed: return "failed"
        }
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
}
