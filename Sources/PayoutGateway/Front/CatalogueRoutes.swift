import HTTPTypes
import Logging
import Foundation
import Hummingbird

/// The gateway's own service catalogue (`/api/payout-services`) and the public prerequest, from routes.json.
struct CatalogueRoutes: Sendable {
    let front: FrontDependencies

    /// One catalogue entry: a gateway service in one currency, with limits merged over eligible providers.
    struct Entry {
        let service: GatewayService
        let currency: Currency
        let available: Bool
        let amountMin: Int64?
        let amountMax: Int64?
        /// The gateway's fields merged with those of the providers that can take the entry.
        let fields: [FieldDefinition]
        var id: String { Identifier.derived("comcpos_", from: service.code + "/" + currency.code) }
    }

    func entries(merchantID: String?) -> [Entry] {
        let router = front.runtime.router()
        let table = router.table
        var result: [Entry] = []
        for service in table.services {
            for code in service.currencies {
                guard let currency = Currency(code: code) else { continue }
                var mins: [Int64] = []
                var maxes: [Int64?] = []
                var available = false
                var carriers: [String] = []
                for route in table.routes where route.service == service.code {
                    if let currencies = route.currencies, !currencies.contains(code) { continue }
                    if let merchants = route.merchants, !merchants.contains(merchantID ?? "") { continue }
                    for providerID in route.providers {
                        guard let provider = table.providers[providerID], provider.enabled,
                              let terms = provider.terms(service: service.code, currency: code),
                              front.runtime.snapshot.adapters[providerID] != nil
                        else { continue }
                        // The provider's own services list (JSON:API) narrows availability and limits.
                        var listedMin: Int64?
                        var listedMax: Int64?
                        if let listed = router.listedService(provider, service: service.code, currency: currency) {
                            switch listed {
                            case .failure: continue
                            case .success(let info?):
                                guard provider.eligibilityFlags.allSatisfy({ PayoutRouter.flag($0, of: info) }) else { continue }
                                listedMin = info.amountMin.flatMap { try? MinorUnits.parseSigned($0, exponent: currency.exponent) }
                                listedMax = info.amountMax.flatMap { try? MinorUnits.parseSigned($0, exponent: currency.exponent) }.flatMap { $0 > 0 ? $0 : nil }
                            case .success(nil): break
                            }
                        }
                        available = true
                        if !carriers.contains(providerID) { carriers.append(providerID) }
                        mins.append([terms.amountMin?.minor(exponent: currency.exponent), route.amountMin?.minor(exponent: currency.exponent), listedMin]
                            .compactMap { $0 }.max() ?? 1)
                        let providerMax = terms.amountMax?.minor(exponent: currency.exponent)
                        let routeMax = route.amountMax?.minor(exponent: currency.exponent)
                        maxes.append([providerMax, routeMax, listedMax].compactMap { $0 }.min())
                    }
                }
                var low = mins.min()
                var high: Int64? = maxes.contains(where: { $0 == nil }) ? nil : maxes.compactMap { $0 }.max()
                if let serviceMin = service.amountMin?.minor(exponent: currency.exponent) { low = max(low ?? serviceMin, serviceMin) }
                if let serviceMax = service.amountMax?.minor(exponent: currency.exponent) { high = min(high ?? serviceMax, serviceMax) }
                result.append(Entry(service: service, currency: currency, available: available, amountMin: low, amountMax: high,
                                    fields: router.fields(service: service, currency: code, providers: carriers)))
            }
        }
        return result
    }

    func register(on router: Router<BasicRequestContext>) {
        router.get("/api/payout-services") { request, _ in
            let merchant = try await front.authenticate(request)
            let sizeText = request.query("page[size]") ?? "20"
            let numberText = request.query("page[number]") ?? "1"
            guard let size = Int(sizeText), (1...100).contains(size) else {
                throw APIError.validation("page[size]", "This value should be between 1 and 100.")
            }
            guard let number = Int(numberText), number >= 1, number <= 100_000 else {
                throw APIError.validation("page[number]", "This value should be a positive integer.")
            }
            let all = entries(merchantID: merchant.id)
            let pages = max(1, (all.count + size - 1) / size)
            let slice = all.dropFirst((number - 1) * size).prefix(size)
            func link(_ page: Int) -> JSONValue { .string("/api/payout-services?page[number]=\(page)&page[size]=\(size)") }
            var links: [String: JSONValue] = ["first": link(1), "last": link(pages)]
            if number < pages { links["next"] = link(number + 1) }
            if number > 1 { links["prev"] = link(number - 1) }
            return Response.json([
                "meta": ["total": .number(Decimal(all.count)), "pages": .number(Decimal(pages)), "page": .number(Decimal(number))],
                "links": .object(links),
                "data": .array(slice.map(resource)),
            ])
        }
        router.get("/api/payout-services/:id") { request, context in
            let merchant = try await front.authenticate(request)
            let id = context.parameters.get("id") ?? ""
            let all = entries(merchantID: merchant.id)
            guard let entry = all.first(where: { $0.id == id }) ?? all.first(where: { $0.service.code == id }) else {
                throw APIError.notFound
            }
            return Response.json(["data": resource(entry)])
        }
        router.post("/public-api/payout-prerequest") { request, _ in try await prerequest(request) }
    }

    func resource(_ entry: Entry) -> JSONValue {
        let exponent = entry.currency.exponent
        func money(_ minor: Int64?) -> JSONValue { minor.map { .number(MinorUnits.decimal($0, exponent: exponent)) } ?? .null }
        return [
            "type": "payout-services",
            "id": .string(entry.id),
            "attributes": [
                "service": .string(entry.service.code),
                "service_method": .string(entry.service.method),
                "service_currency": .string(entry.currency.code),
                "available": .bool(entry.available),
                "active": .bool(entry.available),
                "enabled": .bool(entry.available),
                "amount_min": money(entry.amountMin),
                "amount_max": money(entry.amountMax),
                "fee_min": 0, "fee_max": 0, "fee_rate": 0, "fee_fix": 0,
                "currency": .string(entry.currency.code),
                "test_mode": .bool(front.defaultTestMode),
                // Beyond the dialect's list: the destination fields a payout of this entry needs (the gateway's
                // merged with its providers'), as the prerequest gives them.
                "fields": Self.fieldsJSON(entry.fields),
            ],
            "relationships": [
                "payout-method": ["data": ["type": "payout-methods", "id": .string(entry.service.method)]],
                "payout-service": ["data": ["type": "payout-services", "id": .string(entry.service.code)]],
            ],
            "links": ["self": .string("/api/payout-services/\(entry.id)")],
        ]
    }

    /// Fields as the prerequest shows them (`key`, `type`, `label`, `example`, `hint`, `regexp`, `required`, `position`).
    static func fieldsJSON(_ fields: [FieldDefinition]) -> JSONValue {
        .array(fields.enumerated().map { index, field in
            let label: JSONValue = .object((field.label ?? ["en": field.key]).mapValues(JSONValue.string))
            return [
                "key": .string(field.key), "type": .string(field.type ?? "string"), "label": label,
                "example": field.example.map(JSONValue.string) ?? .null, "hint": label,
                "regexp": field.regexp.map(JSONValue.string) ?? .null,
                "required": .bool(field.required ?? false), "position": .number(Decimal(index)),
            ]
        })
    }

    func prerequest(_ request: Request) async throws -> Response {
        let (body, _) = try await front.jsonBody(request)
        guard let key = body["public_key"]?.stringValue, key.count <= 256,
              let merchant = try await front.merchant(publicKey: key)
        else { throw APIError.unauthorized }
        guard let code = body["currency"]?.stringValue, !code.isEmpty else {
            throw APIError.validation("currency", "This value should not be blank.")
        }
        guard let currency = Currency(code: code) else { throw APIError.validation("currency", "This value is not a valid currency.") }
        var amountMinor: Int64?
        if let amount = body["amount"], !amount.isNull {
            do {
                amountMinor = try MinorUnits.parse(amount.decimalText ?? "", exponent: currency.exponent)
            } catch .notPositive {
                throw APIError.validation("amount", "This value should be greater than 0.")
            } catch {
                throw APIError.validation("amount", "This value should be a valid amount in \(code).")
            }
        }
        let router = front.runtime.router()
        var offered: [String: JSONValue] = [:]
        var methods: [String: JSONValue] = [:]
        for entry in entries(merchantID: merchant.id) where entry.currency == currency && entry.available {
            if let amountMinor {
                if let low = entry.amountMin, amountMinor < low { continue }
                if let high = entry.amountMax, amountMinor > high { continue }
                guard (try? router.decide(service: entry.service.code, currency: currency, amountMinor: amountMinor, merchantID: merchant.id)) != nil else { continue }
            }
            let exponent = currency.exponent
            func money(_ minor: Int64?) -> JSONValue { minor.map { .number(MinorUnits.decimal($0, exponent: exponent)) } ?? .null }
            offered[entry.service.code] = [
                "code": .string(entry.service.code),
                "method": .string(entry.service.method),
                "currency": .string(code),
                "fields": Self.fieldsJSON(entry.fields),
                "amount_min": money(entry.amountMin),
                "amount_max": money(entry.amountMax),
                "exchange_rate": 1,
                "amount": amountMinor.map { .string(MinorUnits.format($0, exponent: exponent)) } ?? .null,
            ]
            methods[entry.service.method] = [
                "code": .string(entry.service.method), "category": "alternative", "description": "",
                "name": ["en": .string(entry.service.name)], "logo": nil, "icon": nil, "metadata": nil, "position": nil, "hide": nil,
            ]
        }
        return Response.json(["data": [
            "currency": .string(code),
            "amount": body["amount"] ?? .null,
            "test_mode": .bool(front.defaultTestMode),
            "services": .object(offered),
            "methods": .object(methods),
            "account": ["name": .string(merchant.name), "description": "", "icon": nil, "website": nil],
        ]])
    }
}
