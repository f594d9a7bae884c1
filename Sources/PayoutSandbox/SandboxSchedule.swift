/// A simulator's due work indexed by time, and its finished records capped, so that its clock and memory stay flat
/// however long it runs (its clock visits only what is due; finished records past the cap are dropped, oldest first).
struct SandboxSchedule: Sendable {
    /// How many finished records are kept, and for how long at least; nil keeps every record (the chaos suite
    /// checks the whole ledger).
    struct Retention: Sendable {
        var keepFinished: Int?
        var minAgeMillis: Int64

        /// At most 20,000 finished records, each kept at least two minutes after it finished.
        static let demo = Retention(keepFinished: 20_000, minAgeMillis: 120_000)
        static let everything = Retention(keepFinished: nil, minAgeMillis: 0)
    }

    var retention: Retention = .demo
    private var due: [String: Int64] = [:]
    private var finished: [(id: String, atMillis: Int64)] = []
    private var finishedHead = 0
    private var finishedIDs: Set<String> = []
    /// Records dropped since the creation order was last compacted.
    private var droppedSinceCompaction = 0

    /// Records when `id` is next due (nil: nothing scheduled) and whether it is finished.
    mutating func update(_ id: String, dueAtMillis: Int64?, isFinished: Bool, nowMillis: Int64) {
        due[id] = dueAtMillis
        if isFinished, dueAtMillis == nil, finishedIDs.insert(id).inserted {
            finished.append((id, nowMillis))
        }
    }

    /// Ids due at `nowMillis`, earliest first.
    func dueIDs(nowMillis: Int64) -> [String] {
        due.filter { $0.value <= nowMillis }.sorted { ($0.value, $0.key) < ($1.value, $1.key) }.map(\.key)
    }

    /// Finished ids to drop now: over the cap and old enough, oldest first.
    mutating func expired(nowMillis: Int64) -> [String] {
        guard let keep = retention.keepFinished else { return [] }
        var dropped: [String] = []
        while finished.count - finishedHead > keep, finished[finishedHead].atMillis + retention.minAgeMillis <= nowMillis {
            let id = finished[finishedHead].id
            finishedHead += 1
            finishedIDs.remove(id)
            due[id] = nil
            dropped.append(id)
        }
        if finishedHead > 4_096, finishedHead * 2 > finished.count {
            finished.removeFirst(finishedHead)
            finishedHead = 0
        }
        return dropped
    }

    /// Drops the expired finished records from `records`, and compacts `order` (the creation order, for listings)
    /// once many are gone.
    mutating func dropExpired<Record>(from records: inout [String: Record], order: inout [String], nowMillis: Int64) {
        let dropped = expired(nowMillis: nowMillis)
        guard !dropped.isEmpty else { return }
        for id in dropped { records[id] = nil }
        droppedSinceCompaction += dropped.count
        if droppedSinceCompaction > 4_096, droppedSinceCompaction * 2 > order.count {
            order.removeAll { records[$0] == nil }
            droppedSinceCompaction = 0
        }
    }
}
