import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix

/// A provider HTTP answer, or how the exchange failed.
public enum ProviderHTTPResult: Sendable {
    case response(status: Int, headers: [(String, String)], body: Data)
    /// The connection was never established: nothing was sent.
    case notConnected(String)
    /// Sent (or possibly sent) but no answer: timeout, reset.
    case lost(String)
}

/// The pooled keep-alive client all provider adapters share; one call, one deadline.
public struct ProviderHTTP: Sendable {
    public let client: HTTPClient
    public static let maxResponseBytes = 1 << 20

    public init(client: HTTPClient) {
        self.client = client
    }

    /// - Parameter connectionsPerHost: connections kept to one host (the engine's steps at once for one provider,
    ///   so that its calls do not queue for a connection).
    public static func makeClient(dnsOverride: [String: String] = [:], connectionsPerHost: Int = 8) -> HTTPClient {
        var configuration = HTTPClient.Configuration()
        configuration.dnsOverride = dnsOverride
        configuration.timeout = .init(connect: .seconds(5), read: .seconds(30))
        configuration.connectionPool = .init(idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: max(8, connectionsPerHost))
        configuration.redirectConfiguration = .disallow
        return HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
    }

    public func send(method: HTTPMethod, url: String, headers: [(String, String)], body: Data?, timeoutSeconds: Double) async -> ProviderHTTPResult {
        var request = HTTPClientRequest(url: url)
        request.method = method
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        if let body { request.body = .bytes(ByteBuffer(bytes: body)) }
        do {
            let response = try await client.execute(request, timeout: .milliseconds(Int64(timeoutSeconds * 1000)))
            let buffer = try await response.body.collect(upTo: Self.maxResponseBytes)
            let responseHeaders = response.headers.map { ($0.name, $0.value) }
            return .response(status: Int(response.status.code), headers: responseHeaders, body: Data(buffer: buffer))
        } catch {
            return Self.classify(error)
        }
    }

    static func classify(_ error: any Error) -> ProviderHTTPResult {
        if error is NIOConnectionError { return .notConnected("connection refused") }
        if let clientError = error as? HTTPClientError {
            if clientError == .connectTimeout { return .notConnected("connect timeout") }
            if clientError == .deadlineExceeded || clientError == .readTimeout { return .lost("timeout") }
            if clientError == .remoteConnectionClosed { return .lost("connection closed") }
            return .lost("transport error")
        }
        if let ioError = error as? IOError, ioError.errnoCode == ECONNREFUSED { return .notConnected("connection refused") }
        if let channelError = error as? ChannelError, case .connectTimeout = channelError { return .notConnected("connect timeout") }
        return .lost("transport error")
    }
}

extension Data {
    init(buffer: ByteBuffer) {
        self = Data(buffer.readableBytesView)
    }
}
