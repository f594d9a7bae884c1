import Synchronization

/// The last hour of provider calls in memory, for the ops page: calls and failures per minute, and the latest
/// latencies per call kind (for p50 and p99). Prometheus has the long history; this answers "which provider is
/// hurting right now" without one.
public final class ProviderCallStats: Sendable {
    struct Minute: Sendable {
        var minute: Int64
        var calls = 0
        var failures = 0
    }

    struct Entry: Sendable {
        /// Indexed by minute modulo 60; a slot whose `minute` is older than an hour counts as empty.
        var minutes: [Minute] = Array(repeating: Minute(minute: -1), count: 60)
        /// Per call kind: (time, milliseconds), the latest `latencyKeep`.
        var latencies: [String: [(atMillis: Int64, millis: Double)]] = [:]
    }

    /// One provider's last hour.
    public struct Summary: Sendable {
        /// Calls in each of the last 60 minutes, oldest first (the current minute last).
        public var callsPerMinute: [Int]
        public var failuresPerMinute: [Int]
        /// p50 and p99 in milliseconds per call kind, over the last hour's kept calls.
        public var latency: [String: (p50: Double, p99: Double, count: Int)]

        public var calls: Int { callsPerMinute.reduce(0, +) }
        public var failures: Int { failuresPerMinute.reduce(0, +) }
        public var errorShare: Double { calls == 0 ? 0 : Double(failures) / Double(calls) }
    }

    static let latencyKeep = 1_000
    private let entries = Mutex<[String: Entry]>([:])

    public init() {}

    public func record(_ provider: String, call: String, millis: Double, failed: Bool, nowMillis: Int64) {
        let minute = nowMillis / 60_000
        entries.withLock { entries in
            var entry = entries[provider] ?? Entry()
            let slot = Int(minute % 60)
            if entry.minutes[slot].minute != minute { entry.minutes[slot] = Minute(minute: minute) }
            entry.minutes[slot].calls += 1
            if failed { entry.minutes[slot].failures += 1 }
            var kept = entry.latencies[call] ?? []
            kept.append((nowMillis, millis))
            if kept.count > Self.latencyKeep { kept.removeFirst(kept.count - Self.latencyKeep) }
            entry.latencies[call] = kept
            entries[provider] = entry
        }
    }

    public func summary(_ provider: String, nowMillis: Int64) -> Summary {
        let entry = entries.withLock { $0[provider] } ?? Entry()
        let current = nowMillis / 60_000
        var calls: [Int] = []
        var failures: [Int] = []
        for minute in (current - 59)...current {
            let slot = entry.minutes[Int(((minute % 60) + 60) % 60)]
            calls.append(slot.minute == minute ? slot.calls : 0)
            failures.append(slot.minute == minute ? slot.failures : 0)
        }
        var latency: [String: (p50: Double, p99: Double, count: Int)] = [:]
        for (call, values) in entry.latencies {
            let recent = values.filter { nowMillis - $0.atMillis <= 3_600_000 }.map(\.millis).sorted()
            guard !recent.isEmpty else { continue }
            func quantile(_ q: Double) -> Double { recent[min(recent.count - 1, Int((Double(recent.count) * q).rounded(.down)))] }
            latency[call] = (quantile(0.5), quantile(0.99), recent.count)
        }
        return Summary(callsPerMinute: calls, failuresPerMinute: failures, latency: latency)
    }
}
