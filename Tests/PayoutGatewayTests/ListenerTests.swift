import AsyncHTTPClient
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import NIOHTTP1
import NIOSSL
@testable import PayoutGateway
import ServiceLifecycle
import Testing

/// The merchant listener's limits: per-merchant rate, TLS.
@Suite("Listener: per-merchant rate limit and TLS")
struct ListenerTests {
    @Test("a token bucket per merchant: the burst passes, then one request per 1/rate seconds; merchants do not share")
    func bucket() {
        let limiter = MerchantRateLimiter(ratePerSecond: 2, burst: 3)
        #expect((0..<3).allSatisfy { _ in limiter.take("a", nowMillis: 1_000) == nil })
        #expect(limiter.take("a", nowMillis: 1_000) == 1)
        #expect(limiter.take("b", nowMillis: 1_000) == nil)
        #expect(limiter.take("a", nowMillis: 1_500) == nil)
        #expect(limiter.take("a", nowMillis: 1_500) != nil)
        #expect(MerchantRateLimiter(ratePerSecond: 0).take("a", nowMillis: 0) == nil)
    }

    @Test("over its rate a merchant gets 429 with Retry-After in the error-array shape")
    func tooManyRequests() async throws {
        try await MerchantHandlerTests.withFront { base in
            var front = base
            front.rateLimiter = MerchantRateLimiter(ratePerSecond: 0.001, burst: 2)
            try await Application(router: buildRouter(front)).test(.router) { client in
                let demo = GatewayConfiguration.DemoMerchant()
                let auth: HTTPFields = [.authorization: "Basic " + Data("\(demo.accountID):\(demo.apiKey.value)".utf8).base64EncodedString()]
                for _ in 0..<2 {
                    try await client.execute(uri: "/api/payout-invoices", method: .get, headers: auth) { #expect($0.status == .ok) }
                }
                try await client.execute(uri: "/api/payout-invoices", method: .get, headers: auth) { response in
                    #expect(response.status == .tooManyRequests)
                    #expect(Int(response.headers[.retryAfter] ?? "") ?? 0 >= 1)
                    #expect(String(buffer: response.body).contains("\"errors\":[{"))
                }
            }
        }
    }

    @Test("a request not answered in time gets the dialect's 503; one answered in time is untouched; one that finishes despite its deadline answers as it finished")
    func requestTimeout() async throws {
        let router = Router()
        router.middlewares.add(DialectErrorMiddleware(routes: []))
        router.middlewares.add(RequestTimeoutMiddleware(timeout: .milliseconds(200)))
        router.get("/slow") { _, _ -> String in
            try await Task.sleep(for: .seconds(120))
            return "late"
        }
        router.get("/fast") { _, _ -> String in "ok" }
        // Ignores the cancellation and finishes its work (a create that got stored): its answer is kept.
        router.get("/stubborn") { _, _ -> String in
            try? await Task.sleep(for: .seconds(120))
            try? await ContinuousClock().sleep(for: .milliseconds(50))
            return "stored"
        }
        try await Application(router: router).test(.router) { client in
            // Twice, with the watchdog idle in between: it starts again for the next request it has to watch.
            for round in 0..<2 {
                let started = ContinuousClock.now
                try await client.execute(uri: "/slow", method: .get) { response in
                    #expect(response.status == .serviceUnavailable)
                    #expect(String(buffer: response.body).contains("\"errors\":[{"))
                }
                // Far less than the handler's 120 s (the margin absorbs a loaded test machine): the handler was cut off.
                #expect(ContinuousClock.now - started < .seconds(60), "round \(round)")
                try await client.execute(uri: "/fast", method: .get) { response in
                    #expect(response.status == .ok)
                    #expect(String(buffer: response.body) == "ok")
                }
                try await Task.sleep(for: .milliseconds(300))
            }
            let started = ContinuousClock.now
            try await client.execute(uri: "/stubborn", method: .get) { response in
                #expect(response.status == .ok)
                #expect(String(buffer: response.body) == "stored")
            }
            #expect(ContinuousClock.now - started < .seconds(60))
        }
    }

    @Test("every answer, errors included, carries X-Request-Id (the client's when usable) and Server-Timing")
    func requestIdentity() async throws {
        try await MerchantHandlerTests.withFront { front in
            try await Application(router: buildRouter(front)).test(.router) { client in
                try await client.execute(uri: "/health", method: .get, headers: [HTTPField.Name("X-Request-Id")!: "abc-123.x"]) { response in
                    #expect(response.headers[HTTPField.Name("X-Request-Id")!] == "abc-123.x")
                    #expect(response.headers[HTTPField.Name("Server-Timing")!]?.hasPrefix("gateway;dur=") == true)
                }
                try await client.execute(uri: "/api/payout-invoices", method: .get, headers: [HTTPField.Name("X-Request-Id")!: "bad id <x>"]) { response in
                    #expect(response.status == .unauthorized)
                    let id = response.headers[HTTPField.Name("X-Request-Id")!] ?? ""
                    #expect(id.count == 20 && id != "bad id")
                    #expect(response.headers[HTTPField.Name("Server-Timing")!] != nil)
                }
            }
        }
    }

    @Test("with a certificate and key the listener speaks HTTPS only",
          .enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/openssl"), "needs openssl to make a certificate"))
    func tls() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("pgw-tls-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let certificate = directory.appendingPathComponent("cert.pem").path
        let key = directory.appendingPathComponent("key.pem").path
        let openssl = Process()
        openssl.executableURL = URL(fileURLWithPath: "/usr/bin/openssl")
        openssl.arguments = ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=localhost", "-days", "1", "-keyout", key, "-out", certificate]
        openssl.standardError = FileHandle.nullDevice
        openssl.standardOutput = FileHandle.nullDevice
        try openssl.run()
        openssl.waitUntilExit()
        #expect(openssl.terminationStatus == 0)

        var configuration = try await TestGateway.configuration()
        configuration.tlsCertificatePath = certificate
        configuration.tlsKeyPath = key
        let app = try await buildApplication(configuration, logger: TestGateway.logger)
        let group = app.serviceGroup(gracefulShutdownSignals: [])
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            var tlsConfiguration = TLSConfiguration.makeClientConfiguration()
            tlsConfiguration.certificateVerification = .none
            var clientConfiguration = HTTPClient.Configuration(tlsConfiguration: tlsConfiguration)
            clientConfiguration.timeout = .init(connect: .seconds(2), read: .seconds(2))
            let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: clientConfiguration)
            var status: HTTPResponseStatus?
            for _ in 0..<50 where status == nil {
                status = try? await client.execute(HTTPClientRequest(url: "https://127.0.0.1:\(configuration.port)/health"), timeout: .seconds(2)).status
                if status == nil { try await Task.sleep(for: .milliseconds(100)) }
            }
            #expect(status == .ok)
            let plain = try? await client.execute(HTTPClientRequest(url: "http://127.0.0.1:\(configuration.port)/health"), timeout: .seconds(2))
            #expect(plain?.status != .ok)
            try await client.shutdown()
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
        }
        await app.close()
    }
    @Test("Server-Timing gives milliseconds with two decimals, rounded half up")
    func serverTimingText() {
        typealias Middleware = RequestIdentityMiddleware<BasicRequestContext>
        #expect(Middleware.millisText(.zero) == "0.00")
        #expect(Middleware.millisText(.microseconds(3_070)) == "3.07")
        #expect(Middleware.millisText(.microseconds(4)) == "0.00")
        #expect(Middleware.millisText(.microseconds(5)) == "0.01")
        #expect(Middleware.millisText(.microseconds(999_995)) == "1000.00")
        #expect(Middleware.millisText(.seconds(12) + .microseconds(345_678)) == "12345.68")
    }
}

