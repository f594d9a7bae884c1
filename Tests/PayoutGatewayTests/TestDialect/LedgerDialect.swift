import Foundation
import HTTPTypes
import Logging
import PayoutGateway
import Synchronization

/// A test-only third dialect, registered through the dialect seam alone (``DialectRegistry/adding(_:)``): an
/// in-memory provider that pays a payout once it has been looked up `settle_after_lookups` times. It proves that a
/// dialect is its own folder: credentials, options, adapter and callback check all live here.
struct LedgerDialect: DialectDescription {
    let book: LedgerBook

    var dialect: ProviderDialect { ProviderDialect(rawValue: "test-ledger") }
    var requiredCredentials: [String] { ["token"] }
    var optionsKey: String? { "ledger" }
    var defaultRepeatedReference: RepeatedReference { .rejected }

    struct Options: Sendable, Codable {
        var settleAfterLookups: Int
        enum CodingKeys: String, CodingKey { case settleAfterLookups = "settle_after_lookups" }
    }

    func compileOptions(_ provider: ProviderDefinition, raw: JSONValue?, path: String, issues: inout [RoutesValidationError.Issue]) -> (any Sendable)? {
        guard let raw, let options = try? JSONCoding.decode(Options.self, from: Data(raw.jsonBytes())) else {
            issues.append(.init(path: "\(path).ledger", reason: "required: {\"settle_after_lookups\": n}"))
            return nil
        }
        guard (0...10).contains(options.settleAfterLookups) else {
            issues.append(.init(path: "\(path).ledger.settle_after_lookups", reason: "must be 0–10"))
            return nil
        }
        return options
    }

    func makeAdapter(config: ProviderConfig, baseURL: String, http: ProviderHTTP, logger: Logger) -> any ProviderAdapter {
        LedgerAdapter(id: config.id, baseURL: baseURL, settleAfter: (config.options as? Options)?.settleAfterLookups ?? 0, book: book)
    }

    /// `X-Ledger-Token` must be the provider's `token`; the body is our reference.
    func verifyCallback(_ callback: ProviderCallback, provider: ProviderConfig) throws(APIError) -> CallbackSubject {
        guard let token = provider.credential("token"), callback.headers[HTTPField.Name("X-Ledger-Token")!] == token else {
            throw APIError.http(.forbidden)
        }
        return CallbackSubject(providerPayoutID: nil, reference: String(decoding: callback.body, as: UTF8.self))
    }
}

/// What the ledger provider holds: reference → (amount, lookups so far, paid count).
final class LedgerBook: Sendable {
    struct Entry: Sendable {
        var amountMinor: Int64
        var lookups: Int
        var paid: Int
    }

    let entries = Mutex<[String: Entry]>([:])
}

struct LedgerAdapter: ProviderAdapter {
    let id: String
    let baseURL: String
    let settleAfter: Int
    let book: LedgerBook
    var needsConfirmation: Bool { false }

    func submit(_ request: ProviderPayoutRequest) async -> SubmitOutcome {
        book.entries.withLock { entries in
            if entries[request.reference] != nil { return .duplicate }
            entries[request.reference] = LedgerBook.Entry(amountMinor: request.amountMinor, lookups: 0, paid: 0)
            return .accepted(ProviderSnapshot(providerPayoutID: "L-" + request.reference, rawStatus: "accepted", outcome: .processing,
                                              merchantStatus: .processing))
        }
    }

    func confirm(reference: String, providerPayoutID: String, service: String, currency: Currency) async -> SubmitOutcome {
        .rejected(reason: "the ledger pays without confirmation")
    }

    func lookup(reference: String, providerPayoutID: String?, service: String, currency: Currency) async -> LookupOutcome {
        book.entries.withLock { entries in
            guard var entry = entries[reference] else { return .absent }
            entry.lookups += 1
            let settled = entry.lookups > settleAfter
            if settled, entry.paid == 0 { entry.paid = 1 }
            entries[reference] = entry
            var snapshot = ProviderSnapshot(
                providerPayoutID: "L-" + reference, rawStatus: settled ? "paid" : "processing", outcome: settled ? .succeeded : .processing,
                merchantStatus: settled ? .processed : .processing, processedAmountMinor: settled ? entry.amountMinor : nil)
            snapshot.amountMinor = entry.amountMinor
            return .found(snapshot)
        }
    }
}
