import HTTPTypes
import Logging
import Foundation

/// Renders payouts in the JSON:API dialect's invoice shapes (private resource, list, public flat shape), written
/// straight to bytes: GET, create, process, the list and every webhook answer with these, so no tree is built.
/// Keys are written sorted by their UTF-8 bytes (the same text ``JSONValue/jsonBytes()`` gives; `JSONBytesTests`
/// checks it on every shape). The stored JSON columns (fields, metadata, the routing decision) were written by this
/// gateway's own writer and are copied in as they are, not parsed and written again.
public enum InvoiceDocument {
    /// One invoice resource (`type`, `id`, `attributes`, `relationships`, `links`); `webhooks` adds `callback_logs`.
    public static func resource(_ payout: PayoutRecord, attempts: [AttemptRecord], webhooks: [WebhookRecord]?,
                                into json: inout JSONWriter) {
        let exponent = Currency(code: payout.currency)?.exponent ?? 2
        json.object { json in
            json.key("attributes")
            json.object { json in
                json.key("amount"); json.money(payout.amountMinor, exponent: exponent)
                if let webhooks {
                    json.key("callback_logs")
                    json.array { json in for webhook in webhooks { callbackLog(webhook, into: &json) } }
                }
                json.key("callback_url"); json.string(payout.callbackUrl)
                json.key("created"); json.integer(payout.createdMs / 1000)
                json.key("currency"); json.string(payout.currency)
                json.key("description"); json.string(payout.description)
                json.key("exchange_rate"); json.integer(1)
                json.key("fee"); json.money(payout.feeMinor, exponent: exponent)
                json.key("fields"); storedObject(payout.fieldsMasked, into: &json)
                json.key("gateway"); gateway(payout, attempts: attempts, into: &json)
                json.key("metadata"); storedObject(payout.metadata, into: &json)
                json.key("payout_amount"); json.money(payout.amountMinor, exponent: exponent)
                json.key("processed"); json.integer(payout.processedAt)
                json.key("processed_amount")
                if let processed = payout.processedAmountMinor { json.money(processed, exponent: exponent) } else { json.null() }
                json.key("processed_fee"); json.money(payout.processedAmountMinor == nil ? 0 : payout.feeMinor, exponent: exponent)
                json.key("processed_writeoff")
                if let processed = payout.processedAmountMinor {
                    json.money(processed + payout.feeMinor, exponent: exponent)
                } else {
                    json.null()
                }
                json.key("reference_id"); json.string(payout.referenceId)
                json.key("resolution"); json.string(payout.resolution)
                json.key("serial_number"); json.string(String(payout.id.dropFirst("cpoi_".count)))
                json.key("service"); json.string(payout.service)
                json.key("service_amount"); json.money(payout.amountMinor, exponent: exponent)
                json.key("service_currency"); json.string(payout.currency)
                json.key("service_payout_amount"); json.money(payout.amountMinor, exponent: exponent)
                json.key("source"); json.string("merchant_api")
                json.key("status"); json.string(payout.status)
                json.key("test_mode"); json.bool(payout.testMode)
                json.key("updated"); json.integer(payout.updatedMs / 1000)
                json.key("writeoff"); json.money(payout.amountMinor + payout.feeMinor, exponent: exponent)
            }
            json.key("id"); json.string(payout.id)
            json.key("links")
            json.object { json in json.key("self"); json.string("/api/payout-invoices/\(payout.id)") }
            json.key("relationships")
            json.object { json in
                json.key("customer")
                json.object { json in
                    json.key("data")
                    if let customerId = payout.customerId { identifier("customers", customerId, into: &json) } else { json.null() }
                }
                json.key("payout-method")
                json.object { json in json.key("data"); identifier("payout-methods", payout.method, into: &json) }
                json.key("payout-service")
                json.object { json in json.key("data"); identifier("payout-services", payout.service, into: &json) }
            }
            json.key("type"); json.string("payout-invoices")
        }
    }

    /// `{"data": resource}` as answered by GET, create, process and sent in webhooks.
    public static func single(_ payout: PayoutRecord, attempts: [AttemptRecord], webhooks: [WebhookRecord]) -> [UInt8] {
        var json = JSONWriter()
        json.object { json in
            json.key("data")
            resource(payout, attempts: attempts, webhooks: webhooks, into: &json)
        }
        return json.bytes
    }

    /// The public API's flat shape (no `attributes`).
    public static func publicShape(_ payout: PayoutRecord, method: String) -> [UInt8] {
        let exponent = Currency(code: payout.currency)?.exponent ?? 2
        var json = JSONWriter(capacity: 512)
        json.object { json in
            json.key("data")
            json.object { json in
                json.key("amount"); json.money(payout.amountMinor, exponent: exponent)
                json.key("created"); json.integer(payout.createdMs / 1000)
                json.key("currency"); json.string(payout.currency)
                json.key("id"); json.string(payout.id)
                json.key("payout_amount"); json.money(payout.amountMinor, exponent: exponent)
                json.key("processed"); json.integer(payout.processedAt)
                json.key("processed_amount")
                if let processed = payout.processedAmountMinor { json.money(processed, exponent: exponent) } else { json.null() }
                json.key("resolution"); json.string(payout.resolution)
                json.key("serial_number"); json.string(String(payout.id.dropFirst("cpoi_".count)))
                json.key("service"); json.string(payout.service)
                json.key("service_amount"); json.money(payout.amountMinor, exponent: exponent)
                json.key("service_currency"); json.string(payout.currency)
                json.key("service_method"); json.string(method)
                json.key("service_payout_amount"); json.money(payout.amountMinor, exponent: exponent)
                json.key("status"); json.string(payout.status)
                json.key("test_mode"); json.bool(payout.testMode)
            }
        }
        return json.bytes
    }

    /// What the gateway adds: the provider, the routing decision and the attempts (no secrets, no card data).
    static func gateway(_ payout: PayoutRecord, attempts: [AttemptRecord], into json: inout JSONWriter) {
        json.object { json in
            json.key("attempts")
            json.array { json in
                for attempt in attempts {
                    json.object { json in
                        json.key("number"); json.integer(attempt.number)
                        json.key("provider_id"); json.string(attempt.providerId)
                        json.key("provider_payout_id"); json.string(attempt.providerPayoutId)
                        json.key("provider_status"); json.string(attempt.providerStatus)
                        json.key("reference"); json.string(attempt.reference)
                        json.key("resolution"); json.string(attempt.resolution)
                        json.key("sends"); json.integer(attempt.sends)
                        json.key("state"); json.string(attempt.state)
                    }
                }
            }
            json.key("auto_process"); json.bool(payout.autoProcess)
            if let decision = payout.decision, isStoredObject(decision) {
                json.key("decision"); json.raw(decision.utf8)
            }
            if let reason = payout.pendingReason { json.key("pending_reason"); json.string(reason) }
            json.key("process_requested"); json.bool(payout.processRequested)
            json.key("provider_id"); json.string(payout.providerId)
            json.key("redirect_url"); json.string(payout.redirectUrl)
            // `updated` is in whole seconds by the dialect; this one orders a payout's webhooks (it grows with every change).
            json.key("updated_ms"); json.integer(payout.updatedMs)
        }
    }

    static func callbackLog(_ webhook: WebhookRecord, into json: inout JSONWriter) {
        json.object { json in
            json.key("attempts"); json.integer(webhook.attempts)
            json.key("created"); json.integer(webhook.createdMs / 1000)
            json.key("error"); json.string(webhook.lastError)
            json.key("id"); json.integer(webhook.id)
            json.key("payout_status"); json.string(webhook.payoutStatus)
            json.key("response_code"); json.integer(webhook.lastCode)
            json.key("state"); json.string(webhook.state)
            json.key("updated"); json.integer(webhook.updatedMs / 1000)
            json.key("url"); json.string(webhook.url)
        }
    }

    static func identifier(_ type: StaticString, _ id: String, into json: inout JSONWriter) {
        json.object { json in
            json.key("id"); json.string(id)
            json.key("type"); json.string(type.description)
        }
    }

    /// A stored JSON object column copied in as it is; `{}` when absent or not an object.
    static func storedObject(_ text: String?, into json: inout JSONWriter) {
        if let text, isStoredObject(text) { json.raw(text.utf8) } else { json.raw("{}".utf8) }
    }

    /// The columns hold objects written by ``JSONValue/jsonBytes()`` in the same transaction as the payout; a cut or
    /// empty value (a damaged store) is left out rather than spliced into an answer.
    static func isStoredObject(_ text: String) -> Bool {
        text.utf8.first == UInt8(ascii: "{") && text.utf8.last == UInt8(ascii: "}")
    }
}
