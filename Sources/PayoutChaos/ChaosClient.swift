import PayoutGateway
import PayoutSandbox
import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import Synchronization

/// The chaos run's merchant: creates payouts (retrying with the same reference until acknowledged) and reads them back.
final class ChaosClient: Sendable {
    /// The destination card of every chaos payout (never to appear in clear in a log).
    static let cardNumber = "4444333322221111"
    struct PayoutState: Sendable {
        let status: String
        let pendingReason: String?
        let processedMinor: Int64?
    }

    let client: HTTPClient
    /// Every gateway instance; requests go to them in turn.
    let bases: [String]
    let authorization: String
    private let seen = Mutex<[String: PayoutState]>([:])
    private let turn = Atomic<Int>(0)

    /// The instance for the next request.
    var base: String { bases[turn.wrappingAdd(1, ordering: .relaxed).oldValue % bases.count] }

    init(client: HTTPClient, bases: [String], merchant: MerchantCredentials) {
        self.client = client
        self.bases = bases
        self.authorization = "Basic " + Data("\(merchant.accountID):\(merchant.apiKey)".utf8).base64EncodedString()
    }

    var lastSeen: [String: PayoutState] { seen.withLock { $0 } }

    func send(_ method: HTTPMethod, _ path: String, body: String? = nil, headers: [(String, String)] = []) async throws -> (Int, JSONValue) {
        var request = HTTPClientRequest(url: base + path)
        request.method = method
        request.headers.add(name: "Authorization", value: authorization)
        request.headers.add(name: "Connection", value: "close")
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(string: body))
        }
        let response = try await client.execute(request, timeout: .seconds(15))
        let buffer = try await response.body.collect(upTo: 8 << 20)
        let json = (try? JSONCoding.decode(JSONValue.self, from: Data(buffer.readableBytesView))) ?? .null
        return (Int(response.status.code), json)
    }

    func waitUntilUp(seconds: Double) async throws {
        let deadline = Date().addingTimeInterval(seconds)
        var up = Set<Int>()
        while Date() < deadline {
            for (index, base) in bases.enumerated() where !up.contains(index) {
                var request = HTTPClientRequest(url: base + "/health")
                request.headers.add(name: "Connection", value: "close")
                if let response = try? await client.execute(request, timeout: .seconds(5)), response.status == .ok { up.insert(index) }
            }
            if up.count == bases.count { return }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw CatalogueError(description: "the gateway did not come up")
    }

    /// Creates a payout; on a lost connection or a 5xx it asks again with the same reference_id (a 409 answers
    /// with the payout already created). Returns nil only for a definite refusal.
    /// Creates a payout; with `processLater` it is created with `auto_process: false` and `/process` follows at once,
    /// racing the engine's first step.
    func create(reference: String, currency: String, amountMinor: Int64, callbackPort: Int, processLater: Bool = false) async throws -> ChaosRun.Acknowledged? {
        let amount = MinorUnits.format(amountMinor, exponent: 2)
        let body = """
            {"data":{"type":"payout-invoice","attributes":{"service":"card","currency":"\(currency)","amount":\(amount),
            "reference_id":"\(reference)","fields":{"card_number":"\(Self.cardNumber)"},
            "callback_url":"http://127.0.0.1:\(callbackPort)/webhook","options":{"auto_process":\(!processLater)}}}}
            """
        for _ in 0..<600 {
            if let (status, json) = try? await send(.POST, "/api/payout-invoices", body: body) {
                if status == 201 || status == 409, let id = json["data"]?["id"]?.stringValue {
                    if processLater { try await process(id) }
                    return ChaosRun.Acknowledged(reference: reference, payoutID: id, currency: currency, amountMinor: amountMinor)
                }
                if (400..<500).contains(status), status != 409, status != 429 { return nil }
            }
            try await Task.sleep(for: .milliseconds(200))
        }
        return nil
    }

    /// The merchant's `/process`, retried until the gateway answers it.
    func process(_ id: String) async throws {
        for _ in 0..<600 {
            if let (status, _) = try? await send(.POST, "/api/payout-invoices/\(id)/process", body: "{}"), status < 500 { return }
            try await Task.sleep(for: .milliseconds(200))
        }
    }

    /// Every payout of the merchant, following the cursor pages.
    func allPayouts() async throws -> [String: PayoutState] {
        var result: [String: PayoutState] = [:]
        var path: String? = "/api/payout-invoices?page%5Bsize%5D=100"
        while let current = path {
            guard let (status, json) = try? await send(.GET, current), status == 200 else {
                try await Task.sleep(for: .milliseconds(300))
                continue
            }
            for item in json["data"]?.arrayValue ?? [] {
                guard let id = item["id"]?.stringValue, let attributes = item["attributes"] else { continue }
                let processed = attributes["processed_amount"]?.decimalText.flatMap { try? MinorUnits.parse($0, exponent: 2) }
                result[id] = PayoutState(
                    status: attributes["status"]?.stringValue ?? "", pendingReason: attributes["gateway"]?["pending_reason"]?.stringValue,
                    processedMinor: processed)
            }
            let next = json["links"]?["next"]?.stringValue ?? ""
            path = next.isEmpty ? nil : next.replacingOccurrences(of: "[", with: "%5B").replacingOccurrences(of: "]", with: "%5D")
        }
        seen.withLock { $0 = result }
        return result
    }

    /// Forged provider callbacks of both dialects; returns how many the gateway refused.
    func sendForgedCallbacks() async -> Int {
        var refused = 0
        let attempts: [(HTTPMethod, String, String?, [(String, String)])] = [
            (.GET, "/callbacks/payneteasy?status=approved&orderid=1&client_orderid=cpoi_forged&control=deadbeef", nil, []),
            (.GET, "/callbacks/cardzo?status=declined&orderid=2&client_orderid=cpoi_forged", nil, []),
            (.POST, "/callbacks/payelata", #"{"data":{"id":"cpoi_forged","attributes":{"status":"processed"}}}"#, [("X-Signature", "Zm9yZ2Vk")]),
        ]
        for (method, path, body, headers) in attempts {
            if let (status, _) = try? await send(method, path, body: body, headers: headers), status == 403 { refused += 1 }
        }
        return refused
    }
}
