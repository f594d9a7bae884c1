import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
@testable import PayoutGateway
@testable import PayoutSandbox
import Testing

/// The sandbox's clock visits only due work, and finished records past the retention are dropped.
@Suite("Sandbox schedule and retention")
struct SandboxScheduleTests {
    @Test("only due ids are visited, earliest first; finished ids past the cap go oldest first, never before their minimum age")
    func schedule() {
        var schedule = SandboxSchedule()
        schedule.retention = .init(keepFinished: 2, minAgeMillis: 1_000)
        schedule.update("a", dueAtMillis: 300, isFinished: false, nowMillis: 0)
        schedule.update("b", dueAtMillis: 100, isFinished: false, nowMillis: 0)
        schedule.update("c", dueAtMillis: 900, isFinished: false, nowMillis: 0)
        #expect(schedule.dueIDs(nowMillis: 500) == ["b", "a"])
        for (index, id) in ["b", "a", "c"].enumerated() {
            schedule.update(id, dueAtMillis: nil, isFinished: true, nowMillis: Int64(1_000 + index))
        }
        #expect(schedule.dueIDs(nowMillis: 10_000).isEmpty)
        #expect(schedule.expired(nowMillis: 1_500).isEmpty)  // over the cap, but too young
        #expect(schedule.expired(nowMillis: 2_000) == ["b"])
        #expect(schedule.expired(nowMillis: 9_000).isEmpty)  // at the cap
        var everything = SandboxSchedule()
        everything.retention = .everything
        everything.update("x", dueAtMillis: nil, isFinished: true, nowMillis: 0)
        #expect(everything.expired(nowMillis: .max).isEmpty)
    }

    @Test("the JSON:API simulator drops its oldest finished invoices past the cap; their references stay taken")
    func jsonapiRetention() async throws {
        let simulator = JSONAPISandbox(prefix: "payelata", processingMillis: 100, callbackStepMillis: 100)
        simulator.state.withStorage { $0.schedule.retention = .init(keepFinished: 2, minAgeMillis: 0) }
        let app = Application(router: SandboxServer(jsonapi: [simulator], paynet: []).buildRouter())
        let account = simulator.account
        let auth: HTTPFields = [.authorization: "Basic " + Data("\(account.accountID):\(account.apiKey)".utf8).base64EncodedString(),
                                .contentType: "application/json"]
        try await app.test(.router) { client in
            var ids: [String] = []
            for index in 0..<4 {
                let body = TestGateway.sampleCreate(reference: "keep-\(index)", autoProcess: true)
                let id = try await client.execute(uri: "/payelata/api/payout-invoices", method: .post, headers: auth, body: ByteBuffer(string: body)) { response in
                    #expect(response.status == .created)
                    return try JSONValue.parse(Array(response.body.readableBytesView))["data"]?["id"]?.stringValue ?? ""
                }
                ids.append(id)
            }
            #expect(simulator.state.withStorage { $0.schedule.dueIDs(nowMillis: .max).count } == 4)
            simulator.tick(now: Clock.nowMillis() + 1_000)
            #expect(simulator.state.withStorage { $0.schedule.dueIDs(nowMillis: .max).isEmpty })
            #expect(simulator.state.withStorage { $0.invoices.count } == 2)
            for (index, id) in ids.enumerated() {
                try await client.execute(uri: "/payelata/api/payout-invoices/\(id)", method: .get, headers: auth) { response in
                    #expect(response.status == (index < 2 ? .notFound : .ok))
                }
            }
            let repeated = TestGateway.sampleCreate(reference: "keep-0", autoProcess: true)
            try await client.execute(uri: "/payelata/api/payout-invoices", method: .post, headers: auth, body: ByteBuffer(string: repeated)) { response in
                #expect(response.status == .conflict)
            }
        }
    }
}
