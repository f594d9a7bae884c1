import PayoutGateway
import Foundation
import HTTPTypes
import Hummingbird
import Logging

/// A simulator of a JSON:API payout provider (Payelata dialect), mounted under `/{prefix}` of the sandbox server.
public struct JSONAPISandbox: Sendable {
    public let prefix: String
    public let account: JSONAPISandboxAccount
    /// How long an invoice stays `processing` before its scripted final status.
    public var processingMillis: Int64
    /// Delay unit of the callback retry schedule (n × this before retry n; a minute at the real provider).
    public var callbackStepMillis: Int64
    /// How long a "timeout" fault holds its answer (longer than the client's deadline).
    public var faultDelayMillis: Int64 = 40_000
    /// How long a `late_visibility` payout stays hidden from lookups.
    public var lateVisibilityMillis: Int64 = 3_000
    let state: JSONAPISandboxState

    public init(prefix: String, account: JSONAPISandboxAccount = .generate(), processingMillis: Int64 = 1_500, callbackStepMillis: Int64 = 1_000) {
        self.prefix = prefix
        self.account = account
        self.processingMillis = processingMillis
        self.callbackStepMillis = callbackStepMillis
        self.state = JSONAPISandboxState(services: Self.defaultServices())
    }

    static func defaultServices() -> [SandboxService] {
        let card = FieldDefinition(key: "card_number", type: "string", required: true, regexp: "^\\\\d{12,19}$", label: ["en": "Card number"], example: nil)
        let test: [FieldDefinition] = [
            FieldDefinition(key: "account", type: "string", required: true, regexp: "^\\\\d{1,15}$", label: ["en": "Account"], example: nil),
            FieldDefinition(key: "test_details_success_rate", type: "string", required: false, regexp: "^\\\\d{1,15}$", label: ["en": "Success rate (%)"], example: nil),
            FieldDefinition(key: "test_details_payout_status", type: "string", required: false, regexp: "^[A-Z\\\\-\\\\sa-z_]{2,64}$", label: ["en": "Expected status"], example: nil),
            FieldDefinition(key: "test_details_payout_resolution", type: "string", required: false, regexp: "^[A-Z\\\\-\\\\sa-z_]{2,64}$", label: ["en": "Expected resolution"], example: nil),
        ]
        var services: [SandboxService] = []
        for currency in ["USD", "EUR", "GBP", "JPY", "BHD"] {
            services.append(SandboxService(id: Identifier.derived("comcpos_", from: "card/\(currency)"), code: "card", method: "payment_card", currency: currency, amountMin: "0.01", amountMax: "9999999", fields: [card]))
        }
        services.append(SandboxService(id: Identifier.derived("comcpos_", from: "test_usd"), code: "test_usd", method: "test", currency: "USD", amountMin: "0.01", amountMax: "9999999", fields: test))
        // Services named and limited per currency, as real providers list them; the CHF one asks for a holder name.
        services.append(SandboxService(id: Identifier.derived("comcpos_", from: "card_usd/USD"), code: "card_usd", method: "payment_card", currency: "USD", amountMin: "1", amountMax: "5000", fields: [card]))
        let holder = FieldDefinition(key: "card_holder", type: "string", required: true, regexp: "^[A-Za-z][A-Za-z .'-]{1,63}$", label: ["en": "Card holder"], example: "JOHN DOE")
        services.append(SandboxService(id: Identifier.derived("comcpos_", from: "card_chf/CHF"), code: "card_chf", method: "payment_card", currency: "CHF", amountMin: "1", amountMax: "3000", fields: [card, holder]))
        return services
    }

    // MARK: Test and chaos controls

    /// Keeps every finished record (the ledger then covers the whole run: the chaos suite checks it). By default
    /// finished records past 20,000 are dropped once two minutes old, so that a long demo keeps flat memory.
    public func keepEveryRecord() {
        state.withStorage { $0.schedule.retention = .everything }
    }

    /// Queues faults for the next create calls, in order.
    public func inject(_ faults: [SandboxFault]) {
        state.faults.inject(faults)
    }

    /// Injects a random fault into this share of create calls.
    public func setFaultRate(_ rate: Double) {
        state.faults.setRate(rate)
    }

    /// Makes callbacks duplicated, out of order or merged.
    public func setCallbackMode(_ mode: SandboxCallbackMode) {
        state.withStorage { $0.callbackMode = mode }
    }

    /// Changes a service's limits at run time (router tests).
    public func setLimits(_ code: String, currency: String, min: String, max: String) {
        state.withStorage { storage in
            for index in storage.services.indices where storage.services[index].code == code && storage.services[index].currency == currency {
                storage.services[index].amountMin = min
                storage.services[index].amountMax = max
            }
        }
    }

    /// Marks a service (by code and currency) available or not, for the router's tests.
    public func setAvailable(_ code: String, currency: String, _ available: Bool) {
        state.withStorage { storage in
            for index in storage.services.indices where storage.services[index].code == code && storage.services[index].currency == currency {
                storage.services[index].available = available
            }
        }
    }

    /// How many faults this simulator has injected.
    public var faultsInjected: Int { state.faults.injected }

    /// What money left the simulated provider: one line per invoice.
    public func ledger() -> [SandboxLedgerLine] {
        state.withStorage { storage in
            storage.order.compactMap { storage.invoices[$0] }.map {
                SandboxLedgerLine(provider: prefix, invoiceID: $0.id, reference: $0.referenceID, status: $0.status,
                                  currency: $0.currency, amountMinor: $0.amountMinor, payouts: $0.payouts, service: $0.service)
            }
        }
    }
}

/// One invoice as the sandbox ledger reports it.
public struct SandboxLedgerLine: Sendable, Codable, Hashable {
    public var provider: String
    public var invoiceID: String
    public var reference: String
    public var status: String
    public var currency: String
    public var amountMinor: Int64
    /// How many times money was paid out for it (a correct gateway never causes more than 1).
    public var payouts: Int
    /// The provider service it was created for (JSON:API).
    public var service: String?
    /// The endpoint (or `group/ID`) it was created on (PaynetEasy v4).
    public var endpoint: String?

    public init(provider: String, invoiceID: String, reference: String, status: String, currency: String, amountMinor: Int64, payouts: Int,
                service: String? = nil, endpoint: String? = nil) {
        self.provider = provider
        self.invoiceID = invoiceID
        self.reference = reference
        self.status = status
        self.currency = currency
        self.amountMinor = amountMinor
        self.payouts = payouts
        self.service = service
        self.endpoint = endpoint
    }

    enum CodingKeys: String, CodingKey {
        case provider, reference, status, currency, payouts, service, endpoint
        case invoiceID = "invoice_id"
        case amountMinor = "amount_minor"
    }
}
