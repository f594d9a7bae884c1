import AsyncHTTPClient
import Foundation
import HTTPTypes
import NIOHTTP1
import ServiceLifecycle
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import PayoutGateway
import Testing

/// Builds gateways on loopback for tests: in-memory store, the sandbox in-process, short timings.
enum TestGateway {
    static let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()

    static var logger: Logger {
        var logger = Logger(label: "test")
        logger.logLevel = .warning
        return logger
    }

    /// The routes.json shipped at the repository root.
    static var shippedRoutesPath: String { repositoryRoot.appendingPathComponent("routes.json").path }

    static func writeRoutes(_ json: String) throws -> String {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("pgw-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let path = directory.appendingPathComponent("routes.json").path
        try Data(json.utf8).write(to: URL(fileURLWithPath: path))
        return path
    }

    static func configuration(routesPath: String? = nil, database: String = "sqlite::memory:") async throws -> GatewayConfiguration {
        var configuration = GatewayConfiguration()
        configuration.routesPath = routesPath ?? shippedRoutesPath
        configuration.databaseURL = database
        configuration.port = try await freePort()
        configuration.engine.publicBaseURL = "http://127.0.0.1:\(configuration.port)"
        configuration.engine.idleMillis = 20
        configuration.engine.ambiguousLookupDelayMillis = 100
        configuration.engine.absenceGraceMillis = 300
        configuration.engine.lookupBackoffMillis = 100
        configuration.engine.lookupBackoffCapMillis = 1_000
        configuration.engine.webhookStepMillis = 200
        configuration.sandboxProcessingMillis = 200
        configuration.sandboxCallbackStepMillis = 100
        configuration.sandboxFaultDelayMillis = 3_000
        return configuration
    }

    /// Builds the gateway, runs it on its configured loopback port (so provider callbacks reach it)
    /// with the engine and the sandbox, runs `body` against it, then shuts it down gracefully.
    static func withGateway<Value: Sendable>(
        _ configuration: GatewayConfiguration,
        _ body: @Sendable (GatewayApp, GatewayClient) async throws -> Value
    ) async throws -> Value {
        let app = try await buildApplication(configuration, logger: logger)
        let serviceGroup = ServiceGroup(configuration: .init(services: [app.application], logger: logger))
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await serviceGroup.run() }
            let client = GatewayClient(base: "http://127.0.0.1:\(configuration.port)")
            do {
                try await client.waitUntilUp()
                let value = try await body(app, client)
                await serviceGroup.triggerGracefulShutdown()
                try await group.waitForAll()
                return value
            } catch {
                await serviceGroup.triggerGracefulShutdown()
                try? await group.waitForAll()
                throw error
            }
        }
    }

    static func freePort() async throws -> Int { try await FreePort.find() }

    static var demoAuth: HTTPFields {
        let demo = GatewayConfiguration.DemoMerchant()
        return basicAuth(demo.accountID, demo.apiKey.value)
    }

    static func basicAuth(_ user: String, _ password: String) -> HTTPFields {
        [.authorization: "Basic " + Data("\(user):\(password)".utf8).base64EncodedString(), .contentType: "application/json"]
    }

    /// The seed's own sample create request, with a fresh reference.
    static func sampleCreate(reference: String = UUID().uuidString, amount: String = "10", currency: String = "USD",
                             card: String = "5123817234060000", autoProcess: Bool = false, callback: String? = nil) -> String {
        """
        {"data":{"type":"payout-invoice","attributes":{"service":"card","currency":"\(currency)","amount":\(amount),
        "reference_id":"\(reference)","test_mode":true,"fields":{"card_number":"\(card)"},
        \(callback.map { "\"callback_url\":\"\($0)\"," } ?? "")
        "options":{"split_mode":false,"parallel_mode":false,"allow_partially":false,"auto_process":\(autoProcess)},
        "customer":{"reference_id":"1203515","email":"somename@domain.com","name":"John Wick","metadata":{"key1":"value1","key2":"value2"}},
        "metadata":{"key":"value"}}}}
        """
    }
}

/// An HTTP answer as tests read it.
struct Answer: Sendable {
    let status: HTTPResponse.Status
    let body: ByteBuffer
    var json: JSONValue { (try? JSONDecoder().decode(JSONValue.self, from: Data(body.readableBytesView))) ?? .null }
}

/// A loopback HTTP client for a gateway under test.
struct GatewayClient: Sendable {
    let base: String

    func execute(uri: String, method: HTTPRequest.Method, headers: HTTPFields = [:], body: ByteBuffer? = nil) async throws -> Answer {
        var request = HTTPClientRequest(url: base + uri)
        request.method = NIOHTTP1.HTTPMethod(rawValue: method.rawValue)
        for field in headers { request.headers.add(name: field.name.rawName, value: field.value) }
        if let body { request.body = .bytes(body) }
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
        let collected = try await response.body.collect(upTo: 8 << 20)
        return Answer(status: HTTPResponse.Status(code: Int(response.status.code)), body: collected)
    }

    func waitUntilUp() async throws {
        for _ in 0..<200 {
            if (try? await execute(uri: "/health", method: .get)) != nil { return }
            try await Task.sleep(for: .milliseconds(25))
        }
    }
    func post(_ uri: String, _ body: String, headers: HTTPFields = TestGateway.demoAuth) async throws -> Answer {
        try await execute(uri: uri, method: .post, headers: headers, body: ByteBuffer(string: body))
    }

    func get(_ uri: String, headers: HTTPFields = TestGateway.demoAuth) async throws -> Answer {
        try await execute(uri: uri, method: .get, headers: headers)
    }

    /// Polls GET until the invoice reaches `status` or the deadline passes; returns the last attributes.
    func waitForStatus(_ id: String, _ statuses: Set<String>, seconds: Double = 15) async throws -> JSONValue {
        let deadline = Date().addingTimeInterval(seconds)
        var last: JSONValue = .null
        while Date() < deadline {
            last = try await get("/api/payout-invoices/\(id)").json["data"]?["attributes"] ?? .null
            if let status = last["status"]?.stringValue, statuses.contains(status) { return last }
            try await Task.sleep(for: .milliseconds(50))
        }
        return last
    }
}
