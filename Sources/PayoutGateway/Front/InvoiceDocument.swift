import HTTPTypes
import Logging
import Foundation

/// Renders payouts in the JSON:API dialect's invoice shapes (private resource, list, public flat shape).
public enum InvoiceDocument {
    public static func resource(_ payout: PayoutRecord, attempts: [AttemptRecord], webhooks: [WebhookRecord]?) -> JSONValue {
        let exponent = Currency(code: payout.currency)?.exponent ?? 2
        func money(_ minor: Int64) -> JSONValue { .number(MinorUnits.decimal(minor, exponent: exponent)) }
        let processed = payout.processedAt.map { JSONValue.number(Decimal($0)) } ?? .null
        let processedAmount = payout.processedAmountMinor.map(money) ?? .null
        let isProcessed = payout.processedAmountMinor != nil
        var attributes: [String: JSONValue] = [
            "serial_number": .string(String(payout.id.dropFirst("cpoi_".count))),
            "status": .string(payout.status),
            "resolution": .string(payout.resolution),
            "amount": money(payout.amountMinor),
            "payout_amount": money(payout.amountMinor),
            "currency": .string(payout.currency),
            "service": .string(payout.service),
            "service_currency": .string(payout.currency),
            "service_amount": money(payout.amountMinor),
            "service_payout_amount": money(payout.amountMinor),
            "reference_id": .string(payout.referenceId),
            "test_mode": .bool(payout.testMode),
            "description": payout.description.map(JSONValue.string) ?? .null,
            "fee": money(payout.feeMinor),
            "writeoff": money(payout.amountMinor + payout.feeMinor),
            "exchange_rate": 1,
            "processed": processed,
            "processed_amount": processedAmount,
            "processed_fee": money(isProcessed ? payout.feeMinor : 0),
            "processed_writeoff": isProcessed ? money((payout.processedAmountMinor ?? 0) + payout.feeMinor) : .null,
            "metadata": parse(payout.metadata) ?? .object([:]),
            "created": .number(Decimal(payout.createdMs / 1000)),
            "updated": .number(Decimal(payout.updatedMs / 1000)),
            "fields": parse(payout.fieldsMasked) ?? .object([:]),
            "callback_url": payout.callbackUrl.map(JSONValue.string) ?? .null,
            "source": "merchant_api",
            "gateway": gateway(payout, attempts: attempts),
        ]
        if let webhooks { attributes["callback_logs"] = .array(webhooks.map(callbackLog)) }
        return [
            "type": "payout-invoices",
            "id": .string(payout.id),
            "attributes": .object(attributes),
            "relationships": [
                "payout-service": ["data": ["type": "payout-services", "id": .string(payout.service)]],
                "payout-method": ["data": ["type": "payout-methods", "id": .string(payout.method)]],
                "customer": ["data": payout.customerId.map { ["type": "customers", "id": .string($0)] } ?? .null],
            ],
            "links": ["self": .string("/api/payout-invoices/\(payout.id)")],
        ]
    }

    /// `{"data": resource}` as answered by GET, create, process and sent in webhooks.
    public static func single(_ payout: PayoutRecord, attempts: [AttemptRecord], webhooks: [WebhookRecord]) -> JSONValue {
        ["data": resource(payout, attempts: attempts, webhooks: webhooks)]
    }

    /// The public API's flat shape (no `attributes`).
    public static func publicShape(_ payout: PayoutRecord, method: String) -> JSONValue {
        let exponent = Currency(code: payout.currency)?.exponent ?? 2
        func money(_ minor: Int64) -> JSONValue { .number(MinorUnits.decimal(minor, exponent: exponent)) }
        return ["data": [
            "id": .string(payout.id),
            "serial_number": .string(String(payout.id.dropFirst("cpoi_".count))),
            "created": .number(Decimal(payout.createdMs / 1000)),
            "status": .string(payout.status),
            "resolution": .string(payout.resolution),
            "test_mode": .bool(payout.testMode),
            "currency": .string(payout.currency),
            "amount": money(payout.amountMinor),
            "payout_amount": money(payout.amountMinor),
            "service": .string(payout.service),
            "service_amount": money(payout.amountMinor),
            "service_payout_amount": money(payout.amountMinor),
            "service_method": .string(method),
            "service_currency": .string(payout.currency),
            "processed": payout.processedAt.map { .number(Decimal($0)) } ?? .null,
            "processed_amount": payout.processedAmountMinor.map(money) ?? .null,
        ]]
    }

    /// What the gateway adds: the provider, the routing decision and the attempts (no secrets, no card data).
    static func gateway(_ payout: PayoutRecord, attempts: [AttemptRecord]) -> JSONValue {
        var gateway: [String: JSONValue] = [
            "provider_id": payout.providerId.map(JSONValue.string) ?? .null,
            "redirect_url": payout.redirectUrl.map(JSONValue.string) ?? .null,
            "auto_process": .bool(payout.autoProcess),
            "process_requested": .bool(payout.processRequested),
            // `updated` is in whole seconds by the dialect; this one orders a payout's webhooks (it grows with every change).
            "updated_ms": .number(Decimal(payout.updatedMs)),
            "attempts": .array(attempts.map { attempt in
                [
                    "number": .number(Decimal(attempt.number)),
                    "provider_id": .string(attempt.providerId),
                    "reference": .string(attempt.reference),
                    "state": .string(attempt.state),
                    "provider_payout_id": attempt.providerPayoutId.map(JSONValue.string) ?? .null,
                    "provider_status": attempt.providerStatus.map(JSONValue.string) ?? .null,
                    "resolution": attempt.resolution.map(JSONValue.string) ?? .null,
                    "sends": .number(Decimal(attempt.sends)),
                ]
            }),
        ]
        if let reason = payout.pendingReason { gateway["pending_reason"] = .string(reason) }
        if let decision = payout.decision.flatMap({ try? JSONCoding.decode(JSONValue.self, from: $0) }) {
            gateway["decision"] = decision
        }
        return .object(gateway)
    }

    static func callbackLog(_ webhook: WebhookRecord) -> JSONValue {
        [
            "id": .number(Decimal(webhook.id)),
            "url": .string(webhook.url),
            "payout_status": .string(webhook.payoutStatus),
            "state": .string(webhook.state),
            "attempts": .number(Decimal(webhook.attempts)),
            "response_code": webhook.lastCode.map { .number(Decimal($0)) } ?? .null,
            "error": webhook.lastError.map(JSONValue.string) ?? .null,
            "created": .number(Decimal(webhook.createdMs / 1000)),
            "updated": .number(Decimal(webhook.updatedMs / 1000)),
        ]
    }

    static func parse(_ text: String?) -> JSONValue? {
        text.flatMap { try? JSONCoding.decode(JSONValue.self, from: $0) }
    }
}
