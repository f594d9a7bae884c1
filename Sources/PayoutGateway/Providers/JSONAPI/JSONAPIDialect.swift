import Foundation
import HTTPTypes
import Logging

/// The JSON:API payout-invoices dialect (Payelata) as the core sees it: credentials, adapter (with its services
/// list and prerequest fields) and callback check.
public struct JSONAPIDialect: DialectDescription {
    public init() {}
    public var dialect: ProviderDialect { .jsonapi }
    public var requiredCredentials: [String] { ["account_id", "api_key", "callback_secret"] }
    /// Its documents answer 409 to a repeated reference: an unclear create may be sent again.
    public var defaultRepeatedReference: RepeatedReference { .rejected }

    public func makeAdapter(config: ProviderConfig, baseURL: String, http: ProviderHTTP, logger: Logger) -> any ProviderAdapter {
        JSONAPIAdapter(config: config, baseURL: baseURL, http: http, logger: logger)
    }

    /// `X-Signature` = base64(SHA-1(secret + raw body + secret)) with the secret of the invoice's mode: test invoices
    /// are signed with the test secret (`callback_secret_test`, else `callback_secret`), live ones with the live one.
    public func verifyCallback(_ callback: ProviderCallback, provider: ProviderConfig) throws(APIError) -> CallbackSubject {
        let signature = callback.headers[.init("X-Signature")!] ?? ""
        let document = try? JSONCoding.decode(JSONValue.self, from: callback.body)
        let testMode = document?["data"].map { JSONAPIAdapter.attributes($0)["test_mode"]?.boolValue ?? false } ?? false
        let secret = testMode ? (provider.credential("callback_secret_test") ?? provider.credential("callback_secret")) : provider.credential("callback_secret")
        guard !signature.isEmpty, let secret, Digest.constantTimeEquals(Digest.callbackSignature(secret: secret, body: callback.body), signature) else {
            throw APIError.http(.forbidden)
        }
        guard let data = document?["data"] else { throw APIError.http(.badRequest) }
        return CallbackSubject(providerPayoutID: data["id"]?.stringValue, reference: JSONAPIAdapter.attributes(data)["reference_id"]?.stringValue)
    }
}
