import Foundation

/// Reads the gateways' JSON logs of a chaos run (info level): no secret and no clear card number on any line, and
/// every line of a merchant request or an engine step names its ids.
struct ChaosLogCheck {
    /// Credentials, keys and the clear card numbers the run used: none may appear in a log.
    let secrets: [String: String]

    struct Result {
        var lines = 0
        var stepLines = 0
        var requestLines = 0
        var failures: [String] = []
    }

    func check(logPaths: [String], allowedTruncated: Int) -> Result {
        var result = Result()
        var unreadable = 0
        for path in logPaths {
            guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { continue }
            for line in text.split(separator: "\n") where !line.isEmpty {
                result.lines += 1
                for (name, value) in secrets where line.contains(value) {
                    result.failures.append("\(URL(fileURLWithPath: path).lastPathComponent): a log line holds \(name)")
                }
                guard let object = (try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: Any] else {
                    // A SIGKILL may cut the line being written.
                    unreadable += 1
                    continue
                }
                let has = { (key: String) in (object[key] as? String).map { !$0.isEmpty } ?? false }
                let message = object["message"] as? String ?? ""
                if has("request.id") {
                    result.requestLines += 1
                    if message == "payout created", !(has("merchant.id") && has("payout.id")) {
                        result.failures.append("a create's log line lacks merchant.id or payout.id: \(line.prefix(300))")
                    }
                } else if has("payout.id") {
                    // An engine step or a webhook delivery: the payout and its merchant, and for a step its provider.
                    result.stepLines += 1
                    if !has("merchant.id") { result.failures.append("a step's log line lacks merchant.id: \(line.prefix(300))") }
                    if message == "payout status changed", !has("provider.id") {
                        result.failures.append("a step's log line lacks provider.id: \(line.prefix(300))")
                    }
                }
            }
        }
        if unreadable > allowedTruncated { result.failures.append("\(unreadable) log lines are not JSON objects") }
        if result.stepLines == 0 || result.requestLines == 0 {
            result.failures.append("the logs hold no step or request lines (\(result.lines) lines): the check saw nothing")
        }
        // Each failure once, at most 20.
        var seen = Set<String>()
        result.failures = Array(result.failures.filter { seen.insert($0).inserted }.prefix(20))
        return result
    }
}
