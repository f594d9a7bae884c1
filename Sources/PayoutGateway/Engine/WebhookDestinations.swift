import AsyncHTTPClient
import Foundation
import NIOCore
import NIOPosix
#if canImport(Glibc)
import Glibc
#endif

/// Where merchant webhooks may go (no server-side request forgery): outside demo mode only `https`, and only to
/// public addresses; hosts on the operator's allow-list (`PAYOUT_GATEWAY_WEBHOOK_HOSTS`) may use `http` and
/// private addresses. A name is resolved at delivery, every address it has is checked, and the connection goes to
/// the checked address (pinned), so a name that resolves to a public address at the check and to a private one at
/// the connection (DNS rebinding) cannot reach inside.
public struct WebhookDestinationPolicy: Sendable {
    /// Hosts allowed `http` and any address (lower case); `*` turns every check off (development only).
    public var allowedHosts: Set<String>
    /// Outside demo mode a webhook needs `https` unless its host is allowed.
    public var requireHTTPS: Bool
    /// Whether an address is refused (loopback, private …); tests may widen it.
    public var isRefused: @Sendable (IPAddressBytes) -> Bool = IPAddressBytes.isRefusedByDefault

    public init(allowedHosts: [String], requireHTTPS: Bool) {
        self.allowedHosts = Set(allowedHosts.map { $0.lowercased() })
        self.requireHTTPS = requireHTTPS
    }

    /// Why a callback URL is refused before anything is sent (nil: it may be used). No DNS here: names are checked
    /// at delivery, on the address connected.
    public func refusal(of text: String) -> String? {
        guard let url = URL(string: text), let scheme = url.scheme?.lowercased(), let host = url.host?.lowercased(), !host.isEmpty else {
            return "This value is not a valid URL."
        }
        guard ["http", "https"].contains(scheme) else { return "This value is not a valid URL." }
        if allowedHosts.contains("*") || allowedHosts.contains(Self.bare(host)) { return nil }
        if requireHTTPS, scheme != "https" { return "The callback URL must use https." }
        if url.user != nil || url.password != nil { return "The callback URL must not carry credentials." }
        let name = Self.bare(host)
        if name == "localhost" || name.hasSuffix(".localhost") || name.hasSuffix(".local") || name.hasSuffix(".internal") {
            return "The callback URL must point to a public address."
        }
        if let address = IPAddressBytes(literal: name), isRefused(address) { return "The callback URL must point to a public address." }
        return nil
    }

    /// How a delivery connects: `.direct` (allowed host: ordinary resolution), `.pinned` to a checked address, or
    /// refused with a reason kept in the webhook log (never the address).
    public enum Route: Sendable, Equatable {
        case direct
        case pinned(host: String, address: String)
        case refused(String)
    }

    /// Resolves and checks a delivery's destination. `resolve` gives a name's addresses (getaddrinfo by default).
    public func route(for text: String, resolve: @Sendable (String) async -> [IPAddressBytes] = WebhookDestinationPolicy.systemResolve) async -> Route {
        if let reason = refusal(of: text) { return .refused(reason) }
        guard let url = URL(string: text), let host = url.host?.lowercased() else { return .refused("not a valid URL") }
        let name = Self.bare(host)
        if allowedHosts.contains("*") || allowedHosts.contains(name) { return .direct }
        let addresses: [IPAddressBytes]
        if let literal = IPAddressBytes(literal: name) { addresses = [literal] } else { addresses = await resolve(name) }
        guard let first = addresses.first else { return .refused("the destination host does not resolve") }
        guard !addresses.contains(where: isRefused) else { return .refused("the destination address is not public") }
        return .pinned(host: name, address: first.text)
    }

    /// `[::1]` → `::1`.
    static func bare(_ host: String) -> String {
        host.hasPrefix("[") && host.hasSuffix("]") ? String(host.dropFirst().dropLast()) : host
    }

    /// getaddrinfo on a thread of NIO's pool (it blocks).
    public static let systemResolve: @Sendable (String) async -> [IPAddressBytes] = { name in
        (try? await NIOThreadPool.singleton.runIfActive { IPAddressBytes.getaddrinfo(name) }) ?? []
    }
}

/// An IPv4 (4 bytes) or IPv6 (16 bytes) address.
public struct IPAddressBytes: Sendable, Hashable {
    public let bytes: [UInt8]

    public init?(bytes: [UInt8]) {
        guard bytes.count == 4 || bytes.count == 16 else { return nil }
        self.bytes = bytes
    }

    /// Parses a literal (`10.0.0.1`, `::1`, `::ffff:127.0.0.1`).
    public init?(literal: String) {
        var v4 = in_addr()
        if inet_pton(AF_INET, literal, &v4) == 1 {
            self.bytes = withUnsafeBytes(of: &v4) { Array($0) }
            return
        }
        var v6 = in6_addr()
        if inet_pton(AF_INET6, literal, &v6) == 1 {
            self.bytes = withUnsafeBytes(of: &v6) { Array($0) }
            return
        }
        return nil
    }

    public var text: String {
        var buffer = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
        var copy = bytes
        let family = bytes.count == 4 ? AF_INET : AF_INET6
        _ = inet_ntop(family, &copy, &buffer, socklen_t(buffer.count))
        let bytes = buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Loopback, private, link-local, unique-local, multicast, unspecified, shared (CGNAT), benchmarking and reserved
    /// ranges; IPv4 mapped or translated into IPv6 is judged as IPv4.
    public static let isRefusedByDefault: @Sendable (IPAddressBytes) -> Bool = { address in
        let b = address.bytes
        if b.count == 16 {
            if b[0..<10].allSatisfy({ $0 == 0 }), b[10] == 0xff, b[11] == 0xff, let v4 = IPAddressBytes(bytes: Array(b[12..<16])) {
                return isRefusedByDefault(v4)  // ::ffff:a.b.c.d
            }
            if b[0] == 0x00, b[1] == 0x64, b[2] == 0xff, b[3] == 0x9b, let v4 = IPAddressBytes(bytes: Array(b[12..<16])) {
                return isRefusedByDefault(v4)  // 64:ff9b::/96 (NAT64)
            }
            if b.allSatisfy({ $0 == 0 }) { return true }                       // ::
            if b[0..<15].allSatisfy({ $0 == 0 }) && b[15] == 1 { return true }  // ::1
            if b[0] & 0xfe == 0xfc { return true }                             // fc00::/7 unique-local
            if b[0] == 0xfe && b[1] & 0xc0 == 0x80 { return true }             // fe80::/10 link-local
            if b[0] == 0xfe && b[1] & 0xc0 == 0xc0 { return true }             // fec0::/10 site-local (deprecated)
            if b[0] == 0xff { return true }                                    // ff00::/8 multicast
            if b[0] == 0x20, b[1] == 0x01, b[2] == 0x0d, b[3] == 0xb8 { return true } // 2001:db8::/32 documentation
            return false
        }
        switch (b[0], b[1]) {
        case (0, _), (10, _), (127, _): return true                  // this network, private, loopback
        case (100, 64...127): return true                            // shared address space (CGNAT)
        case (169, 254): return true                                 // link-local (cloud metadata lives here)
        case (172, 16...31): return true                             // private
        case (192, 168): return true                                 // private
        case (192, 0) where b[2] == 0 || b[2] == 2: return true      // IETF protocol assignments, documentation
        case (198, 18...19): return true                             // benchmarking
        case (198, 51) where b[2] == 100: return true                // documentation
        case (203, 0) where b[2] == 113: return true                 // documentation
        case (224...255, _): return true                             // multicast, reserved, broadcast
        default: return false
        }
    }

    static func getaddrinfo(_ name: String) -> [IPAddressBytes] {
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var list: UnsafeMutablePointer<addrinfo>?
        guard Glibc.getaddrinfo(name, nil, &hints, &list) == 0, let first = list else { return [] }
        defer { freeaddrinfo(first) }
        var result: [IPAddressBytes] = []
        var cursor: UnsafeMutablePointer<addrinfo>? = first
        while let entry = cursor {
            if let sockaddr = entry.pointee.ai_addr {
                if entry.pointee.ai_family == AF_INET {
                    sockaddr.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { pointer in
                        var address = pointer.pointee.sin_addr
                        if let ip = IPAddressBytes(bytes: withUnsafeBytes(of: &address) { Array($0) }) { result.append(ip) }
                    }
                } else if entry.pointee.ai_family == AF_INET6 {
                    sockaddr.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { pointer in
                        var address = pointer.pointee.sin6_addr
                        if let ip = IPAddressBytes(bytes: withUnsafeBytes(of: &address) { Array($0) }) { result.append(ip) }
                    }
                }
            }
            cursor = entry.pointee.ai_next
        }
        var seen = Set<IPAddressBytes>()
        return result.filter { seen.insert($0).inserted }
    }
}
