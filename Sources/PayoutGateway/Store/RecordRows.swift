import SQLKit

/// Payouts, attempts and webhooks read from rows column by column, without `Codable`'s keyed containers: SQLKit's row decoder
/// asks each column whether it exists, whether it is NULL and then for its value, through a container per record
/// (about a tenth of a read's CPU). The column names are the records' coding keys.
extension SQLRow {
    fileprivate func value<T: Decodable>(_ column: some CodingKey) throws -> T {
        try decode(column: column.stringValue, as: T.self)
    }

    fileprivate func optional<T: Decodable>(_ column: some CodingKey) throws -> T? {
        try decodeNil(column: column.stringValue) ? nil : decode(column: column.stringValue, as: T.self)
    }
}

extension PayoutRecord {
    init(row: any SQLRow) throws {
        typealias Key = CodingKeys
        self.init(
            id: try row.value(Key.id), merchantId: try row.value(Key.merchantId), referenceId: try row.value(Key.referenceId),
            status: try row.value(Key.status), resolution: try row.value(Key.resolution), service: try row.value(Key.service),
            method: try row.value(Key.method), currency: try row.value(Key.currency), amountMinor: try row.value(Key.amountMinor),
            feeMinor: try row.value(Key.feeMinor), testMode: try row.value(Key.testMode), description: try row.optional(Key.description),
            fieldsMasked: try row.value(Key.fieldsMasked), fieldsSealed: try row.optional(Key.fieldsSealed),
            metadata: try row.optional(Key.metadata), customer: try row.optional(Key.customer), customerId: try row.optional(Key.customerId),
            callbackUrl: try row.optional(Key.callbackUrl), autoProcess: try row.value(Key.autoProcess),
            processRequested: try row.value(Key.processRequested), providerId: try row.optional(Key.providerId),
            decision: try row.optional(Key.decision), redirectUrl: try row.optional(Key.redirectUrl),
            pendingReason: try row.optional(Key.pendingReason), processedAt: try row.optional(Key.processedAt),
            processedAmountMinor: try row.optional(Key.processedAmountMinor), createdMs: try row.value(Key.createdMs),
            updatedMs: try row.value(Key.updatedMs), nextActionAt: try row.optional(Key.nextActionAt),
            leaseOwner: try row.optional(Key.leaseOwner), leaseUntil: try row.optional(Key.leaseUntil),
            leaseToken: try row.value(Key.leaseToken))
    }
}

extension AttemptRecord {
    init(row: any SQLRow) throws {
        typealias Key = CodingKeys
        self.init(
            id: try row.value(Key.id), payoutId: try row.value(Key.payoutId), providerId: try row.value(Key.providerId),
            number: try row.value(Key.number), reference: try row.value(Key.reference), state: try row.value(Key.state),
            providerPayoutId: try row.optional(Key.providerPayoutId), providerStatus: try row.optional(Key.providerStatus),
            serialNumber: try row.optional(Key.serialNumber), outcome: try row.optional(Key.outcome),
            resolution: try row.optional(Key.resolution), confirmSent: try row.value(Key.confirmSent),
            lookupMisses: try row.value(Key.lookupMisses), sends: try row.value(Key.sends), detail: try row.optional(Key.detail),
            createdMs: try row.value(Key.createdMs), updatedMs: try row.value(Key.updatedMs),
            unclearSends: try row.value(Key.unclearSends), duplicateSeen: try row.value(Key.duplicateSeen),
            confirmSends: try row.value(Key.confirmSends), lookupFailures: try row.value(Key.lookupFailures),
            absentSinceMs: try row.optional(Key.absentSinceMs))
    }
}

extension WebhookRecord {
    init(row: any SQLRow) throws {
        typealias Key = CodingKeys
        self.init(
            id: try row.value(Key.id), payoutId: try row.value(Key.payoutId), merchantId: try row.value(Key.merchantId),
            url: try row.value(Key.url), body: try row.value(Key.body), payoutStatus: try row.value(Key.payoutStatus),
            state: try row.value(Key.state), attempts: try row.value(Key.attempts), nextAttemptAt: try row.value(Key.nextAttemptAt),
            lastCode: try row.optional(Key.lastCode), lastError: try row.optional(Key.lastError), createdMs: try row.value(Key.createdMs),
            updatedMs: try row.value(Key.updatedMs))
    }
}
