import Foundation

/// Where a secret comes from: an environment variable or a file. Never a literal in routes.json.
public enum SecretReference: Sendable, Hashable, Codable {
    case environment(String)
    case file(String)

    enum CodingKeys: String, CodingKey { case env, file }

    public init(from decoder: any Decoder) throws {
        if let single = try? decoder.singleValueContainer(), (try? single.decode(String.self)) != nil {
            throw DecodingError.dataCorrupted(.init(
                codingPath: decoder.codingPath,
                debugDescription: "secrets are never literals: use {\"env\": \"NAME\"} or {\"file\": \"/path\"}"))
        }
        let container = try decoder.container(keyedBy: CodingKeys.self)
        if let name = try container.decodeIfPresent(String.self, forKey: .env) {
            self = .environment(name)
        } else if let path = try container.decodeIfPresent(String.self, forKey: .file) {
            self = .file(path)
        } else {
            throw DecodingError.dataCorrupted(.init(
                codingPath: decoder.codingPath, debugDescription: "a secret reference needs \"env\" or \"file\""))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        switch self {
        case .environment(let name): try container.encode(name, forKey: .env)
        case .file(let path): try container.encode(path, forKey: .file)
        }
    }

    /// Where it points, safe to log (never the value).
    public var location: String {
        switch self {
        case .environment(let name): return "env \(name)"
        case .file(let path): return "file \(path)"
        }
    }
}

/// Resolves secret references. An overlay lets the demo inject the sandbox credentials it generates.
public struct SecretResolver: Sendable {
    public var environment: [String: String]
    public var overlay: [String: String]

    public init(environment: [String: String] = ProcessInfo.processInfo.environment, overlay: [String: String] = [:]) {
        self.environment = environment
        self.overlay = overlay
    }

    public func resolve(_ reference: SecretReference) -> String? {
        switch reference {
        case .environment(let name):
            if let value = overlay[name] ?? environment[name], !value.isEmpty { return value }
            return nil
        case .file(let path):
            guard let data = FileManager.default.contents(atPath: path) else { return nil }
            let text = String(decoding: data, as: UTF8.self)
            let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
            return trimmed.isEmpty ? nil : (text.contains("-----BEGIN") ? text : trimmed)
        }
    }
}
