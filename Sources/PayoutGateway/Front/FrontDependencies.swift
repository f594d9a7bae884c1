import Foundation
import HTTPTypes
import Hummingbird
import Logging
import Synchronization

/// What the merchant-facing handlers share.
struct FrontDependencies: Sendable {
    let store: any PayoutStore
    let runtime: GatewayRuntime
    let sealer: FieldSealer
    let logger: Logger
    /// Whether payouts default to test mode (the sandbox demo).
    let defaultTestMode: Bool
    /// Backpressure on creates (no bound unless given).
    var backlog = BacklogGate(limit: 0)
    /// Where merchant webhooks may go: a create with a refused `callback_url` answers 422.
    var webhooks = WebhookDestinationPolicy(allowedHosts: [], requireHTTPS: true)
    /// Per-merchant request rate (off unless given).
    var rateLimiter = MerchantRateLimiter(ratePerSecond: 0)
    /// The demo merchant's id: it is refused whenever the routing table has a provider that is not a sandbox (a
    /// reload that brings real providers shuts it out at once, without waiting for a restart).
    var demoMerchantID: String?

    static let maxBodyBytes = 64 * 1024

    /// Recently verified credentials (a few seconds), so that a merchant's stream of requests does not read and hash
    /// its key on every one.
    var authCache = MerchantAuthCache(ttlMillis: 5_000)

    /// HTTP Basic: merchant account id and API key (only its hash is stored).
    func authenticate(_ request: Request) async throws -> MerchantRecord {
        guard let header = request.headers[.authorization] else { throw APIError.unauthorized }
        let now = Clock.nowMillis()
        if let merchant = authCache.merchant(for: header, nowMillis: now) {
            guard admits(merchant) else { throw APIError.unauthorized }
            LogContext.set("merchant.id", merchant.id)
            try limit(merchant, nowMillis: now)
            return merchant
        }
        guard header.lowercased().hasPrefix("basic "),
              let decoded = Data(base64Encoded: String(header.dropFirst(6)).trimmingCharacters(in: .whitespaces)),
              let text = String(data: decoded, encoding: .utf8), let colon = text.firstIndex(of: ":")
        else { throw APIError.unauthorized }
        let accountID = String(text[..<colon])
        let apiKey = String(text[text.index(after: colon)...])
        guard accountID.count <= 64, apiKey.count <= 256, let merchant = try await store.merchant(id: accountID),
              merchant.accepts(apiKey: apiKey, nowMillis: now), admits(merchant)
        else { throw APIError.unauthorized }
        authCache.remember(merchant, for: header, nowMillis: now)
        LogContext.set("merchant.id", merchant.id)
        try limit(merchant, nowMillis: now)
        return merchant
    }

    /// 429 with `Retry-After` once the merchant is over its rate.
    func limit(_ merchant: MerchantRecord, nowMillis: Int64) throws(APIError) {
        if let seconds = rateLimiter.take(merchant.id, nowMillis: nowMillis) {
            throw APIError.tooManyRequests(retryAfter: seconds, detail: "Too many requests for this account; repeat this request in \(seconds) s.")
        }
    }

    /// The merchant of a public key (public API, prerequest), unless it is disabled or shut out.
    func merchant(publicKey: String) async throws -> MerchantRecord? {
        guard publicKey.count <= 256, let merchant = try await store.merchant(publicKey: publicKey),
              merchant.disabledMs == nil, admits(merchant)
        else { return nil }
        try limit(merchant, nowMillis: Clock.nowMillis())
        return merchant
    }

    /// The demo merchant only while every provider is a sandbox.
    func admits(_ merchant: MerchantRecord) -> Bool {
        guard let demo = demoMerchantID, merchant.id == demo else { return true }
        return runtime.snapshot.table.providers.values.allSatisfy(\.isSandbox)
    }

    /// Reads a JSON body: 415 for another media type, 413 over 64 KiB, 400 when it does not parse.
    func jsonBody(_ request: Request) async throws -> (JSONValue, Data) {
        if let type = request.headers[.contentType]?.lowercased() {
            let media = type.split(separator: ";").first.map { $0.trimmingCharacters(in: .whitespaces) } ?? ""
            guard media == "application/json" || media == "application/vnd.api+json" || media.hasSuffix("+json") else {
                throw APIError.http(.unsupportedMediaType)
            }
        }
        if let length = request.headers[.contentLength].flatMap(Int.init), length > Self.maxBodyBytes {
            throw APIError.http(.contentTooLarge)
        }
        var request = request
        let buffer: ByteBuffer
        do {
            buffer = try await request.collectBody(upTo: Self.maxBodyBytes)
        } catch {
            throw APIError.http(.contentTooLarge)
        }
        let data = Data(buffer: buffer)
        guard let value = try? JSONCoding.decode(JSONValue.self, from: data) else {
            throw APIError.http(.badRequest, detail: "The body is not valid JSON.")
        }
        return (value, data)
    }

    func document(_ payout: PayoutRecord) async throws -> [UInt8] {
        let (attempts, webhooks) = try await store.history(payoutId: payout.id)
        return InvoiceDocument.single(payout, attempts: attempts, webhooks: webhooks)
    }
}

/// Verified `Authorization` header values and their merchant, each for `ttlMillis` (only successes are kept; at most
/// 10,000 entries). The header holds the key itself, so entries live in memory only and never reach a log.
final class MerchantAuthCache: Sendable {
    let ttlMillis: Int64
    private let entries = Mutex<[String: (merchant: MerchantRecord, expiresAt: Int64)]>([:])

    init(ttlMillis: Int64) {
        self.ttlMillis = ttlMillis
    }

    func merchant(for header: String, nowMillis: Int64) -> MerchantRecord? {
        guard ttlMillis > 0 else { return nil }
        return entries.withLock { entries in
            guard let entry = entries[header] else { return nil }
            guard entry.expiresAt > nowMillis else {
                entries[header] = nil
                return nil
            }
            return entry.merchant
        }
    }

    func remember(_ merchant: MerchantRecord, for header: String, nowMillis: Int64) {
        guard ttlMillis > 0 else { return }
        entries.withLock { entries in
            if entries.count >= 10_000 { entries = entries.filter { $0.value.expiresAt > nowMillis } }
            if entries.count >= 10_000 { entries.removeAll() }
            entries[header] = (merchant, nowMillis + ttlMillis)
        }
    }
}

extension Request {
    /// A query parameter by name (`page[size]`, `filter[reference_id]`), with brackets sent raw or
    /// percent-encoded (`page%5Bsize%5D`), as clients differ.
    public func query(_ name: String) -> String? {
        guard let query = uri.query else { return nil }
        for pair in query.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let key = Self.decode(parts[0])
            guard key == name else { continue }
            return parts.count > 1 ? Self.decode(parts[1]) : ""
        }
        return nil
    }

    private static func decode(_ text: Substring) -> String {
        let spaced = text.replacingOccurrences(of: "+", with: " ")
        return spaced.removingPercentEncoding ?? spaced
    }
}
