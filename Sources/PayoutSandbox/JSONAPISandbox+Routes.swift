import PayoutGateway
import NIOFoundationCompat
import Logging
import Foundation
import HTTPTypes
import Hummingbird

extension JSONAPISandbox {
    func register(on router: Router<BasicRequestContext>) {
        let group = router.group(RouterPath(prefix))
        group.post("/api/payout-invoices") { request, _ in try await create(request) }
        group.get("/api/payout-invoices") { request, _ in try list(request) }
        group.get("/api/payout-invoices/:id") { request, context in
            try authorize(request)
            guard let invoice = state.withStorage({ $0.invoices[context.parameters.get("id") ?? ""] }) else { throw APIError.notFound }
            return Response.json(["data": resource(invoice, logs: true)])
        }
        group.post("/api/payout-invoices/:id/process") { request, context in try process(request, id: context.parameters.get("id") ?? "") }
        group.get("/api/payout-services") { request, _ in try servicesPage(request) }
        group.get("/api/payout-services/:id") { request, context in
            try authorize(request)
            let id = context.parameters.get("id") ?? ""
            guard let service = state.withStorage({ $0.services.first { $0.id == id } }) else { throw APIError.notFound }
            return Response.json(["data": serviceResource(service)])
        }
        group.post("/public-api/payout-prerequest") { request, _ in try await prerequest(request) }
        group.get("/public-api/payout-invoices/:id") { _, context in
            guard let invoice = state.withStorage({ $0.invoices[context.parameters.get("id") ?? ""] }) else { throw APIError.notFound }
            return Response.json(["data": publicResource(invoice)])
        }
        group.get("/sandbox/ledger") { _, _ in
            Response.json(.array(ledger().map { (try? JSONCoding.decode(JSONValue.self, from: JSONCoding.encode($0))) ?? .null }))
        }
        group.post("/sandbox/faults") { request, _ in
            var request = request
            let body = try await request.collectBody(upTo: 16 * 1024)
            let value = (try? JSONCoding.decode(JSONValue.self, from: Data(buffer: body))) ?? .null
            let faults = (value["faults"]?.arrayValue ?? []).compactMap { $0.stringValue.flatMap(SandboxFault.init(rawValue:)) }
            inject(faults)
            if let rate = value["fault_rate"]?.decimalText.flatMap(Double.init) { setFaultRate(rate) }
            if let mode = value["callbacks"]?.stringValue.flatMap(SandboxCallbackMode.init(rawValue:)) { setCallbackMode(mode) }
            return Response(status: .noContent)
        }
    }

    func authorize(_ request: Request) throws {
        let expected = "Basic " + Data("\(account.accountID):\(account.apiKey)".utf8).base64EncodedString()
        guard let header = request.headers[.authorization], SandboxSignatures.equal(header, expected) else {
            throw APIError.unauthorized
        }
    }

    func create(_ request: Request) async throws -> Response {
        try authorize(request)
        var request = request
        let buffer: ByteBuffer
        do { buffer = try await request.collectBody(upTo: 64 * 1024) } catch { throw APIError.http(.contentTooLarge) }
        guard let body = try? JSONCoding.decode(JSONValue.self, from: Data(buffer: buffer)) else { throw APIError.http(.badRequest) }
        let data = body["data"]
        if let type = data?["type"]?.stringValue, !["payout-invoice", "payout-invoices"].contains(type) {
            throw APIError.validation("type", "This value should be \"payout-invoice\".")
        }
        let attributes = data?["attributes"]?.objectValue ?? [:]
        var errors: [String: String] = [:]
        let reference = attributes["reference_id"]?.stringValue ?? ""
        if reference.isEmpty { errors["reference_id"] = "This value should not be blank." }
        let code = attributes["service"]?.stringValue ?? ""
        let currencyCode = attributes["currency"]?.stringValue ?? ""
        let services = state.withStorage { $0.services }
        let service = services.first { $0.code == code && $0.currency == currencyCode }
        if code.isEmpty { errors["service"] = "This value should not be blank." } else if service == nil { errors["service"] = "Service is not available." }
        guard let currency = Currency(code: currencyCode) else { throw APIError.validation(errors.merging(["currency": "This value is not a valid currency."]) { a, _ in a }) }
        var amountMinor: Int64 = 0
        do {
            amountMinor = try MinorUnits.parse(attributes["amount"]?.decimalText ?? "", exponent: currency.exponent)
            if let service {
                if let min = try? MinorUnits.parseSigned(service.amountMin, exponent: currency.exponent), amountMinor < min { errors["amount"] = "invalid amount" }
                if let max = try? MinorUnits.parseSigned(service.amountMax, exponent: currency.exponent), amountMinor > max { errors["amount"] = "invalid amount" }
            }
        } catch .notPositive {
            errors["amount"] = "This value should be greater than 0."
        } catch {
            errors["amount"] = "This value is not valid."
        }
        var fields: [String: String] = [:]
        for (key, value) in attributes["fields"]?.objectValue ?? [:] {
            if let text = value.stringValue ?? value.decimalText { fields[key] = text }
        }
        for field in service?.fields ?? [] {
            let value = fields[field.key] ?? ""
            if value.isEmpty, field.required == true { errors["fields.\(field.key)"] = "This value should not be blank." }
            if !value.isEmpty, let pattern = field.regexp, !FieldPattern.matches(pattern, value) { errors["fields.\(field.key)"] = "This value is not valid." }
        }
        guard errors.isEmpty, let service else { throw APIError.validation(errors) }

        let fault = nextFault()
        switch fault {
        case .errorBeforeStore?: throw APIError.internalError
        case .rateLimited?: throw APIError.http(.tooManyRequests)
        default: break
        }
        let now = Clock.nowMillis()
        let (planned, resolution, reverse) = plan(fields: fields, amountMinor: amountMinor)
        let autoProcess = attributes["options"]?["auto_process"]?.boolValue ?? false
        var invoice = SandboxInvoice(
            id: Identifier.make("cpoi_"), referenceID: reference, service: service.code, method: service.method,
            currency: currency.code, amountMinor: amountMinor, exponent: currency.exponent,
            fieldsMasked: Masking.maskFields(fields), status: "created", resolution: "ok",
            testMode: attributes["test_mode"]?.boolValue ?? true, description: attributes["description"]?.stringValue,
            callbackURL: attributes["callback_url"]?.stringValue, created: now / 1000, updated: now / 1000,
            plannedStatus: planned, plannedResolution: resolution, reverseAfterSuccess: reverse,
            dueAtMillis: nil, visibleAtMillis: fault == .lateVisibility || fault == .hiddenAfterStore ? now + lateVisibilityMillis : now)
        if autoProcess { startProcessing(&invoice, now: now) }
        let stored: SandboxInvoice? = state.withStorage { storage in
            if storage.byReference[reference] != nil { return nil }
            storage.save(invoice, nowMillis: now)
            storage.order.append(invoice.id)
            storage.byReference[reference] = invoice.id
            return invoice
        }
        guard let stored else {
            throw APIError(status: .conflict, body: ["errors": [["status": "Conflict", "code": "409", "detail": "Duplicate reference_id."]]])
        }
        switch fault {
        case .errorAfterStore?, .hiddenAfterStore?: throw APIError.internalError
        case .timeoutAfterStore?: try await Task.sleep(for: .milliseconds(faultDelayMillis))
        case .resetAfterStore?: return brokenResponse()
        default: break
        }
        return Response.json(["data": resource(stored, logs: true)], status: .created)
    }

    func nextFault() -> SandboxFault? { state.faults.next() }

    /// Scripted outcomes: `test_details_payout_status` (normalised) wins; otherwise the amount's last two
    /// minor digits: 13 declined, 14 stays process_pending, 15 expired, 16 processed then canceled.
    func plan(fields: [String: String], amountMinor: Int64) -> (String, String, Bool) {
        if let wanted = fields["test_details_payout_status"] {
            let status = wanted.lowercased().replacingOccurrences(of: " ", with: "_").replacingOccurrences(of: "-", with: "_")
            let resolution = fields["test_details_payout_resolution"]?.lowercased().replacingOccurrences(of: " ", with: "_")
            if status == "canceled" { return ("processed", resolution ?? "ok", true) }
            return (status, resolution ?? (status == "processed" ? "ok" : "declined_error"), false)
        }
        if let rate = fields["test_details_success_rate"].flatMap(Int.init) {
            return Int.random(in: 0..<100) < rate ? ("processed", "ok", false) : ("process_failed", "declined_error", false)
        }
        switch amountMinor % 100 {
        case 13: return ("process_failed", "declined_error", false)
        case 14: return ("process_pending", "ok", false)
        case 15: return ("expired", "operation_expired", false)
        case 16: return ("processed", "ok", true)
        default: return ("processed", "ok", false)
        }
    }

    func startProcessing(_ invoice: inout SandboxInvoice, now: Int64) {
        guard invoice.status == "created" else { return }
        invoice.status = "processing"
        invoice.updated = now / 1000
        invoice.dueAtMillis = now + processingMillis
    }

    func process(_ request: Request, id: String) throws -> Response {
        try authorize(request)
        let now = Clock.nowMillis()
        let invoice: SandboxInvoice? = state.withStorage { storage in
            guard var invoice = storage.invoices[id] else { return nil }
            invoice.processCalls += 1
            let before = invoice
            startProcessing(&invoice, now: now)
            storage.save(invoice, nowMillis: now)
            return before
        }
        guard let invoice else { throw APIError.notFound }
        // The dialect answers process with the invoice as it was (still `created`).
        return Response.json(["data": resource(invoice, logs: true)])
    }

    func list(_ request: Request) throws -> Response {
        try authorize(request)
        let now = Clock.nowMillis()
        if let reference = request.query("filter[reference_id]") {
            let found = state.withStorage { storage in
                storage.byReference[reference].flatMap { storage.invoices[$0] }.flatMap { $0.visibleAtMillis <= now ? $0 : nil }
            }
            let data = found.map { [resource($0, logs: false)] } ?? []
            return Response.json([
                "meta": ["count": .number(Decimal(data.count)), "size": 20, "before": nil, "after": nil],
                "links": ["prev": "", "next": ""], "data": .array(data),
            ])
        }
        let size = min(max(Int(request.query("page[size]") ?? "20") ?? 20, 1), 100)
        let before = request.query("page[before]") ?? request.query("before")
        let after = request.query("page[after]") ?? request.query("after")
        let all: [SandboxInvoice] = state.withStorage { storage in storage.order.reversed().compactMap { storage.invoices[$0] } }
        var startIndex = 0
        var endIndex = all.count
        if let before, let index = all.firstIndex(where: { $0.id == before }) { startIndex = index + 1 }
        if let after, let index = all.firstIndex(where: { $0.id == after }) { endIndex = index; startIndex = max(0, index - size) }
        let page = Array(all[min(startIndex, all.count)..<max(min(startIndex + size, endIndex), min(startIndex, all.count))])
        let hasOlder = startIndex + page.count < all.count
        let hasNewer = startIndex > 0
        return Response.json([
            "meta": ["count": .number(Decimal(page.count)), "size": .number(Decimal(size)),
                     "before": page.last.map { .string($0.id) } ?? nil, "after": page.first.map { .string($0.id) } ?? nil],
            "links": [
                "prev": .string(hasNewer && page.first != nil ? "/api/payout-invoices?page[size]=\(size)&page[after]=\(page.first!.id)" : ""),
                "next": .string(hasOlder && page.last != nil ? "/api/payout-invoices?page[size]=\(size)&page[before]=\(page.last!.id)" : ""),
            ],
            "data": .array(page.map { resource($0, logs: false) }),
        ])
    }

    func servicesPage(_ request: Request) throws -> Response {
        try authorize(request)
        let size = min(max(Int(request.query("page[size]") ?? "20") ?? 20, 1), 100)
        let number = max(Int(request.query("page[number]") ?? "1") ?? 1, 1)
        let services = state.withStorage { $0.services }
        let pages = max(1, (services.count + size - 1) / size)
        let slice = services.dropFirst((number - 1) * size).prefix(size)
        func link(_ page: Int) -> JSONValue { .string("/\(prefix)/api/payout-services?page[number]=\(page)&page[size]=\(size)") }
        var links: [String: JSONValue] = ["first": link(1), "last": link(pages)]
        if number < pages { links["next"] = link(number + 1) }
        return Response.json([
            "meta": ["total": .number(Decimal(services.count)), "pages": .number(Decimal(pages)), "page": .number(Decimal(number))],
            "links": .object(links),
            "data": .array(slice.map(serviceResource)),
        ])
    }

    func prerequest(_ request: Request) async throws -> Response {
        var request = request
        let buffer = try await request.collectBody(upTo: 16 * 1024)
        guard let body = try? JSONCoding.decode(JSONValue.self, from: Data(buffer: buffer)) else { throw APIError.http(.badRequest) }
        guard body["public_key"]?.stringValue == account.publicKey else { throw APIError.unauthorized }
        let currency = body["currency"]?.stringValue ?? ""
        let services = state.withStorage { $0.services }.filter { $0.currency == currency && $0.available }
        var map: [String: JSONValue] = [:]
        for service in services {
            map[service.code] = [
                "code": .string(service.code), "method": .string(service.method), "currency": .string(service.currency),
                "fields": .array(service.fields.enumerated().map { index, field in
                    ["key": .string(field.key), "type": "string", "label": .object((field.label ?? [:]).mapValues(JSONValue.string)),
                     "example": nil, "hint": .object((field.label ?? [:]).mapValues(JSONValue.string)),
                     "regexp": field.regexp.map(JSONValue.string) ?? nil, "required": .bool(field.required ?? false), "position": .number(Decimal(index))]
                }),
                "amount_min": .string(service.amountMin), "amount_max": .string(service.amountMax), "exchange_rate": 1,
                "amount": body["amount"]?.decimalText.map(JSONValue.string) ?? nil,
            ]
        }
        return Response.json(["data": ["currency": .string(currency), "amount": body["amount"] ?? nil, "test_mode": true, "services": .object(map)]])
    }

    func resource(_ invoice: SandboxInvoice, logs: Bool) -> JSONValue {
        func money(_ minor: Int64) -> JSONValue { .number(MinorUnits.decimal(minor, exponent: invoice.exponent)) }
        var attributes: [String: JSONValue] = [
            "serial_number": .string(String(invoice.id.dropFirst(5))), "status": .string(invoice.status),
            "resolution": .string(invoice.resolution), "amount": money(invoice.amountMinor), "payout_amount": money(invoice.amountMinor),
            "currency": .string(invoice.currency), "service_currency": .string(invoice.currency),
            "service_amount": money(invoice.amountMinor), "service_payout_amount": money(invoice.amountMinor),
            "reference_id": .string(invoice.referenceID), "test_mode": .bool(invoice.testMode),
            "description": invoice.description.map(JSONValue.string) ?? nil, "fee": 0, "writeoff": money(invoice.amountMinor),
            "exchange_rate": 1, "processed": invoice.processed.map { .number(Decimal($0)) } ?? nil,
            "processed_amount": invoice.processedAmountMinor.map(money) ?? nil, "processed_fee": 0,
            "processed_writeoff": invoice.processedAmountMinor.map(money) ?? nil, "metadata": .object([:]),
            "created": .number(Decimal(invoice.created)), "updated": .number(Decimal(invoice.updated)),
            "fields": .object(invoice.fieldsMasked.mapValues(JSONValue.string)),
            "callback_url": invoice.callbackURL.map(JSONValue.string) ?? nil, "source": "merchant_api",
        ]
        if logs { attributes["callback_logs"] = [] }
        return [
            "type": "payout-invoices", "id": .string(invoice.id), "attributes": .object(attributes),
            "relationships": [
                "payout-service": ["data": ["type": "payout-services", "id": .string(invoice.service)]],
                "payout-method": ["data": ["type": "payout-methods", "id": .string(invoice.method)]],
            ],
            "links": ["self": .string("/api/payout-invoices/\(invoice.id)")],
        ]
    }

    func publicResource(_ invoice: SandboxInvoice) -> JSONValue {
        func money(_ minor: Int64) -> JSONValue { .number(MinorUnits.decimal(minor, exponent: invoice.exponent)) }
        return [
            "id": .string(invoice.id), "serial_number": .string(String(invoice.id.dropFirst(5))), "created": .number(Decimal(invoice.created)),
            "status": .string(invoice.status), "resolution": .string(invoice.resolution), "test_mode": .bool(invoice.testMode),
            "currency": .string(invoice.currency), "amount": money(invoice.amountMinor), "payout_amount": money(invoice.amountMinor),
            "service": .string(invoice.service), "service_amount": money(invoice.amountMinor), "service_payout_amount": money(invoice.amountMinor),
            "service_method": .string(invoice.method), "service_currency": .string(invoice.currency),
            "processed": invoice.processed.map { .number(Decimal($0)) } ?? nil, "processed_amount": invoice.processedAmountMinor.map(money) ?? nil,
        ]
    }

    func serviceResource(_ service: SandboxService) -> JSONValue {
        [
            "type": "payout-services", "id": .string(service.id),
            "attributes": [
                "service": .string(service.code), "service_method": .string(service.method), "service_currency": .string(service.currency),
                "available": .bool(service.available), "active": .bool(service.available), "enabled": true,
                "amount_min": .string(service.amountMin), "amount_max": .string(service.amountMax),
                "fee_min": 0, "fee_max": 0, "fee_rate": 0, "fee_fix": 0, "currency": .string(service.currency), "test_mode": true,
            ],
            "relationships": ["payout-method": ["data": ["type": "payout-methods", "id": .string(service.method)]]],
            "links": ["self": .string("/api/payout-services/\(service.id)")],
        ]
    }
}
