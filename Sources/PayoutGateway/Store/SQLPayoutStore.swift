import Foundation
import SQLKit

/// The payout ledger over SQLKit; the same SQL serves SQLite and PostgreSQL backends.
public struct SQLPayoutStore: PayoutStore {
    public let backend: any SQLBackend

    public init(backend: any SQLBackend) {
        self.backend = backend
    }

    static let decoder = SQLRowDecoder()
    private var lockSuffix: String { backend.kind == .postgres ? " FOR UPDATE" : "" }

    public func migrate() async throws {
        try await Migrations.run(on: backend)
    }

    public func ping() async throws {
        try await backend.read { db in _ = try await db.raw("SELECT 1 AS one").first() }
    }

    // MARK: Merchants

    public func insertMerchant(_ merchant: MerchantRecord) async throws {
        try await backend.transaction { db in
            try await db.insert(into: "merchants").model(merchant).run()
        }
    }

    public func merchant(id: String) async throws -> MerchantRecord? {
        try await backend.read { db in
            try await db.raw("SELECT * FROM merchants WHERE id = \(bind: id)").first(decoding: MerchantRecord.self, with: Self.decoder)
        }
    }

    public func merchant(publicKey: String) async throws -> MerchantRecord? {
        try await backend.read { db in
            try await db.raw("SELECT * FROM merchants WHERE public_key = \(bind: publicKey)").first(decoding: MerchantRecord.self, with: Self.decoder)
        }
    }

    public func merchants() async throws -> [MerchantRecord] {
        try await backend.read { db in
            try await db.raw("SELECT * FROM merchants ORDER BY created_ms, id").all(decoding: MerchantRecord.self, with: Self.decoder)
        }
    }

    public func setMerchantDisabled(id: String, disabledMs: Int64?) async throws -> Bool {
        try await backend.transaction { db in
            let found = try await db.raw("SELECT id FROM merchants WHERE id = \(bind: id)").first() != nil
            if found { try await db.raw("UPDATE merchants SET disabled_ms = \(bind: disabledMs) WHERE id = \(bind: id)").run() }
            return found
        }
    }

    public func replaceMerchantKey(id: String, newHash: String, previousUntilMs: Int64?) async throws -> Bool {
        try await backend.transaction { db in
            let found = try await db.raw("SELECT id FROM merchants WHERE id = \(bind: id)").first() != nil
            if found {
                if let until = previousUntilMs {
                    try await db.raw("""
                        UPDATE merchants SET previous_api_key_hash = api_key_hash, previous_key_until_ms = \(bind: until),
                        api_key_hash = \(bind: newHash) WHERE id = \(bind: id)
                        """).run()
                } else {
                    try await db.raw("""
                        UPDATE merchants SET previous_api_key_hash = NULL, previous_key_until_ms = NULL, api_key_hash = \(bind: newHash)
                        WHERE id = \(bind: id)
                        """).run()
                }
            }
            return found
        }
    }

    // MARK: Payouts

    public func createPayout(_ payout: PayoutRecord, event: PayoutEventRecord, reserving key: IdempotencyRecord?) async throws -> CreatePayoutResult {
        do {
            if backend.kind == .postgres {
                // One statement, atomic by itself: one round trip instead of BEGIN, two or three INSERTs and COMMIT.
                // Every part of a data-modifying WITH runs (and all roll back together when one fails).
                var query: SQLQueryString = "WITH "
                if let key { query = query + "reserved AS (" + Self.reservationSQL(key, payoutId: payout.id) + "), " }
                query = query + "created AS (" + Self.insertSQL(payout) + " RETURNING id) "
                query = query + """
                    INSERT INTO payout_events (payout_id, at_ms, kind, detail)
                    SELECT created.id, \(bind: event.atMs), \(bind: event.kind), \(bind: event.detail) FROM created
                    """
                let statement = query
                try await backend.statement { db in try await db.raw(statement).run() }
                return .created(payout)
            }
            return try await backend.transaction { db in
                if let key {
                    // The primary key (merchant, key) is the arbiter between concurrent requests with one key.
                    try await db.raw(Self.reservationSQL(key, payoutId: payout.id)).run()
                }
                try await Self.insert(payout, on: db)
                try await Self.insert(event, on: db)
                return .created(payout)
            }
        } catch {
            if let key, let taken = try await idempotency(merchantId: key.merchantId, key: key.key) {
                return .keyTaken(taken)
            }
            // The unique index on (merchant_id, reference_id) is the arbiter, not a check before the insert.
            if let existing = try await self.payout(merchantId: payout.merchantId, referenceId: payout.referenceId) {
                return .duplicate(existing)
            }
            throw error
        }
    }

    /// The idempotency key's reservation (status 0, the body naming the payout), made with the payout it creates.
    static func reservationSQL(_ key: IdempotencyRecord, payoutId: String) -> SQLQueryString {
        """
        INSERT INTO idempotency_keys (merchant_id, key, request_hash, status_code, body, created_ms)
        VALUES (\(bind: key.merchantId), \(bind: key.key), \(bind: key.requestHash), 0, \(bind: payoutId), \(bind: key.createdMs))
        """
    }

    public func payout(id: String) async throws -> PayoutRecord? {
        try await backend.read { db in
            try await db.raw("SELECT * FROM payouts WHERE id = \(bind: id)").first().map(PayoutRecord.init(row:))
        }
    }

    public func payout(merchantId: String, referenceId: String) async throws -> PayoutRecord? {
        try await backend.read { db in
            try await db.raw("SELECT * FROM payouts WHERE merchant_id = \(bind: merchantId) AND reference_id = \(bind: referenceId)")
                .first().map(PayoutRecord.init(row:))
        }
    }

    public func payouts(merchantId: String, limit: Int, before: String?, after: String?) async throws -> [PayoutRecord] {
        try await backend.read { db in
            if let cursor = before ?? after {
                guard let anchor = try await db.raw("SELECT created_ms FROM payouts WHERE id = \(bind: cursor) AND merchant_id = \(bind: merchantId)")
                    .first(decodingColumn: "created_ms", as: Int64.self)
                else { return [] }
                if before != nil {
                    return try await db.raw("""
                        SELECT * FROM payouts WHERE merchant_id = \(bind: merchantId)
                        AND (created_ms < \(bind: anchor) OR (created_ms = \(bind: anchor) AND id < \(bind: cursor)))
                        ORDER BY created_ms DESC, id DESC LIMIT \(bind: limit)
                        """).all().map(PayoutRecord.init(row:))
                }
                let newer = try await db.raw("""
                    SELECT * FROM payouts WHERE merchant_id = \(bind: merchantId)
                    AND (created_ms > \(bind: anchor) OR (created_ms = \(bind: anchor) AND id > \(bind: cursor)))
                    ORDER BY created_ms ASC, id ASC LIMIT \(bind: limit)
                    """).all().map(PayoutRecord.init(row:))
                return newer.reversed()
            }
            return try await db.raw("""
                SELECT * FROM payouts WHERE merchant_id = \(bind: merchantId)
                ORDER BY created_ms DESC, id DESC LIMIT \(bind: limit)
                """).all().map(PayoutRecord.init(row:))
        }
    }

    public func requestProcessing(id: String, merchantId: String, nowMs: Int64) async throws -> PayoutRecord? {
        let suffix = lockSuffix
        return try await backend.transaction { db in
            guard var payout = try await db.raw("SELECT * FROM payouts WHERE id = \(bind: id) AND merchant_id = \(bind: merchantId)\(unsafeRaw: suffix)")
                .first().map(PayoutRecord.init(row:))
            else { return nil }
            // Only an invoice still waiting in `created` starts processing; an expired one never does.
            guard !payout.processRequested, payout.status == "created" else { return payout }
            payout.processRequested = true
            payout.updatedMs = nowMs
            payout.nextActionAt = nowMs
            try await db.raw("""
                UPDATE payouts SET process_requested = \(bind: true), updated_ms = \(bind: nowMs), next_action_at = \(bind: nowMs),
                nudge_ms = \(bind: nowMs)
                WHERE id = \(bind: id)
                """).run()
            try await Self.insert(PayoutEventRecord(payoutId: id, atMs: nowMs, kind: "process_requested", detail: "{}"), on: db)
            return payout
        }
    }

    public func events(payoutId: String) async throws -> [PayoutEventRecord] {
        try await backend.read { db in
            try await db.raw("SELECT payout_id, at_ms, kind, detail FROM payout_events WHERE payout_id = \(bind: payoutId) ORDER BY id")
                .all(decoding: PayoutEventRecord.self, with: Self.decoder)
        }
    }

    // MARK: Engine

    public func claimDuePayouts(owner: String, nowMs: Int64, leaseMs: Int64, limit: Int) async throws -> [PayoutRecord] {
        try await claimDuePayouts(owner: owner, nowMs: nowMs, leaseMs: leaseMs, plan: ClaimPlan(total: limit, queues: [], othersRoom: limit))
    }

    public func claimDuePayouts(owner: String, nowMs: Int64, leaseMs: Int64, plan: ClaimPlan) async throws -> [PayoutRecord] {
        guard plan.total > 0 else { return [] }
        let postgres = backend.kind == .postgres
        let skipLocked = postgres ? " FOR UPDATE SKIP LOCKED" : ""
        return try await backend.transaction { db in
            if postgres {
                // Claims must read the due index in order and stop at the limit. When the statistics are older than
                // a burst (they count few due payouts), the planner would rather fetch every due payout of the queue
                // and sort them: about 20 ms of the server's CPU per claim at 10,000 due instead of 1 ms.
                try await db.raw("SET LOCAL enable_sort = off").run()
            }
            var claimed: [PayoutRecord] = []
            // Every claim raises the fencing token: a worker whose lease expired can no longer commit.
            func claim(_ filter: SQLQueryString, limit: Int) async throws {
                let query: SQLQueryString = """
                    UPDATE payouts SET lease_owner = \(bind: owner), lease_until = \(bind: nowMs + leaseMs), nudge_ms = NULL,
                    lease_token = lease_token + 1
                    WHERE id IN (
                        SELECT id FROM payouts
                        WHERE \(filter) next_action_at IS NOT NULL AND next_action_at <= \(bind: nowMs)
                        AND (lease_until IS NULL OR lease_until < \(bind: nowMs))
                        ORDER BY next_action_at LIMIT \(bind: limit)\(unsafeRaw: skipLocked)
                    )
                    RETURNING *
                    """
                claimed += try await db.raw(query).all().map(PayoutRecord.init(row:))
            }
            for queue in plan.queues {
                let limit = min(queue.room, plan.total - claimed.count)
                guard limit > 0 else { continue }
                // Through payouts_queue_due: this provider's due payouts only.
                try await claim("queue_key = \(bind: queue.key) AND ", limit: limit)
            }
            let others = min(plan.othersRoom, plan.total - claimed.count)
            if others > 0 {
                let keys: [any Encodable & Sendable] = plan.queues.map(\.key)
                let filter: SQLQueryString = keys.isEmpty ? "" : "(queue_key IS NULL OR queue_key NOT IN (\(binds: keys))) AND "
                try await claim(filter, limit: others)
            }
            return claimed
        }
    }

    public func claimPayout(id: String, owner: String, nowMs: Int64, leaseMs: Int64) async throws -> PayoutRecord? {
        try await backend.statement { db in
            try await db.raw("""
                UPDATE payouts SET lease_owner = \(bind: owner), lease_until = \(bind: nowMs + leaseMs), lease_token = lease_token + 1
                WHERE id = \(bind: id) AND (lease_until IS NULL OR lease_until < \(bind: nowMs))
                RETURNING *
                """).first().map(PayoutRecord.init(row:))
        }
    }

    public func renewLease(payoutId: String, owner: String, token: Int64, untilMs: Int64) async throws -> Bool {
        try await backend.statement { db in
            try await db.raw("""
                UPDATE payouts SET lease_until = \(bind: untilMs)
                WHERE id = \(bind: payoutId) AND lease_owner = \(bind: owner) AND lease_token = \(bind: token)
                RETURNING id
                """).first() != nil
        }
    }

    public func releaseLease(payoutId: String, owner: String, token: Int64, nextActionAt: Int64) async throws {
        try await backend.statement { db in
            try await Self.release(payoutId, token: token, owner: owner, nextActionAt: nextActionAt, on: db)
        }
    }

    public func releaseLeases(_ payouts: [PayoutRecord], owner: String, nextActionAt: Int64) async throws {
        guard !payouts.isEmpty else { return }
        try await backend.transaction { db in
            for payout in payouts {
                try await Self.release(payout.id, token: payout.leaseToken, owner: owner, nextActionAt: nextActionAt, on: db)
            }
        }
    }

    /// Gives one leased payout back (fenced by owner and token), due no later than `nextActionAt`.
    static func release(_ payoutId: String, token: Int64, owner: String, nextActionAt: Int64, on db: any SQLDatabase) async throws {
        try await db.raw("""
            UPDATE payouts SET lease_owner = NULL, lease_until = NULL,
            next_action_at = CASE WHEN next_action_at IS NULL OR next_action_at > \(bind: nextActionAt) THEN \(bind: nextActionAt) ELSE next_action_at END
            WHERE id = \(bind: payoutId) AND lease_owner = \(bind: owner) AND lease_token = \(bind: token)
            """).run()
    }

    public func attempts(payoutId: String) async throws -> [AttemptRecord] {
        try await backend.read { db in
            try await db.raw("SELECT * FROM attempts WHERE payout_id = \(bind: payoutId) ORDER BY number")
                .all().map(AttemptRecord.init(row:))
        }
    }

    public func attempt(providerId: String, reference: String) async throws -> AttemptRecord? {
        try await backend.read { db in
            try await db.raw("SELECT * FROM attempts WHERE provider_id = \(bind: providerId) AND reference = \(bind: reference)")
                .first().map(AttemptRecord.init(row:))
        }
    }

    public func attempt(providerId: String, providerPayoutId: String) async throws -> AttemptRecord? {
        try await backend.read { db in
            try await db.raw("SELECT * FROM attempts WHERE provider_id = \(bind: providerId) AND provider_payout_id = \(bind: providerPayoutId)")
                .first().map(AttemptRecord.init(row:))
        }
    }

    public func commit(_ step: PayoutStepCommit, owner: String) async throws -> Bool {
        let update = Self.stepUpdateSQL(step, owner: owner)
        if backend.kind == .postgres {
            // One statement in autocommit instead of BEGIN, four or five statements and COMMIT: the fenced UPDATE
            // feeds every INSERT (`FROM written`), so a step that lost its lease writes nothing at all, and the parts
            // commit or fail together. The events are one INSERT whose rows are sorted by their order in the step
            // (their ids follow it).
            var query: SQLQueryString = "WITH written AS (" + update + ")"
            for (index, attempt) in step.attempts.enumerated() {
                query = query + ", \(unsafeRaw: "attempt\(index)") AS (" + Self.attemptUpsertSQL(attempt, fromWritten: true) + ")"
            }
            if !step.events.isEmpty {
                query = query + ", events AS (INSERT INTO payout_events (payout_id, at_ms, kind, detail) SELECT written.id, v.at_ms, v.kind, v.detail FROM written CROSS JOIN (VALUES "
                for (index, event) in step.events.enumerated() {
                    query = query + (index > 0 ? ", " : "") + "(\(literal: index), \(bind: event.atMs), \(bind: event.kind), \(bind: event.detail))"
                }
                query = query + ") AS v(ord, at_ms, kind, detail) ORDER BY v.ord)"
            }
            if let webhook = Self.webhookInsertSQL(step, fromWritten: true) { query = query + ", webhook AS (" + webhook + ")" }
            query = query + " SELECT COUNT(*) AS n FROM written"
            let statement = query
            return try await backend.statement { db in
                try await db.raw(statement).first(decodingColumn: "n", as: Int.self) == 1
            }
        }
        return try await backend.transaction { db in
            guard try await db.raw(update).first() != nil else { return false }
            for attempt in step.attempts { try await db.raw(Self.attemptUpsertSQL(attempt, fromWritten: false)).run() }
            try await Self.insert(step.events, on: db)
            if let webhook = Self.webhookInsertSQL(step, fromWritten: false) { try await db.raw(webhook).run() }
            return true
        }
    }

    /// The step's fenced UPDATE of the payout, `RETURNING id` (no row: the lease was lost).
    ///
    /// Fenced: only the holder of this very lease (owner and token) writes, and only the engine's columns. A callback
    /// or a merchant's /process that nudged the payout while this step ran must not be lost to the step's schedule.
    /// Only the step's last commit (the one that releases the lease) takes the nudge: an intent committed mid-step
    /// must leave it for the end, or the step's stale view would bury it. The nudge is taken in the same statement
    /// (SET expressions read the row as it was): due at the nudge if that is sooner than the step's own schedule, and
    /// nudge_ms cleared then.
    static func stepUpdateSQL(_ step: PayoutStepCommit, owner: String) -> SQLQueryString {
        let payout = step.payout
        let release = !step.keepLease
        let eraseSealed = PayoutStatus.isFinal(payout.status) && payout.nextActionAt == nil
        let requireNoProcess = step.requireNoProcessRequest
        let next = payout.nextActionAt
        return """
            UPDATE payouts SET status = \(bind: payout.status), resolution = \(bind: payout.resolution),
            provider_id = \(bind: payout.providerId), queue_key = \(bind: payout.queueKey), redirect_url = \(bind: payout.redirectUrl),
            pending_reason = \(bind: payout.pendingReason), processed_at = \(bind: payout.processedAt),
            processed_amount_minor = \(bind: payout.processedAmountMinor), updated_ms = \(bind: payout.updatedMs),
            next_action_at = CASE WHEN \(bind: release) AND nudge_ms IS NOT NULL
                AND (\(bind: next == nil) OR \(bind: next ?? 0) > nudge_ms) THEN nudge_ms ELSE \(bind: next) END,
            nudge_ms = CASE WHEN \(bind: release) AND nudge_ms IS NOT NULL
                AND (\(bind: next == nil) OR \(bind: next ?? 0) > nudge_ms) THEN NULL ELSE nudge_ms END,
            fields_sealed = CASE WHEN \(bind: eraseSealed) THEN NULL ELSE fields_sealed END,
            lease_owner = CASE WHEN \(bind: release) THEN NULL ELSE lease_owner END,
            lease_until = CASE WHEN \(bind: release) THEN NULL ELSE lease_until END
            WHERE id = \(bind: payout.id) AND lease_owner = \(bind: owner) AND lease_token = \(bind: payout.leaseToken)
            AND (\(bind: !requireNoProcess) OR process_requested = \(bind: false))
            RETURNING id
            """
    }

    /// The merchant webhook a status change queues (nil when none: no change, or no callback URL). `fromWritten`:
    /// inserted only if the `written` CTE wrote the payout.
    static func webhookInsertSQL(_ step: PayoutStepCommit, fromWritten: Bool) -> SQLQueryString? {
        guard let body = step.webhookBody, let url = step.payout.callbackUrl else { return nil }
        let payout = step.payout
        let now = payout.updatedMs
        let values: SQLQueryString = """
            \(bind: payout.id), \(bind: payout.merchantId), \(bind: url), \(bind: body), \(bind: payout.status), 'pending', 0, \(bind: now), \(bind: now), \(bind: now)
            """
        return "INSERT INTO webhooks (payout_id, merchant_id, url, body, payout_status, state, attempts, next_attempt_at, created_ms, updated_ms) "
            + (fromWritten ? "SELECT " + values + " FROM written" : "VALUES (" + values + ")")
    }

    public func nudge(payoutId: String, atMs: Int64) async throws {
        try await backend.statement { db in
            // nudge_ms survives a step that is running now: its commit re-applies it (see commit).
            try await db.raw("""
                UPDATE payouts SET nudge_ms = \(bind: atMs),
                next_action_at = CASE WHEN next_action_at IS NULL OR next_action_at > \(bind: atMs) THEN \(bind: atMs) ELSE next_action_at END
                WHERE id = \(bind: payoutId)
                """).run()
        }
    }

    public func countNonFinal() async throws -> Int {
        try await backend.read { db in
            try await db.raw("SELECT COUNT(*) AS n FROM payouts WHERE next_action_at IS NOT NULL").first(decodingColumn: "n", as: Int.self) ?? 0
        }
    }

    public func countBacklog() async throws -> Int {
        try await backend.read { db in
            try await db.raw("SELECT COUNT(*) AS n FROM payouts WHERE next_action_at IS NOT NULL AND process_requested = \(bind: true)")
                .first(decodingColumn: "n", as: Int.self) ?? 0
        }
    }

    public func opsPayouts(_ filter: OpsPayoutFilter, limit: Int) async throws -> [PayoutRecord] {
        var query: SQLQueryString = "SELECT * FROM payouts WHERE 1 = 1"
        if let merchant = filter.merchantId { query = query + " AND merchant_id = \(bind: merchant)" }
        if let status = filter.status { query = query + " AND status = \(bind: status)" }
        if let provider = filter.providerId { query = query + " AND provider_id = \(bind: provider)" }
        if let reference = filter.referenceId { query = query + " AND reference_id = \(bind: reference)" }
        query = query + " ORDER BY created_ms DESC, id DESC LIMIT \(bind: limit)"
        let finished = query
        return try await backend.read { db in
            try await db.raw(finished).all().map(PayoutRecord.init(row:))
        }
    }

    public func pendingPayouts(limit: Int) async throws -> [PayoutRecord] {
        try await backend.read { db in
            try await db.raw("""
                SELECT * FROM payouts WHERE next_action_at IS NOT NULL AND status = \(bind: PayoutStatus.processPending.rawValue)
                ORDER BY updated_ms ASC, id ASC LIMIT \(bind: limit)
                """).all().map(PayoutRecord.init(row:))
        }
    }

    public func failingWebhooks(minimumAttempts: Int64, limit: Int) async throws -> [WebhookRecord] {
        try await backend.read { db in
            try await db.raw("""
                SELECT * FROM webhooks WHERE state = 'pending' AND attempts >= \(bind: minimumAttempts)
                ORDER BY created_ms ASC, id ASC LIMIT \(bind: limit)
                """).all().map(WebhookRecord.init(row:))
        }
    }

    public func operationalState(nowMs: Int64) async throws -> OperationalState {
        try await backend.read { db in
            var state = OperationalState()
            let rows = try await db.raw("""
                SELECT status, pending_reason, COUNT(*) AS n FROM payouts WHERE next_action_at IS NOT NULL
                GROUP BY status, pending_reason
                """).all()
            for row in rows {
                let status = try row.decode(column: "status", as: String.self)
                guard !PayoutStatus.isFinal(status) else { continue }
                let count = try row.decode(column: "n", as: Int.self)
                state.nonFinalByStatus[status, default: 0] += count
                if status == PayoutStatus.processPending.rawValue {
                    let reason = try row.decode(column: "pending_reason", as: String?.self)
                    state.pendingByReason[PendingReasonKind.classify(reason).rawValue, default: 0] += count
                }
            }
            if let row = try await db.raw("SELECT COUNT(*) AS n, MIN(created_ms) AS oldest FROM webhooks WHERE state = 'pending'").first() {
                state.webhooksPending = try row.decode(column: "n", as: Int.self)
                if let oldest = try row.decode(column: "oldest", as: Int64?.self) { state.oldestWebhookAgeMillis = max(0, nowMs - oldest) }
            }
            return state
        }
    }

    public func holdsSealedData() async throws -> Bool {
        try await backend.read { db in
            let merchant = try await db.raw("SELECT id FROM merchants LIMIT 1").first()
            if merchant != nil { return true }
            return try await db.raw("SELECT id FROM payouts WHERE fields_sealed IS NOT NULL LIMIT 1").first() != nil
        }
    }

    // MARK: Webhooks

    public func claimDueWebhooks(nowMs: Int64, leaseMs: Int64, limit: Int, excludingMerchants: [String]) async throws -> [WebhookRecord] {
        guard limit > 0 else { return [] }
        let skipLocked = backend.kind == .postgres ? " FOR UPDATE SKIP LOCKED" : ""
        let excluded: [any Encodable & Sendable] = excludingMerchants
        let merchants: SQLQueryString = excluded.isEmpty ? "" : "AND w.merchant_id NOT IN (\(binds: excluded))"
        return try await backend.statement { db in
            // Per payout, only the oldest pending webhook is delivered: a newer status never overtakes an older one.
            // Claiming pushes next_attempt_at forward: a crashed sender's webhook becomes due again after the lease.
            try await db.raw("""
                UPDATE webhooks SET next_attempt_at = \(bind: nowMs + leaseMs)
                WHERE id IN (
                    SELECT w.id FROM webhooks w WHERE w.state = 'pending' AND w.next_attempt_at <= \(bind: nowMs) \(merchants)
                    AND NOT EXISTS (
                        SELECT 1 FROM webhooks e WHERE e.payout_id = w.payout_id AND e.state = 'pending' AND e.id < w.id
                    )
                    ORDER BY w.next_attempt_at LIMIT \(bind: limit)\(unsafeRaw: skipLocked)
                )
                RETURNING *
                """).all().map(WebhookRecord.init(row:))
        }
    }

    public func recordWebhookDeferrals(ids: [Int64], nextAttemptAt: Int64) async throws {
        guard !ids.isEmpty else { return }
        try await backend.transaction { db in
            for id in ids {
                try await db.raw("UPDATE webhooks SET next_attempt_at = \(bind: nextAttemptAt) WHERE id = \(bind: id) AND state = 'pending'").run()
            }
        }
    }

    public func recordWebhookAttempt(id: Int64, code: Int64?, error: String?, delivered: Bool, nextAttemptAt: Int64, giveUp: Bool) async throws {
        let state = delivered ? "delivered" : (giveUp ? "failed" : "pending")
        let now = Clock.nowMillis()
        try await backend.statement { db in
            try await db.raw("""
                UPDATE webhooks SET state = \(bind: state), attempts = attempts + 1, last_code = \(bind: code),
                last_error = \(bind: error), next_attempt_at = \(bind: nextAttemptAt), updated_ms = \(bind: now)
                WHERE id = \(bind: id)
                """).run()
        }
    }

    public func history(payoutId: String) async throws -> (attempts: [AttemptRecord], webhooks: [WebhookRecord]) {
        try await backend.read { db in
            let attempts = try await db.raw("SELECT * FROM attempts WHERE payout_id = \(bind: payoutId) ORDER BY number")
                .all().map(AttemptRecord.init(row:))
            let webhooks = try await db.raw("SELECT * FROM webhooks WHERE payout_id = \(bind: payoutId) ORDER BY id")
                .all().map(WebhookRecord.init(row:))
            return (attempts, webhooks)
        }
    }

    public func webhooks(payoutId: String) async throws -> [WebhookRecord] {
        try await backend.read { db in
            try await db.raw("SELECT * FROM webhooks WHERE payout_id = \(bind: payoutId) ORDER BY id")
                .all().map(WebhookRecord.init(row:))
        }
    }

    // MARK: Idempotency keys

    public func idempotency(merchantId: String, key: String) async throws -> IdempotencyRecord? {
        try await backend.read { db in
            try await db.raw("SELECT * FROM idempotency_keys WHERE merchant_id = \(bind: merchantId) AND key = \(bind: key)")
                .first(decoding: IdempotencyRecord.self, with: Self.decoder)
        }
    }

    public func saveIdempotency(_ record: IdempotencyRecord) async throws {
        try await backend.statement { db in
            try await db.raw("""
                INSERT INTO idempotency_keys (merchant_id, key, request_hash, status_code, body, created_ms)
                VALUES (\(bind: record.merchantId), \(bind: record.key), \(bind: record.requestHash), \(bind: record.statusCode),
                        \(bind: record.body), \(bind: record.createdMs))
                ON CONFLICT (merchant_id, key) DO UPDATE SET status_code = excluded.status_code, body = excluded.body
                WHERE idempotency_keys.status_code = 0 AND idempotency_keys.request_hash = excluded.request_hash
                """).run()
        }
    }

    // MARK: Row writes (hand-written SQL: SQLKit's model encoding quotes and escapes every column name per statement)

    static func insert(_ payout: PayoutRecord, on db: any SQLDatabase) async throws {
        try await db.raw(insertSQL(payout)).run()
    }

    static func insertSQL(_ payout: PayoutRecord) -> SQLQueryString {
        """
            INSERT INTO payouts (id, merchant_id, reference_id, status, resolution, service, method, currency, amount_minor,
            fee_minor, test_mode, description, fields_masked, fields_sealed, metadata, customer, customer_id, callback_url,
            auto_process, process_requested, provider_id, decision, redirect_url, pending_reason, processed_at,
            processed_amount_minor, created_ms, updated_ms, next_action_at, lease_owner, lease_until, lease_token, queue_key)
            VALUES (\(bind: payout.id), \(bind: payout.merchantId), \(bind: payout.referenceId), \(bind: payout.status),
            \(bind: payout.resolution), \(bind: payout.service), \(bind: payout.method), \(bind: payout.currency),
            \(bind: payout.amountMinor), \(bind: payout.feeMinor), \(bind: payout.testMode), \(bind: payout.description),
            \(bind: payout.fieldsMasked), \(bind: payout.fieldsSealed), \(bind: payout.metadata), \(bind: payout.customer),
            \(bind: payout.customerId), \(bind: payout.callbackUrl), \(bind: payout.autoProcess), \(bind: payout.processRequested),
            \(bind: payout.providerId), \(bind: payout.decision), \(bind: payout.redirectUrl), \(bind: payout.pendingReason),
            \(bind: payout.processedAt), \(bind: payout.processedAmountMinor), \(bind: payout.createdMs), \(bind: payout.updatedMs),
            \(bind: payout.nextActionAt), \(bind: payout.leaseOwner), \(bind: payout.leaseUntil), \(bind: payout.leaseToken),
            \(bind: payout.queueKey))
            """
    }

    static func insert(_ event: PayoutEventRecord, on db: any SQLDatabase) async throws {
        try await insert([event], on: db)
    }

    /// Events in one statement per hundred (ids follow the order given), not one round trip each.
    static func insert(_ events: [PayoutEventRecord], on db: any SQLDatabase) async throws {
        var start = events.startIndex
        while start < events.endIndex {
            let end = min(start + 100, events.endIndex)
            var query: SQLQueryString = "INSERT INTO payout_events (payout_id, at_ms, kind, detail) VALUES "
            for index in start..<end {
                let event = events[index]
                if index > start { query = query + ", " }
                query = query + "(\(bind: event.payoutId), \(bind: event.atMs), \(bind: event.kind), \(bind: event.detail))"
            }
            try await db.raw(query).run()
            start = end
        }
    }

    /// Inserts a new attempt or rewrites a known one (by id) in one statement. `fromWritten`: only if the `written`
    /// CTE wrote the payout; the values then carry their types (a NULL bind in a SELECT list would be read as text).
    static func attemptUpsertSQL(_ attempt: AttemptRecord, fromWritten: Bool) -> SQLQueryString {
        let values: SQLQueryString = fromWritten ? """
            \(bind: attempt.id)::TEXT, \(bind: attempt.payoutId)::TEXT, \(bind: attempt.providerId)::TEXT, \(bind: attempt.number)::BIGINT,
            \(bind: attempt.reference)::TEXT, \(bind: attempt.state)::TEXT, \(bind: attempt.providerPayoutId)::TEXT,
            \(bind: attempt.providerStatus)::TEXT, \(bind: attempt.serialNumber)::TEXT, \(bind: attempt.outcome)::TEXT,
            \(bind: attempt.resolution)::TEXT, \(bind: attempt.confirmSent)::BOOLEAN, \(bind: attempt.lookupMisses)::BIGINT,
            \(bind: attempt.sends)::BIGINT, \(bind: attempt.detail)::TEXT, \(bind: attempt.createdMs)::BIGINT,
            \(bind: attempt.updatedMs)::BIGINT, \(bind: attempt.unclearSends)::BIGINT, \(bind: attempt.duplicateSeen)::BOOLEAN,
            \(bind: attempt.confirmSends)::BIGINT, \(bind: attempt.lookupFailures)::BIGINT, \(bind: attempt.absentSinceMs)::BIGINT
            """ : """
            \(bind: attempt.id), \(bind: attempt.payoutId), \(bind: attempt.providerId), \(bind: attempt.number),
            \(bind: attempt.reference), \(bind: attempt.state), \(bind: attempt.providerPayoutId), \(bind: attempt.providerStatus),
            \(bind: attempt.serialNumber), \(bind: attempt.outcome), \(bind: attempt.resolution), \(bind: attempt.confirmSent),
            \(bind: attempt.lookupMisses), \(bind: attempt.sends), \(bind: attempt.detail), \(bind: attempt.createdMs),
            \(bind: attempt.updatedMs), \(bind: attempt.unclearSends), \(bind: attempt.duplicateSeen), \(bind: attempt.confirmSends),
            \(bind: attempt.lookupFailures), \(bind: attempt.absentSinceMs)
            """
        return """
            INSERT INTO attempts (id, payout_id, provider_id, number, reference, state, provider_payout_id, provider_status,
            serial_number, outcome, resolution, confirm_sent, lookup_misses, sends, detail, created_ms, updated_ms,
            unclear_sends, duplicate_seen, confirm_sends, lookup_failures, absent_since_ms)
            """ + (fromWritten ? " SELECT " + values + " FROM written" : " VALUES (" + values + ")") + """

            ON CONFLICT (id) DO UPDATE SET payout_id = excluded.payout_id, provider_id = excluded.provider_id,
            number = excluded.number, reference = excluded.reference, state = excluded.state,
            provider_payout_id = excluded.provider_payout_id, provider_status = excluded.provider_status,
            serial_number = excluded.serial_number, outcome = excluded.outcome, resolution = excluded.resolution,
            confirm_sent = excluded.confirm_sent, lookup_misses = excluded.lookup_misses, sends = excluded.sends,
            detail = excluded.detail, created_ms = excluded.created_ms, updated_ms = excluded.updated_ms,
            unclear_sends = excluded.unclear_sends, duplicate_seen = excluded.duplicate_seen, confirm_sends = excluded.confirm_sends,
            lookup_failures = excluded.lookup_failures, absent_since_ms = excluded.absent_since_ms
            """
    }
}
