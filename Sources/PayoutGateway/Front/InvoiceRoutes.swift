import Logging
import Foundation
import HTTPTypes
import Hummingbird
import Tracing

/// The private payout-invoices API: create, process, get by id or reference, cursor list.
struct InvoiceRoutes: Sendable {
    let front: FrontDependencies

    func register(on router: Router<BasicRequestContext>) {
        router.post("/api/payout-invoices") { request, _ in try await create(request) }
        router.get("/api/payout-invoices") { request, _ in try await list(request) }
        router.get("/api/payout-invoices/:id") { request, context in
            let merchant = try await front.authenticate(request)
            let payout = try await find(context.parameters.get("id") ?? "", merchant: merchant)
            return Response.json(bytes: try await front.document(payout))
        }
        router.post("/api/payout-invoices/:id/process") { request, context in
            let merchant = try await front.authenticate(request)
            let id = context.parameters.get("id") ?? ""
            let found = try await find(id, merchant: merchant)
            if !found.processRequested, found.status == PayoutStatus.created.rawValue, let seconds = front.backlog.refusal() {
                throw APIError.tooManyRequests(
                    retryAfter: seconds, detail: "The gateway has too many payouts in progress; repeat this request in \(seconds) s.")
            }
            guard let payout = try await front.store.requestProcessing(id: id, merchantId: merchant.id, nowMs: Clock.nowMillis()) else {
                throw APIError.notFound
            }
            if !found.processRequested, payout.processRequested { front.backlog.created() }
            return Response.json(bytes: try await front.document(payout))
        }
    }

    func find(_ id: String, merchant: MerchantRecord) async throws -> PayoutRecord {
        guard id.count <= 64, let payout = try await front.store.payout(id: id), payout.merchantId == merchant.id else {
            throw APIError.notFound
        }
        LogContext.set("payout.id", payout.id)
        return payout
    }

    func create(_ request: Request) async throws -> Response {
        let merchant = try await front.authenticate(request)
        if let seconds = front.backlog.refusal() {
            throw APIError.tooManyRequests(
                retryAfter: seconds, detail: "The gateway has too many payouts in progress; repeat this request in \(seconds) s.")
        }
        let (body, raw) = try await front.jsonBody(request)
        let idempotencyKey = request.headers[HTTPField.Name("Idempotency-Key")!]
        let requestHash = Digest.sha256Hex(String(decoding: raw, as: UTF8.self))
        if let key = idempotencyKey {
            guard !key.isEmpty, key.count <= 255 else { throw APIError.validation("idempotency_key", "This value should have 1 to 255 characters.") }
            if let stored = try await front.store.idempotency(merchantId: merchant.id, key: key) {
                return try await replay(stored, hash: requestHash, merchant: merchant)
            }
        }
        let table = front.runtime.snapshot.table
        let input = try CreateInvoiceRequest.validate(body, table: table, defaultTestMode: front.defaultTestMode, webhooks: front.webhooks)

        let payoutID = Identifier.timeOrdered("cpoi_", nowMillis: Clock.nowMillis())
        LogContext.set("payout.id", payoutID)
        let decision: RouteDecision
        do {
            decision = try front.runtime.router().decide(
                service: input.service.code, currency: input.currency, amountMinor: input.amountMinor, merchantID: merchant.id,
                reference: payoutID)
        } catch {
            if let existing = try await front.store.payout(merchantId: merchant.id, referenceId: input.referenceId) {
                return try await conflict(existing, key: idempotencyKey, hash: requestHash, merchant: merchant)
            }
            GatewayMetrics.routingDecision(route: "none", provider: "none")
            throw APIError.validation("service", "No provider can pay out \(input.service.code) in \(input.currency.code) for this amount right now (\(error.reason)).")
        }
        // The providers' own field rules (from their prerequest) apply too: any candidate may end up paying.
        let fields = front.runtime.router().fields(service: input.service, currency: input.currency.code, providers: decision.candidates)
        try CreateInvoiceRequest.checkFields(input.fields, against: fields)

        let now = Clock.nowMillis()
        let payout = PayoutRecord(
            id: payoutID, merchantId: merchant.id, referenceId: input.referenceId,
            status: PayoutStatus.created.rawValue, resolution: "ok", service: input.service.code, method: input.service.method,
            currency: input.currency.code, amountMinor: input.amountMinor, feeMinor: 0, testMode: input.testMode,
            description: input.description, fieldsMasked: JSONCoding.encodeString(Masking.maskFields(input.fields)),
            fieldsSealed: try front.sealer.seal(fields: input.fields),
            metadata: input.metadata.map { JSONCoding.encodeString($0) },
            customer: input.customer.map { JSONCoding.encodeString(Self.maskedCustomer($0)) },
            customerId: input.customer.map { Identifier.derived("cus_", from: merchant.id + "/" + ($0["reference_id"]?.stringValue ?? "")) },
            callbackUrl: input.callbackUrl, autoProcess: input.autoProcess, processRequested: input.autoProcess,
            providerId: nil, decision: decision.jsonText, redirectUrl: nil, pendingReason: nil,
            processedAt: nil, processedAmountMinor: nil, createdMs: now, updatedMs: now, nextActionAt: now,
            leaseOwner: nil, leaseUntil: nil)
        let event = PayoutEventRecord(payoutId: payout.id, atMs: now, kind: "created", detail: JSONCoding.encodeString(JSONValue.object([
            "reference_id": .string(input.referenceId), "amount_minor": .number(Decimal(input.amountMinor)),
            "currency": .string(input.currency.code), "service": .string(input.service.code),
            "fields": .object(Masking.maskFields(input.fields).mapValues(JSONValue.string)),
        ])))
        let reservation = idempotencyKey.map {
            IdempotencyRecord(merchantId: merchant.id, key: $0, requestHash: requestHash, statusCode: 0, body: payout.id, createdMs: now)
        }
        let result = try await withSpan("store.create") { span in
            span.attributes["payout.id"] = payout.id
            return try await front.store.createPayout(payout, event: event, reserving: reservation)
        }
        switch result {
        case .created(let stored):
            if stored.processRequested { front.backlog.created() }
            GatewayMetrics.payoutCreated()
            GatewayMetrics.routingDecision(route: decision.routeID ?? "-", provider: decision.candidates.first ?? "none")
            front.logger.info("payout created", metadata: ["payout.id": "\(stored.id)", "merchant.id": "\(merchant.id)"])
            // The answer from what was just written: a new payout has no attempts and no webhooks yet.
            let document = InvoiceDocument.single(stored, attempts: [], webhooks: [])
            try await remember(key: idempotencyKey, hash: requestHash, merchant: merchant, status: 201, document: document)
            return Response.json(bytes: document, status: .created)
        case .duplicate(let existing):
            return try await conflict(existing, key: idempotencyKey, hash: requestHash, merchant: merchant)
        case .keyTaken(let stored):
            return try await replay(stored, hash: requestHash, merchant: merchant)
        }
    }

    /// The answer for an `Idempotency-Key` already taken: the stored answer again for the same request, 422 for
    /// another request. A key taken by a create whose answer is not stored yet (in flight, or its process died)
    /// replays the payout it created.
    func replay(_ stored: IdempotencyRecord, hash: String, merchant: MerchantRecord) async throws -> Response {
        guard stored.requestHash == hash else {
            throw APIError.validation("idempotency_key", "This key was already used with a different request.")
        }
        var response: Response
        if stored.statusCode == 0 {
            guard let payout = try await front.store.payout(id: stored.body), payout.merchantId == merchant.id else {
                throw APIError.http(.conflict, detail: "A request with this Idempotency-Key is in progress; repeat it in a moment.")
            }
            response = Response.json(bytes: try await front.document(payout), status: .created)
        } else {
            // Stored by `remember` as the answer's own text.
            response = Response.json(bytes: stored.body.utf8, status: HTTPResponse.Status(code: Int(stored.statusCode)))
        }
        response.headers[HTTPField.Name("Idempotent-Replayed")!] = "true"
        return response
    }

    /// The dialect's 409: the previously created invoice in the body, so the merchant continues with it.
    func conflict(_ existing: PayoutRecord, key: String?, hash: String, merchant: MerchantRecord) async throws -> Response {
        let error = APIError.conflict(try await front.document(existing), detail: "An invoice with this reference_id already exists.")
        try await remember(key: key, hash: hash, merchant: merchant, status: 409, document: error.body.jsonBytes())
        throw error
    }

    func remember(key: String?, hash: String, merchant: MerchantRecord, status: Int, document: [UInt8]) async throws {
        guard let key else { return }
        try await front.store.saveIdempotency(IdempotencyRecord(
            merchantId: merchant.id, key: key, requestHash: hash, statusCode: Int64(status),
            body: String(decoding: document, as: UTF8.self), createdMs: Clock.nowMillis()))
    }

    /// The dialect's list document: `meta` (count, size, cursors), `links` (prev, next) and the invoices.
    static func listDocument(_ page: [PayoutRecord], attempts: [String: [AttemptRecord]], size: Int, before: String?,
                             after: String?, prev: String, next: String) -> [UInt8] {
        var json = JSONWriter(capacity: 2_048 * max(page.count, 1))
        json.object { json in
            json.key("data")
            json.array { json in
                for payout in page {
                    InvoiceDocument.resource(payout, attempts: attempts[payout.id] ?? [], webhooks: nil, into: &json)
                }
            }
            json.key("links")
            json.object { json in
                json.key("next"); json.string(next)
                json.key("prev"); json.string(prev)
            }
            json.key("meta")
            json.object { json in
                json.key("after"); json.string(after)
                json.key("before"); json.string(before)
                json.key("count"); json.integer(Int64(page.count))
                json.key("size"); json.integer(Int64(size))
            }
        }
        return json.bytes
    }

    static func maskedCustomer(_ customer: JSONValue) -> JSONValue {
        guard var object = customer.objectValue else { return customer }
        for key in ["phone", "individual_tax_id"] {
            if let value = object[key]?.stringValue { object[key] = .string(Masking.mask(value)) }
        }
        return .object(object)
    }

    func list(_ request: Request) async throws -> Response {
        let merchant = try await front.authenticate(request)
        if let reference = request.query("filter[reference_id]") {
            guard let payout = try await front.store.payout(merchantId: merchant.id, referenceId: reference) else {
                throw APIError.notFound
            }
            let attempts = try await front.store.attempts(payoutId: payout.id)
            return Response.json(bytes: Self.listDocument(
                [payout], attempts: [payout.id: attempts], size: 1, before: payout.id, after: payout.id, prev: "", next: ""))
        }
        let sizeText = request.query("page[size]") ?? "20"
        guard let size = Int(sizeText), (1...100).contains(size) else {
            throw APIError.validation("page[size]", "This value should be between 1 and 100.")
        }
        let before = request.query("page[before]") ?? request.query("before")
        let after = before == nil ? (request.query("page[after]") ?? request.query("after")) : nil
        for cursor in [before, after].compactMap({ $0 }) where cursor.count > 64 {
            throw APIError.validation("page", "This cursor is not valid.")
        }
        var page = try await front.store.payouts(merchantId: merchant.id, limit: size + 1, before: before, after: after)
        var hasOlder = false
        var hasNewer = false
        if after != nil {
            // Newer page: fetched oldest-first then reversed; an extra item means more newer ones.
            if page.count > size { page.removeFirst(); hasNewer = true }
            hasOlder = !page.isEmpty
        } else {
            if page.count > size { page.removeLast(); hasOlder = true }
            hasNewer = before != nil && !page.isEmpty
        }
        let newestID = page.first?.id
        let oldestID = page.last?.id
        let next = hasOlder && oldestID != nil ? "/api/payout-invoices?page[size]=\(size)&page[before]=\(oldestID!)" : ""
        let prev = hasNewer && newestID != nil ? "/api/payout-invoices?page[size]=\(size)&page[after]=\(newestID!)" : ""
        return Response.json(bytes: Self.listDocument(page, attempts: [:], size: size, before: oldestID, after: newestID, prev: prev, next: next))
    }
}
