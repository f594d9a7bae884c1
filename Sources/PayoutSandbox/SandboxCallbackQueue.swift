import PayoutGateway
import Synchronization

/// The callbacks a simulator still has to send: due ones are taken off, failed ones come back on the provider's
/// linear schedule (attempt n waits n × step) until the attempt limit.
final class SandboxCallbackQueue<Payload: Sendable>: Sendable {
    struct Entry: Sendable {
        var payload: Payload
        var attempts: Int
        var dueAtMillis: Int64
    }

    private let entries = Mutex<[Entry]>([])

    func enqueue(_ payload: Payload, dueAtMillis: Int64) {
        entries.withLock { $0.append(Entry(payload: payload, attempts: 0, dueAtMillis: dueAtMillis)) }
    }

    /// Drops callbacks not yet attempted that match (a merged callback replaces them).
    func removePending(where matches: (Payload) -> Bool) {
        entries.withLock { $0.removeAll { $0.attempts == 0 && matches($0.payload) } }
    }

    func takeDue(nowMillis: Int64) -> [Entry] {
        entries.withLock { entries in
            let due = entries.filter { $0.dueAtMillis <= nowMillis }
            entries.removeAll { $0.dueAtMillis <= nowMillis }
            return due
        }
    }

    func retry(_ entry: Entry, nowMillis: Int64, stepMillis: Int64, maxAttempts: Int) {
        guard entry.attempts < maxAttempts else { return }
        var next = entry
        next.attempts += 1
        next.dueAtMillis = nowMillis + stepMillis * Int64(next.attempts)
        entries.withLock { $0.append(next) }
    }
}
