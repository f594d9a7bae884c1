import Foundation

/// Form-urlencoded bodies both ways. Answers carry a line feed after each value: values are right-trimmed.
public enum PaynetForm {
    /// `k=v&k=v` with RFC 3986 encoding (so `&`, `=`, `+` and non-ASCII cannot break the body).
    public static func encode(_ parameters: [(String, String)]) -> String {
        parameters.map { PaynetOAuth.encode($0.0) + "=" + PaynetOAuth.encode($0.1) }.joined(separator: "&")
    }

    /// Decodes a form body; `+` is a space, values are right-trimmed of whitespace and line feeds.
    public static func decode(_ text: String) -> [String: String] {
        var result: [String: String] = [:]
        for pair in text.split(separator: "&", omittingEmptySubsequences: true) {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let key = decodeComponent(parts[0]).trimmingCharacters(in: .whitespacesAndNewlines)
            guard !key.isEmpty else { continue }
            let value = parts.count > 1 ? decodeComponent(parts[1]) : ""
            result[key] = String(value.reversed().drop(while: { $0.isWhitespace || $0.isNewline }).reversed())
        }
        return result
    }

    /// Ordered pairs, for signature checks that need every parameter.
    public static func decodePairs(_ text: String) -> [(String, String)] {
        text.split(separator: "&", omittingEmptySubsequences: true).map { pair in
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            return (decodeComponent(parts[0]), parts.count > 1 ? decodeComponent(parts[1]) : "")
        }
    }

    static func decodeComponent(_ text: Substring) -> String {
        let spaced = text.replacingOccurrences(of: "+", with: " ")
        return spaced.removingPercentEncoding ?? spaced
    }

    /// An answer body as key/values: JSON objects (numbers as text) or LF-terminated form data.
    public static func parseAnswer(_ body: Data) -> [String: String] {
        if let first = body.first(where: { !($0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09) }), first == UInt8(ascii: "{"),
           let object = try? JSONCoding.decode([String: JSONValue].self, from: body)
        {
            var result: [String: String] = [:]
            for (key, value) in object {
                switch value {
                case .string(let text): result[key] = text.trimmingCharacters(in: .whitespacesAndNewlines)
                case .number(let number): result[key] = DecimalText.text(number)
                case .bool(let flag): result[key] = flag ? "true" : "false"
                default: continue
                }
            }
            return result
        }
        return decode(String(decoding: body, as: UTF8.self))
    }
}
