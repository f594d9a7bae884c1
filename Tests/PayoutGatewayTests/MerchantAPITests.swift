import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import PayoutGateway
import PayoutSandbox
import Testing

@Suite("Merchant API: shapes, errors, idempotency")
struct MerchantAPITests {
    @Test("the seed's sample create answers 201 with the invoice in the dialect's shape, card number masked")
    func createShape() async throws {
        try await TestGateway.withGateway(try await TestGateway.configuration()) { _, client in
            let response = try await client.post("/api/payout-invoices", TestGateway.sampleCreate(reference: "ref-shape"))
            #expect(response.status == .created)
            let data = try #require(response.json["data"])
            #expect(data["type"] == "payout-invoices")
            let id = try #require(data["id"]?.stringValue)
            #expect(id.hasPrefix("cpoi_") && id.count == 21)
            let attributes = try #require(data["attributes"])
            #expect(attributes["serial_number"]?.stringValue == String(id.dropFirst(5)))
            #expect(attributes["status"] == "created")
            #expect(attributes["resolution"] == "ok")
            #expect(attributes["amount"] == 10)
            #expect(attributes["payout_amount"] == 10)
            #expect(attributes["currency"] == "USD")
            #expect(attributes["reference_id"] == "ref-shape")
            #expect(attributes["fields"]?["card_number"] == "512381******0000")
            #expect(attributes["metadata"]?["key"] == "value")
            #expect(attributes["source"] == "merchant_api")
            #expect(attributes["callback_logs"]?.arrayValue != nil)
            #expect(attributes["processed"] == .null)
            for key in ["created", "updated", "fee", "writeoff", "test_mode", "description", "callback_url", "processed_amount"] {
                #expect(attributes[key] != nil, "missing \(key)")
            }
            #expect(attributes["gateway"]?["decision"]?["candidates"]?.arrayValue?.isEmpty == false)
            #expect(data["relationships"]?["payout-service"]?["data"]?["id"] == "card")
            #expect(data["relationships"]?["payout-method"]?["data"]?["id"] == "payment_card")
            #expect(data["relationships"]?["customer"]?["data"]?["id"]?.stringValue?.hasPrefix("cus_") == true)
            #expect(data["links"]?["self"]?.stringValue == "/api/payout-invoices/\(id)")
            #expect(!String(decoding: response.body.readableBytesView, as: UTF8.self).contains("5123817234060000"))

            let fetched = try await client.get("/api/payout-invoices/\(id)")
            #expect(fetched.status == .ok)
            #expect(fetched.json["data"]?["id"]?.stringValue == id)
        }
    }

    @Test("validation errors are 422 with field-keyed errors", arguments: [
        (#""amount":0"#, "amount"), (#""amount":-1"#, "amount"), (#""amount":10.001"#, "amount"), (#""amount":"abc""#, "amount"),
    ])
    func amountValidation(fragment: String, field: String) async throws {
        try await TestGateway.withGateway(try await TestGateway.configuration()) { _, client in
            let body = TestGateway.sampleCreate().replacingOccurrences(of: #""amount":10"#, with: fragment)
            let response = try await client.post("/api/payout-invoices", body)
            #expect(response.status == .unprocessableContent)
            #expect(response.json["errors"]?[field]?.stringValue != nil)
        }
    }

    @Test("currency exponents decide how many decimals are allowed (JPY 0, USD 2, BHD 3)")
    func exponents() async throws {
        try await TestGateway.withGateway(try await TestGateway.configuration()) { _, client in
            let jpyBad = try await client.post("/api/payout-invoices", TestGateway.sampleCreate(amount: "10.5", currency: "JPY"))
            #expect(jpyBad.status == .unprocessableContent)
            let jpyGood = try await client.post("/api/payout-invoices", TestGateway.sampleCreate(amount: "1000", currency: "JPY"))
            #expect(jpyGood.status == .created)
            let bhd = try await client.post("/api/payout-invoices", TestGateway.sampleCreate(amount: "1.234", currency: "BHD"))
            #expect(bhd.status == .created)
            #expect(bhd.json["data"]?["attributes"]?["amount"] == .number(Decimal(string: "1.234")!))
            let bhdBad = try await client.post("/api/payout-invoices", TestGateway.sampleCreate(amount: "1.2345", currency: "BHD"))
            #expect(bhdBad.status == .unprocessableContent)
            let unknown = try await client.post("/api/payout-invoices", TestGateway.sampleCreate(currency: "XYZ"))
            #expect(unknown.json["errors"]?["currency"] != nil)
        }
    }

    @Test("unknown service, missing or malformed destination fields, bad reference ids are 422")
    func fieldValidation() async throws {
        try await TestGateway.withGateway(try await TestGateway.configuration()) { _, client in
            let service = try await client.post("/api/payout-invoices", TestGateway.sampleCreate().replacingOccurrences(of: #""service":"card""#, with: #""service":"nope""#))
            #expect(service.status == .unprocessableContent)
            #expect(service.json["errors"]?["service"] != nil)
            let card = try await client.post("/api/payout-invoices", TestGateway.sampleCreate(card: "12ab"))
            #expect(card.json["errors"]?["fields.card_number"] != nil)
            let missing = try await client.post("/api/payout-invoices", TestGateway.sampleCreate().replacingOccurrences(of: #""card_number":"5123817234060000""#, with: #""other":"1""#))
            #expect(missing.json["errors"]?["fields.card_number"] != nil)
            let long = try await client.post("/api/payout-invoices", TestGateway.sampleCreate(reference: String(repeating: "r", count: 129)))
            #expect(long.json["errors"]?["reference_id"] != nil)
            let empty = try await client.post("/api/payout-invoices", TestGateway.sampleCreate(reference: ""))
            #expect(empty.json["errors"]?["reference_id"] != nil)
            let url = try await client.post("/api/payout-invoices", TestGateway.sampleCreate(callback: "not a url"))
            #expect(url.json["errors"]?["callback_url"] != nil)
        }
    }

    @Test("401, 404, 405, 415, 400 and 413 answer in the dialect's error-array shape")
    func errorShapes() async throws {
        try await TestGateway.withGateway(try await TestGateway.configuration()) { _, client in
            func expectArray(_ response: Answer, _ code: Int, _ reason: String) {
                #expect(response.status.code == code)
                let error = response.json["errors"]?.arrayValue?.first
                #expect(error?["code"]?.stringValue == String(code))
                #expect(error?["status"]?.stringValue == reason)
            }
            expectArray(try await client.get("/api/payout-invoices", headers: [:]), 401, "Unauthorized")
            expectArray(try await client.get("/api/payout-invoices", headers: TestGateway.basicAuth("coma_DemoMerchant000001", "wrong")), 401, "Unauthorized")
            expectArray(try await client.get("/api/payout-invoices/cpoi_doesnotexist0000"), 404, "Not Found")
            expectArray(try await client.get("/api/nothing-here"), 404, "Not Found")
            expectArray(try await client.execute(uri: "/api/payout-invoices", method: .delete, headers: TestGateway.demoAuth), 405, "Method Not Allowed")
            var form = TestGateway.demoAuth
            form[.contentType] = "application/x-www-form-urlencoded"
            expectArray(try await client.post("/api/payout-invoices", "a=b", headers: form), 415, "Unsupported Media Type")
            expectArray(try await client.post("/api/payout-invoices", "{not json"), 400, "Bad Request")
            let big = "{\"data\":{\"attributes\":{\"description\":\"" + String(repeating: "x", count: 70_000) + "\"}}}"
            expectArray(try await client.post("/api/payout-invoices", big), 413, "Content Too Large")
        }
    }

    @Test("the same reference_id again answers 409 with the existing invoice; Idempotency-Key replays or refuses")
    func duplicatesAndIdempotency() async throws {
        try await TestGateway.withGateway(try await TestGateway.configuration()) { _, client in
            let first = try await client.post("/api/payout-invoices", TestGateway.sampleCreate(reference: "dup-1"))
            #expect(first.status == .created)
            let id = first.json["data"]?["id"]
            let again = try await client.post("/api/payout-invoices", TestGateway.sampleCreate(reference: "dup-1", amount: "11"))
            #expect(again.status == .conflict)
            #expect(again.json["data"]?["id"] == id)
            #expect(again.json["data"]?["attributes"]?["amount"] == 10)

            var headers = TestGateway.demoAuth
            headers[HTTPField.Name("Idempotency-Key")!] = "key-1"
            let body = TestGateway.sampleCreate(reference: "idem-1")
            let created = try await client.post("/api/payout-invoices", body, headers: headers)
            #expect(created.status == .created)
            let replay = try await client.post("/api/payout-invoices", body, headers: headers)
            #expect(replay.status == .created)
            #expect(replay.json["data"]?["id"] == created.json["data"]?["id"])
            let different = try await client.post("/api/payout-invoices", TestGateway.sampleCreate(reference: "idem-2"), headers: headers)
            #expect(different.status == .unprocessableContent)
            #expect(different.json["errors"]?["idempotency_key"] != nil)
        }
    }

    @Test("N concurrent creates with one reference_id make exactly one payout")
    func concurrentCreates() async throws {
        try await TestGateway.withGateway(try await TestGateway.configuration()) { _, client in
            let statuses = try await withThrowingTaskGroup(of: Int.self) { group in
                for _ in 0..<20 {
                    group.addTask { try await client.post("/api/payout-invoices", TestGateway.sampleCreate(reference: "race-1")).status.code }
                }
                return try await group.reduce(into: [Int]()) { $0.append($1) }
            }
            #expect(statuses.filter { $0 == 201 }.count == 1)
            #expect(statuses.filter { $0 == 409 }.count == 19)
            let list = try await client.get("/api/payout-invoices?filter[reference_id]=race-1")
            #expect(list.json["data"]?.arrayValue?.count == 1)
        }
    }

    @Test("merchant A never sees merchant B's payouts")
    func merchantIsolation() async throws {
        let configuration = try await TestGateway.configuration(database: "sqlite://\(FileManager.default.temporaryDirectory.path)/pgw-\(UUID().uuidString)/gw.sqlite")
        let other = try await createMerchant(name: "B", databaseURL: configuration.databaseURL, dataKeyFile: nil, dataKey: nil, logger: TestGateway.logger)
        try await TestGateway.withGateway(configuration) { _, client in
            let created = try await client.post("/api/payout-invoices", TestGateway.sampleCreate(reference: "iso-1"))
            let id = try #require(created.json["data"]?["id"]?.stringValue)
            let bAuth = TestGateway.basicAuth(other.accountID, other.apiKey)
            #expect(try await client.get("/api/payout-invoices/\(id)", headers: bAuth).status == .notFound)
            #expect(try await client.get("/api/payout-invoices?filter[reference_id]=iso-1", headers: bAuth).status == .notFound)
            #expect(try await client.get("/api/payout-invoices", headers: bAuth).json["data"]?.arrayValue?.isEmpty == true)
            #expect(try await client.post("/api/payout-invoices/\(id)/process", "{}", headers: bAuth).status == .notFound)
            // B may use the same reference_id: uniqueness is per merchant.
            #expect(try await client.post("/api/payout-invoices", TestGateway.sampleCreate(reference: "iso-1"), headers: bAuth).status == .created)
        }
    }

    @Test("the list pages newest first with cursors")
    func cursorPaging() async throws {
        try await TestGateway.withGateway(try await TestGateway.configuration()) { _, client in
            var ids: [String] = []
            for index in 0..<5 {
                let response = try await client.post("/api/payout-invoices", TestGateway.sampleCreate(reference: "page-\(index)"))
                ids.append(try #require(response.json["data"]?["id"]?.stringValue))
                try await Task.sleep(for: .milliseconds(5))
            }
            let first = try await client.get("/api/payout-invoices?page[size]=2")
            #expect(first.json["data"]?.arrayValue?.compactMap { $0["id"]?.stringValue } == [ids[4], ids[3]])
            #expect(first.json["meta"]?["count"] == 2)
            #expect(first.json["meta"]?["size"] == 2)
            #expect(first.json["meta"]?["after"]?.stringValue == ids[4])
            #expect(first.json["meta"]?["before"]?.stringValue == ids[3])
            #expect(first.json["links"]?["prev"] == "")
            let next = try #require(first.json["links"]?["next"]?.stringValue)
            let second = try await client.get(next)
            #expect(second.json["data"]?.arrayValue?.compactMap { $0["id"]?.stringValue } == [ids[2], ids[1]])
            let prev = try #require(second.json["links"]?["prev"]?.stringValue)
            #expect(!prev.isEmpty)
            let back = try await client.get(prev)
            #expect(back.json["data"]?.arrayValue?.compactMap { $0["id"]?.stringValue } == [ids[4], ids[3]])
            let last = try await client.get(try #require(second.json["links"]?["next"]?.stringValue))
            #expect(last.json["data"]?.arrayValue?.compactMap { $0["id"]?.stringValue } == [ids[0]])
            #expect(last.json["links"]?["next"] == "")
            #expect(try await client.get("/api/payout-invoices?page[size]=101").status == .unprocessableContent)
        }
    }

    @Test("public API: prerequest lists services for the currency and amount; public GET is flat")
    func publicAPI() async throws {
        try await TestGateway.withGateway(try await TestGateway.configuration()) { _, client in
            let demo = GatewayConfiguration.DemoMerchant()
            let prerequest = try await client.post("/public-api/payout-prerequest", #"{"currency":"USD","amount":10,"public_key":"\#(demo.publicKey)"}"#, headers: [.contentType: "application/json"])
            #expect(prerequest.status == .ok)
            let card = try #require(prerequest.json["data"]?["services"]?["card"])
            #expect(card["fields"]?.arrayValue?.first?["key"] == "card_number")
            #expect(card["amount"] == "10.00")
            let refused = try await client.post("/public-api/payout-prerequest", #"{"currency":"USD","amount":10,"public_key":"pk_wrong"}"#, headers: [.contentType: "application/json"])
            #expect(refused.status == .unauthorized)

            let created = try await client.post("/api/payout-invoices", TestGateway.sampleCreate(reference: "pub-1"))
            let id = try #require(created.json["data"]?["id"]?.stringValue)
            let flat = try await client.get("/public-api/payout-invoices/\(id)?public_key=\(demo.publicKey)", headers: [:])
            #expect(flat.status == .ok)
            #expect(flat.json["data"]?["id"]?.stringValue == id)
            #expect(flat.json["data"]?["attributes"] == nil)
            #expect(flat.json["data"]?["service_method"] == "payment_card")
            #expect(try await client.get("/public-api/payout-invoices/\(id)?public_key=pk_bad", headers: [:]).status == .unauthorized)
        }
    }

    @Test("the service catalogue pages by number and answers by id")
    func services() async throws {
        try await TestGateway.withGateway(try await TestGateway.configuration()) { _, client in
            let page = try await client.get("/api/payout-services?page[number]=1&page[size]=2")
            #expect(page.status == .ok)
            let total = try #require(page.json["meta"]?["total"]?.decimalText.flatMap { Int($0) })
            #expect(total >= 2)
            #expect(page.json["data"]?.arrayValue?.count == 2)
            #expect(page.json["links"]?["next"]?.stringValue?.contains("page[number]=2") == true)
            let id = try #require(page.json["data"]?.arrayValue?.first?["id"]?.stringValue)
            #expect(id.hasPrefix("comcpos_"))
            let one = try await client.get("/api/payout-services/\(id)")
            #expect(one.json["data"]?["attributes"]?["service"] == "card")
            #expect(one.json["data"]?["attributes"]?["available"] == true)
        }
    }
}
