import Synchronization

/// Per-merchant token buckets: each merchant may make `ratePerSecond` requests a second on average and `burst` at
/// once; beyond that the merchant API answers 429 with `Retry-After` (the dialect's error-array shape). A rate of 0
/// turns the limit off. Buckets of merchants idle for a minute are dropped, so memory stays bounded.
public final class MerchantRateLimiter: Sendable {
    public let ratePerSecond: Double
    public let burst: Double
    private struct Bucket {
        var tokens: Double
        var updatedMillis: Int64
    }

    private let buckets = Mutex<[String: Bucket]>([:])

    public init(ratePerSecond: Double, burst: Double? = nil) {
        self.ratePerSecond = max(0, ratePerSecond)
        self.burst = max(1, burst ?? ratePerSecond * 2)
    }

    /// Takes one token for `merchantID`; nil when allowed, otherwise the seconds to wait (1–60).
    public func take(_ merchantID: String, nowMillis: Int64) -> Int? {
        guard ratePerSecond > 0 else { return nil }
        return buckets.withLock { buckets in
            if buckets.count > 50_000 { buckets = buckets.filter { nowMillis - $0.value.updatedMillis < 60_000 } }
            var bucket = buckets[merchantID] ?? Bucket(tokens: burst, updatedMillis: nowMillis)
            let elapsed = Double(max(0, nowMillis - bucket.updatedMillis)) / 1000
            bucket.tokens = min(burst, bucket.tokens + elapsed * ratePerSecond)
            bucket.updatedMillis = nowMillis
            defer { buckets[merchantID] = bucket }
            if bucket.tokens >= 1 {
                bucket.tokens -= 1
                return nil
            }
            let wait = (1 - bucket.tokens) / ratePerSecond
            return min(60, max(1, Int(wait.rounded(.up))))
        }
    }
}
