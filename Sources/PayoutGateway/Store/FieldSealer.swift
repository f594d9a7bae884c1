import Crypto
import Foundation

/// Why sealed data could not be opened (never carries the data).
public struct SealError: Error, Sendable, CustomStringConvertible {
    public let description: String
}

/// Seals destination fields and merchant secrets at rest with AES-GCM under the gateway's data key.
public struct FieldSealer: Sendable {
    private let keyBytes: Data
    private var key: SymmetricKey { SymmetricKey(data: keyBytes) }

    public init(key: SymmetricKey) {
        self.keyBytes = key.withUnsafeBytes { Data($0) }
    }

    /// A sealer over a base64 key of 32 bytes.
    public init(base64Key: String) throws {
        guard let data = Data(base64Encoded: base64Key.trimmingCharacters(in: .whitespacesAndNewlines)), data.count == 32 else {
            throw SealError(description: "the data key must be 32 bytes in base64")
        }
        self.keyBytes = data
    }

    /// Loads the key from `path`, creating a new random one (mode 0600) when the file does not exist — but only for a
    /// store that holds no sealed data yet (`storeHoldsSealedData` false): a new key could not open what the lost one
    /// sealed, so start-up stops instead of leaving in-flight payouts and merchant secrets unreadable.
    public static func loadOrCreate(path: String, storeHoldsSealedData: Bool = false) throws -> FieldSealer {
        if let data = FileManager.default.contents(atPath: path) {
            return try FieldSealer(base64Key: String(decoding: data, as: UTF8.self))
        }
        if storeHoldsSealedData {
            throw SealError(description: "the data key file \(path) is missing, but the store holds data sealed with a key; restore the file (or pass the key in PAYOUT_GATEWAY_DATA_KEY) — a new key is made only for an empty store")
        }
        let directory = (path as NSString).deletingLastPathComponent
        if !directory.isEmpty { try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true) }
        let key = SymmetricKey(size: .bits256)
        let text = key.withUnsafeBytes { Data($0).base64EncodedString() }
        guard FileManager.default.createFile(atPath: path, contents: Data(text.utf8), attributes: [.posixPermissions: 0o600]) else {
            throw SealError(description: "cannot write the data key file")
        }
        return FieldSealer(key: key)
    }

    public static func random() -> FieldSealer { FieldSealer(key: SymmetricKey(size: .bits256)) }

    public func seal(_ text: String) throws -> String {
        let box = try AES.GCM.seal(Data(text.utf8), using: key)
        guard let combined = box.combined else { throw SealError(description: "sealing failed") }
        return combined.base64EncodedString()
    }

    public func open(_ sealed: String) throws -> String {
        guard let data = Data(base64Encoded: sealed) else { throw SealError(description: "sealed data is not base64") }
        do {
            let box = try AES.GCM.SealedBox(combined: data)
            return String(decoding: try AES.GCM.open(box, using: key), as: UTF8.self)
        } catch {
            throw SealError(description: "sealed data does not open with this data key")
        }
    }

    public func seal(fields: [String: String]) throws -> String {
        try seal(JSONCoding.encodeString(fields))
    }

    public func openFields(_ sealed: String) throws -> [String: String] {
        try JSONCoding.decode([String: String].self, from: open(sealed))
    }
}
