import SQLKit

/// The schema, applied in order at start-up; each step runs once (tracked in `schema_migrations`).
enum Migrations {
    static func all(_ kind: SQLBackendKind) -> [(name: String, statements: [String])] {
        [
            ("001_initial", [
                """
                CREATE TABLE merchants (
                    id TEXT PRIMARY KEY,
                    name TEXT NOT NULL,
                    api_key_hash TEXT NOT NULL,
                    public_key TEXT NOT NULL UNIQUE,
                    callback_secret_sealed TEXT NOT NULL,
                    created_ms BIGINT NOT NULL
                )
                """,
                """
                CREATE TABLE payouts (
                    id TEXT PRIMARY KEY,
                    merchant_id TEXT NOT NULL REFERENCES merchants(id),
                    reference_id TEXT NOT NULL,
                    status TEXT NOT NULL,
                    resolution TEXT NOT NULL,
                    service TEXT NOT NULL,
                    method TEXT NOT NULL,
                    currency TEXT NOT NULL,
                    amount_minor BIGINT NOT NULL CHECK (amount_minor > 0),
                    fee_minor BIGINT NOT NULL,
                    test_mode BOOLEAN NOT NULL,
                    description TEXT,
                    fields_masked TEXT NOT NULL,
                    fields_sealed TEXT,
                    metadata TEXT,
                    customer TEXT,
                    customer_id TEXT,
                    callback_url TEXT,
                    auto_process BOOLEAN NOT NULL,
                    process_requested BOOLEAN NOT NULL,
                    provider_id TEXT,
                    decision TEXT,
                    redirect_url TEXT,
                    pending_reason TEXT,
                    processed_at BIGINT,
                    processed_amount_minor BIGINT,
                    created_ms BIGINT NOT NULL,
                    updated_ms BIGINT NOT NULL,
                    next_action_at BIGINT,
                    lease_owner TEXT,
                    lease_until BIGINT,
                    nudge_ms BIGINT
                )
                """,
                "CREATE UNIQUE INDEX payouts_merchant_reference ON payouts (merchant_id, reference_id)",
                "CREATE INDEX payouts_merchant_created ON payouts (merchant_id, created_ms, id)",
                "CREATE INDEX payouts_due ON payouts (next_action_at)",
                """
                CREATE TABLE attempts (
                    id TEXT PRIMARY KEY,
                    payout_id TEXT NOT NULL REFERENCES payouts(id),
                    provider_id TEXT NOT NULL,
                    number BIGINT NOT NULL,
                    reference TEXT NOT NULL,
                    state TEXT NOT NULL,
                    provider_payout_id TEXT,
                    provider_status TEXT,
                    serial_number TEXT,
                    outcome TEXT,
                    resolution TEXT,
                    confirm_sent BOOLEAN NOT NULL,
                    lookup_misses BIGINT NOT NULL,
                    sends BIGINT NOT NULL,
                    detail TEXT,
                    created_ms BIGINT NOT NULL,
                    updated_ms BIGINT NOT NULL
                )
                """,
                "CREATE UNIQUE INDEX attempts_provider_reference ON attempts (provider_id, reference)",
                "CREATE UNIQUE INDEX attempts_payout_number ON attempts (payout_id, number)",
                "CREATE INDEX attempts_provider_payout ON attempts (provider_id, provider_payout_id)",
                """
                CREATE TABLE payout_events (
                    id \(kind.autoIncrementKey),
                    payout_id TEXT NOT NULL REFERENCES payouts(id),
                    at_ms BIGINT NOT NULL,
                    kind TEXT NOT NULL,
                    detail TEXT NOT NULL
                )
                """,
                "CREATE INDEX payout_events_payout ON payout_events (payout_id, id)",
                """
                CREATE TABLE webhooks (
                    id \(kind.autoIncrementKey),
                    payout_id TEXT NOT NULL REFERENCES payouts(id),
                    merchant_id TEXT NOT NULL,
                    url TEXT NOT NULL,
                    body TEXT NOT NULL,
                    payout_status TEXT NOT NULL,
                    state TEXT NOT NULL,
                    attempts BIGINT NOT NULL,
                    next_attempt_at BIGINT NOT NULL,
                    last_code BIGINT,
                    last_error TEXT,
                    created_ms BIGINT NOT NULL,
                    updated_ms BIGINT NOT NULL
                )
                """,
                "CREATE INDEX webhooks_due ON webhooks (state, next_attempt_at)",
                "CREATE INDEX webhooks_payout ON webhooks (payout_id, id)",
                """
                CREATE TABLE idempotency_keys (
                    merchant_id TEXT NOT NULL,
                    key TEXT NOT NULL,
                    request_hash TEXT NOT NULL,
                    status_code BIGINT NOT NULL,
                    body TEXT NOT NULL,
                    created_ms BIGINT NOT NULL,
                    PRIMARY KEY (merchant_id, key)
                )
                """,
            ]),
            ("002_fenced_lifecycle", [
                // A lease is fenced by a token raised at every claim; a step commits only with the token it claimed.
                "ALTER TABLE payouts ADD COLUMN lease_token BIGINT NOT NULL DEFAULT 0",
                "ALTER TABLE attempts ADD COLUMN unclear_sends BIGINT NOT NULL DEFAULT 0",
                "ALTER TABLE attempts ADD COLUMN duplicate_seen BOOLEAN NOT NULL DEFAULT FALSE",
                "ALTER TABLE attempts ADD COLUMN confirm_sends BIGINT NOT NULL DEFAULT 0",
                "ALTER TABLE attempts ADD COLUMN lookup_failures BIGINT NOT NULL DEFAULT 0",
                "ALTER TABLE attempts ADD COLUMN absent_since_ms BIGINT",
                // Earlier phases, typed: a send that was not definitely refused may have created the payout.
                "UPDATE attempts SET unclear_sends = sends WHERE state <> 'rejected'",
                "UPDATE attempts SET confirm_sends = 1 WHERE confirm_sent",
                "UPDATE attempts SET state = 'creating' WHERE state = 'sending'",
                "UPDATE attempts SET state = 'unclear' WHERE state = 'ambiguous'",
                "UPDATE attempts SET state = 'held' WHERE state = 'created'",
                "UPDATE attempts SET state = 'not_created' WHERE state = 'rejected'",
                "CREATE INDEX webhooks_payout_pending ON webhooks (payout_id, state, id)",
            ]),
            ("003_merchant_access", [
                // Disabling a merchant, and key rotation with an overlap during which the previous key still works.
                "ALTER TABLE merchants ADD COLUMN disabled_ms BIGINT",
                "ALTER TABLE merchants ADD COLUMN previous_api_key_hash TEXT",
                "ALTER TABLE merchants ADD COLUMN previous_key_until_ms BIGINT",
            ]),
            ("004_ops_listing", [
                // The ops page lists every merchant's payouts newest first.
                "CREATE INDEX payouts_created ON payouts (created_ms, id)",
            ]),
            ("005_claim_queues", [
                // The provider a payout's next step calls, so that a claim skips providers whose workers are all busy
                // through an index instead of claiming their payouts and giving them back. Payouts stored before it
                // keep NULL until their next write; the engine's catch-all claim still finds them.
                "ALTER TABLE payouts ADD COLUMN queue_key TEXT",
                "UPDATE payouts SET queue_key = provider_id WHERE next_action_at IS NOT NULL",
                "CREATE INDEX payouts_queue_due ON payouts (queue_key, next_action_at) WHERE next_action_at IS NOT NULL",
            ]),
        ]
    }

    /// The advisory lock key under which one PostgreSQL instance migrates while the others wait.
    static let advisoryLockKey: Int64 = 7_426_001

    static func run(on backend: any SQLBackend) async throws {
        let kind = backend.kind
        if kind == .postgres {
            // Several instances may start at once: one transaction holds a transaction-level advisory lock, so one
            // migrates and the others wait, then find every step applied (PostgreSQL's DDL is transactional).
            try await backend.transaction { db in
                try await db.raw("SELECT pg_advisory_xact_lock(\(bind: advisoryLockKey))").run()
                try await db.raw("CREATE TABLE IF NOT EXISTS schema_migrations (name TEXT PRIMARY KEY, applied_ms BIGINT NOT NULL)").run()
                for migration in all(kind) {
                    try await apply(migration, on: db)
                }
            }
            return
        }
        try await backend.transaction { db in
            try await db.raw("CREATE TABLE IF NOT EXISTS schema_migrations (name TEXT PRIMARY KEY, applied_ms BIGINT NOT NULL)").run()
        }
        for migration in all(kind) {
            try await backend.transaction { db in try await apply(migration, on: db) }
        }
    }

    /// Applies one step unless `schema_migrations` says it ran.
    static func apply(_ migration: (name: String, statements: [String]), on db: any SQLDatabase) async throws {
        let done = try await db.raw("SELECT name FROM schema_migrations WHERE name = \(bind: migration.name)").first()
        guard done == nil else { return }
        for statement in migration.statements {
            try await db.raw(SQLQueryString(statement)).run()
        }
        try await db.raw("INSERT INTO schema_migrations (name, applied_ms) VALUES (\(bind: migration.name), \(bind: Clock.nowMillis()))").run()
    }
}
