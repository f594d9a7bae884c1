/// Masks card and account numbers wherever they leave the process (logs, answers, store).
public enum Masking {
    /// Masks a value: a card-like number keeps its first 6 and last 4 digits (`512381******0000`),
    /// any other long account-like value keeps only its last 4 characters.
    public static func mask(_ value: String) -> String {
        let digits = value.filter(\.isNumber)
        let compact = value.filter { !$0.isWhitespace && $0 != "-" }
        if digits.count == compact.count, digits.count >= 13, digits.count <= 19 {
            return String(digits.prefix(6)) + String(repeating: "*", count: digits.count - 10) + String(digits.suffix(4))
        }
        if compact.count > 4 {
            return String(repeating: "*", count: compact.count - 4) + String(compact.suffix(4))
        }
        return String(repeating: "*", count: compact.count)
    }

    /// Masks card and account numbers inside free text (a provider's error message that echoes the destination):
    /// every run of 9 or more digits, single spaces or dashes between them allowed, is masked like a value.
    public static func maskText(_ text: String) -> String {
        let characters = Array(text)
        var out = ""
        var index = 0
        while index < characters.count {
            guard characters[index].isASCII, characters[index].isNumber else {
                out.append(characters[index])
                index += 1
                continue
            }
            // The longest run of digits with single separators between them.
            var end = index
            var last = index
            var digits = 0
            while end < characters.count {
                let character = characters[end]
                if character.isASCII, character.isNumber {
                    digits += 1
                    last = end
                    end += 1
                } else if (character == " " || character == "-"), end + 1 < characters.count, characters[end + 1].isASCII,
                          characters[end + 1].isNumber {
                    end += 1
                } else {
                    break
                }
            }
            let run = String(characters[index...last])
            out += digits >= 9 ? mask(run) : run
            index = last + 1
        }
        return out
    }

    /// Whether a destination field holds a number that must be masked.
    public static func isSensitive(key: String, value: String) -> Bool {
        let tokens = Set(key.lowercased().split(whereSeparator: { !$0.isLetter }).map(String.init))
        let sensitiveNames: Set<String> = ["card", "pan", "account", "iban", "number", "wallet", "phone", "acct"]
        let digits = value.filter(\.isNumber).count
        if !tokens.isDisjoint(with: sensitiveNames), digits >= 6 { return true }
        return digits >= 9
    }

    /// Masks every sensitive value of a destination-field map.
    public static func maskFields(_ fields: [String: String]) -> [String: String] {
        var result: [String: String] = [:]
        for (key, value) in fields {
            if key.lowercased().contains("cvv") || key.lowercased().contains("cvc") {
                result[key] = "***"
            } else {
                result[key] = isSensitive(key: key, value: value) ? mask(value) : value
            }
        }
        return result
    }
}
