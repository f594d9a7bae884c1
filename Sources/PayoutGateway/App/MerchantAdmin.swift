import Foundation
import Logging

/// A new merchant's credentials, shown once.
public struct MerchantCredentials: Sendable {
    public let accountID: String
    public let apiKey: String
    public let publicKey: String
    public let callbackSecret: String

    public var jsonLine: String {
        JSONCoding.encodeString(JSONValue.object([
            "account_id": .string(accountID), "api_key": .string(apiKey),
            "public_key": .string(publicKey), "callback_secret": .string(callbackSecret),
        ]))
    }
}

/// Creates a merchant in the store at `databaseURL`; the API key is stored as a SHA-256 hash only.
public func createMerchant(name: String, databaseURL: String, dataKeyFile: String?, dataKey: Secret?, logger: Logger) async throws -> MerchantCredentials {
    let location = try DatabaseLocation.parse(databaseURL)
    if location == .sqliteMemory { throw DatabaseLocation.Unsupported(description: "merchants need a persistent database") }
    let backend = try await location.open(logger: logger)
    let store = SQLPayoutStore(backend: backend)
    try await store.migrate()
    let keyFile = dataKeyFile ?? location.defaultKeyFile
    let holdsSealed = try await store.holdsSealedData()
    let sealer = try dataKey.map { try FieldSealer(base64Key: $0.value) } ?? FieldSealer.loadOrCreate(path: keyFile, storeHoldsSealedData: holdsSealed)
    let credentials = MerchantCredentials(
        accountID: Identifier.make("coma_"), apiKey: Identifier.secret(),
        publicKey: "pk_live_" + Identifier.random(length: 43), callbackSecret: "sk_live_" + Identifier.random(length: 43))
    guard !name.isEmpty, name.count <= 200 else { throw DatabaseLocation.Unsupported(description: "the name must have 1 to 200 characters") }
    try await store.insertMerchant(MerchantRecord(
        id: credentials.accountID, name: name, apiKeyHash: Digest.sha256Hex(credentials.apiKey),
        publicKey: credentials.publicKey, callbackSecretSealed: try sealer.seal(credentials.callbackSecret),
        createdMs: Clock.nowMillis()))
    await backend.shutdown()
    return credentials
}

/// The demo merchant (`coma_DemoMerchant000001`) exists only while the gateway is a demo: every provider a sandbox.
enum DemoMerchantPolicy {
    /// At start-up: in demo mode the account is created, enabled and given the configured key (so a changed
    /// `PAYOUT_GATEWAY_DEMO_API_KEY` reaches an existing account); otherwise an existing demo account is disabled,
    /// with a log line, so that its well-known key never creates live payouts. Returns the demo merchant when active.
    static func apply(_ demo: GatewayConfiguration.DemoMerchant?, demoMode: Bool, store: any PayoutStore, sealer: FieldSealer,
                      logger: Logger) async throws -> GatewayConfiguration.DemoMerchant? {
        let id = (demo ?? GatewayConfiguration.DemoMerchant()).accountID
        let existing = try await store.merchant(id: id)
        guard demoMode, let demo else {
            if let existing, existing.disabledMs == nil {
                _ = try await store.setMerchantDisabled(id: id, disabledMs: Clock.nowMillis())
                logger.notice("demo merchant disabled: routes.json has providers that are not sandboxes", metadata: ["merchant.id": "\(id)"])
            }
            return nil
        }
        let hash = Digest.sha256Hex(demo.apiKey.value)
        if let existing {
            if existing.disabledMs != nil {
                _ = try await store.setMerchantDisabled(id: id, disabledMs: nil)
                logger.notice("demo merchant enabled: every provider is a sandbox", metadata: ["merchant.id": "\(id)"])
            }
            if !Digest.constantTimeEquals(existing.apiKeyHash, hash) || existing.previousApiKeyHash != nil {
                _ = try await store.replaceMerchantKey(id: id, newHash: hash, previousUntilMs: nil)
                logger.notice("demo merchant key replaced by the configured one", metadata: ["merchant.id": "\(id)"])
            }
        } else {
            try await store.insertMerchant(MerchantRecord(
                id: id, name: "Demo merchant", apiKeyHash: hash, publicKey: demo.publicKey,
                callbackSecretSealed: try sealer.seal(demo.callbackSecret.value), createdMs: Clock.nowMillis()))
        }
        return demo
    }
}

/// One merchant as `merchants list` shows it (never a key or a secret).
public struct MerchantSummary: Sendable {
    public let id: String
    public let name: String
    public let publicKey: String
    public let createdMs: Int64
    public let disabledMs: Int64?
    public let previousKeyUntilMs: Int64?

    public var json: JSONValue {
        [
            "id": .string(id), "name": .string(name), "public_key": .string(publicKey),
            "created": .number(Decimal(createdMs / 1000)), "disabled": .bool(disabledMs != nil),
            "previous_key_valid_until": previousKeyUntilMs.map { .number(Decimal($0 / 1000)) } ?? .null,
        ]
    }
}

/// Merchant administration against a store (the `merchants` commands); each opens and closes the store.
public enum MerchantAdmin {
    public struct UnknownMerchant: Error, CustomStringConvertible {
        public let description: String
    }

    static func withStore<T: Sendable>(_ databaseURL: String, logger: Logger, _ body: (SQLPayoutStore) async throws -> T) async throws -> T {
        let location = try DatabaseLocation.parse(databaseURL)
        if location == .sqliteMemory { throw DatabaseLocation.Unsupported(description: "merchants need a persistent database") }
        let backend = try await location.open(logger: logger)
        let store = SQLPayoutStore(backend: backend)
        do {
            try await store.migrate()
            let result = try await body(store)
            await backend.shutdown()
            return result
        } catch {
            await backend.shutdown()
            throw error
        }
    }

    public static func list(databaseURL: String, logger: Logger) async throws -> [MerchantSummary] {
        try await withStore(databaseURL, logger: logger) { store in
            try await store.merchants().map {
                MerchantSummary(id: $0.id, name: $0.name, publicKey: $0.publicKey, createdMs: $0.createdMs, disabledMs: $0.disabledMs,
                                previousKeyUntilMs: $0.previousKeyUntilMs.flatMap { $0 > Clock.nowMillis() ? $0 : nil })
            }
        }
    }

    /// Disables (or, with `enabled`, enables again) a merchant: its keys are refused within the gateways'
    /// authentication cache lifetime (5 s).
    public static func setEnabled(_ enabled: Bool, id: String, databaseURL: String, logger: Logger) async throws {
        let found = try await withStore(databaseURL, logger: logger) { store in
            try await store.setMerchantDisabled(id: id, disabledMs: enabled ? nil : Clock.nowMillis())
        }
        guard found else { throw UnknownMerchant(description: "no merchant \(id)") }
    }

    /// Gives a merchant a new API key (returned once); the old key stays valid for `overlapSeconds` (0: not at all).
    public static func rotateKey(id: String, overlapSeconds: Int64, databaseURL: String, logger: Logger) async throws -> String {
        let key = Identifier.secret()
        let found = try await withStore(databaseURL, logger: logger) { store in
            try await store.replaceMerchantKey(
                id: id, newHash: Digest.sha256Hex(key), previousUntilMs: overlapSeconds > 0 ? Clock.nowMillis() + overlapSeconds * 1000 : nil)
        }
        guard found else { throw UnknownMerchant(description: "no merchant \(id)") }
        return key
    }

    /// `90s`, `30m`, `24h`, `7d` or plain seconds.
    public static func parseDuration(_ text: String) -> Int64? {
        let units: [Character: Int64] = ["s": 1, "m": 60, "h": 3600, "d": 86400]
        if let unit = text.last, let factor = units[unit], let value = Int64(text.dropLast()), value >= 0 { return value * factor }
        if let value = Int64(text), value >= 0 { return value }
        return nil
    }
}
