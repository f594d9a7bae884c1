import AsyncHTTPClient
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import NIOHTTP1
@testable import PayoutGateway
import ServiceLifecycle
import Synchronization
import Testing

/// An OTLP/HTTP (JSON) receiver in the test process, and the gateway's tracer pointed at it — once per process
/// (the tracer, like the metrics backend, is process-wide).
enum TestTracing {
    final class Received: Sendable {
        let bodies = Mutex<[JSONValue]>([])

        /// Every span received so far: (trace id as the exporter wrote it, name).
        var spans: [(traceID: String, name: String)] {
            bodies.withLock { $0 }.flatMap { body in
                (body["resourceSpans"]?.arrayValue ?? []).flatMap { resource in
                    (resource["scopeSpans"]?.arrayValue ?? []).flatMap { scope in
                        (scope["spans"]?.arrayValue ?? []).map { span in
                            (span["traceId"]?.stringValue ?? "", span["name"]?.stringValue ?? "")
                        }
                    }
                }
            }
        }
    }

    static let received = Received()

    static let installed: Bool = {
        let port = TestPorts.next()
        let router = Router()
        router.post("/v1/traces") { request, _ -> Response in
            var request = request
            let body = try await request.collectBody(upTo: 16 << 20)
            if let tree = try? JSONCoding.decode(JSONValue.self, from: Data(buffer: body)) {
                received.bodies.withLock { $0.append(tree) }
            }
            return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: "{}")))
        }
        let receiver = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: port)))
        Task.detached { try? await receiver.runService() }
        guard let exporter = try? GatewayTracing.bootstrap(
            endpoint: "http://127.0.0.1:\(port)", protocol: "http/json", scheduleDelay: .milliseconds(100))
        else { return false }
        Task.detached { try? await exporter.run() }
        return true
    }()

    /// The hex trace id in the exporter's JSON form (hex, or base64 of the 16 bytes).
    static func matches(_ written: String, hex: String) -> Bool {
        if written.lowercased() == hex { return true }
        guard let bytes = Data(base64Encoded: written) else { return false }
        return bytes.map { String(format: "%02x", $0) }.joined() == hex
    }
}

@Suite("Traces")
struct TracingTests {
    @Test("spans of a merchant request (child of the merchant's traceparent), engine steps, provider calls and store commits reach an OTLP receiver")
    func spansReachReceiver() async throws {
        #expect(TestTracing.installed)
        let traceID = (0..<16).map { _ in String(format: "%02x", UInt8.random(in: 1...255)) }.joined()
        let configuration = try await TestGateway.configuration()
        // The merchant's client sends its own traceparent (an instrumented client would send its span's instead).
        var plain = HTTPClient.Configuration()
        plain.tracing.tracer = nil
        let merchant = HTTPClient(eventLoopGroupProvider: .singleton, configuration: plain)
        do {
            try await TestGateway.withGateway(configuration) { _, client in
                var request = HTTPClientRequest(url: client.base + "/api/payout-invoices")
                request.method = .POST
                for field in TestGateway.demoAuth { request.headers.add(name: field.name.rawName, value: field.value) }
                request.headers.add(name: "traceparent", value: "00-\(traceID)-00f067aa0ba902b7-01")
                request.body = .bytes(ByteBuffer(string: TestGateway.sampleCreate(autoProcess: true)))
                let response = try await merchant.execute(request, timeout: .seconds(30))
                let body = try await response.body.collect(upTo: 1 << 20)
                let id = try #require(try JSONCoding.decode(JSONValue.self, from: Data(buffer: body))["data"]?["id"]?.stringValue)
                _ = try await client.waitForStatus(id, ["processed"])
            }
        } catch {
            try? await merchant.shutdown()
            throw error
        }
        try await merchant.shutdown()
        var names = Set<String>()
        var requestInTrace = false
        for _ in 0..<100 {
            let spans = TestTracing.received.spans
            names = Set(spans.map(\.name))
            requestInTrace = spans.contains { TestTracing.matches($0.traceID, hex: traceID) }
            if requestInTrace, ["payout.step", "provider.submit", "store.commit", "store.create"].allSatisfy(names.contains) { break }
            try await Task.sleep(for: .milliseconds(100))
        }
        #expect(requestInTrace, "no span in the merchant's trace: \(Set(TestTracing.received.spans.map(\.name)).sorted())")
        for name in ["payout.step", "provider.submit", "store.commit", "store.create"] {
            #expect(names.contains(name), "no \(name) span (received: \(names.sorted()))")
        }
    }

    @Test("a collector's base URL gets the traces path; a full URL is kept")
    func endpoints() {
        #expect(GatewayTracing.tracesURL("http://collector:4318") == "http://collector:4318/v1/traces")
        #expect(GatewayTracing.tracesURL("http://collector:4318/") == "http://collector:4318/v1/traces")
        #expect(GatewayTracing.tracesURL("https://otel.example/custom/v1/traces") == "https://otel.example/custom/v1/traces")
    }
}
