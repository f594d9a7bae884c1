import AsyncHTTPClient
import Foundation
import HTTPTypes
import NIOHTTP1
import ServiceLifecycle
import Synchronization
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import PayoutGateway
import PayoutSandbox
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
        configuration.simulators = SandboxServer.inProcess
        configuration.merchantRatePerSecond = 0
        configuration.routesPath = routesPath ?? shippedRoutesPath
        configuration.databaseURL = database
        configuration.port = try await freePort()
        configuration.sandboxPort = try await freePort()
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
        var configuration = configuration
        for _ in 0..<4 {
            let app = try await buildApplication(configuration, logger: logger)
            let serviceGroup = app.serviceGroup(gracefulShutdownSignals: [])
            let client = GatewayClient(base: "http://127.0.0.1:\(configuration.port)")
            let value: Value? = try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try? await serviceGroup.run() }
                // A port taken between choosing and binding fails the group; another instance on the port answers
                // with another id. Either way: start again on new ports.
                guard await client.isServing(instance: app.instanceID) else {
                    await serviceGroup.triggerGracefulShutdown()
                    try await group.waitForAll()
                    await app.close()
                    return nil
                }
                do {
                    let value = try await body(app, client)
                    await serviceGroup.triggerGracefulShutdown()
                    try await group.waitForAll()
                    await app.close()
                    return value
                } catch {
                    await serviceGroup.triggerGracefulShutdown()
                    try? await group.waitForAll()
                    await app.close()
                    throw error
                }
            }
            if let value { return value }
            configuration.port = try await freePort()
            configuration.sandboxPort = try await freePort()
            configuration.engine.publicBaseURL = "http://127.0.0.1:\(configuration.port)"
        }
        throw GatewayStartError()
    }

    /// A loopback port below the kernel's ephemeral range, never handed out twice in this test process: no test's
    /// server can land on a port that another test (or an outgoing connection) is still using.
    static func freePort() async throws -> Int { TestPorts.next() }

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

struct GatewayStartError: Error {}

/// Hands out distinct ports from a block below the ephemeral range, chosen by process id.
enum TestPorts {
    private static let counter = Mutex(0)
    private static let base = 20_000 + Int(ProcessInfo.processInfo.processIdentifier % 100) * 100

    static func next() -> Int {
        counter.withLock { value in
            defer { value += 1 }
            return base + value % 2_700
        }
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
        // Test servers come and go on reused ports: never reuse a pooled connection.
        request.headers.add(name: "Connection", value: "close")
        if let body { request.body = .bytes(body) }
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
        let collected = try await response.body.collect(upTo: 8 << 20)
        return Answer(status: HTTPResponse.Status(code: Int(response.status.code)), body: collected)
    }

    /// Whether the gateway with this instance id answers `/health` within a few seconds.
    func isServing(instance: String) async -> Bool {
        for _ in 0..<200 {
            if let answer = try? await execute(uri: "/health", method: .get) {
                return answer.json["instance"]?.stringValue == instance
            }
            try? await Task.sleep(for: .milliseconds(25))
        }
        return false
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

    /// Polls GET until `condition` holds for the attributes or the deadline passes; returns the last attributes.
    func waitFor(_ id: String, seconds: Double = 15, _ condition: (JSONValue) -> Bool) async throws -> JSONValue {
        let deadline = Date().addingTimeInterval(seconds)
        var last: JSONValue = .null
        while Date() < deadline {
            last = try await get("/api/payout-invoices/\(id)").json["data"]?["attributes"] ?? .null
            if condition(last) { return last }
            try await Task.sleep(for: .milliseconds(50))
        }
        return last
    }

    /// Polls GET until the invoice reaches `status` or the deadline passes; returns the last attributes.
    func waitForStatus(_ id: String, _ statuses: Set<String>, seconds: Double = 15, headers: HTTPFields = TestGateway.demoAuth) async throws -> JSONValue {
        let deadline = Date().addingTimeInterval(seconds)
        var last: JSONValue = .null
        while Date() < deadline {
            last = try await get("/api/payout-invoices/\(id)", headers: headers).json["data"]?["attributes"] ?? .null
            if let status = last["status"]?.stringValue, statuses.contains(status) { return last }
            try await Task.sleep(for: .milliseconds(50))
        }
        return last
    }
}
