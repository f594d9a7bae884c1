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
