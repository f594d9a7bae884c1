import Synchronization

/// Operator sessions of the ops page: a random id in an HttpOnly, SameSite=Strict cookie, valid for `lifetimeMillis`
/// (8 hours) in this instance's memory. The operator token itself is only ever posted to the login form.
public final class OpsSessions: Sendable {
    public static let cookieName = "pgw_ops"
    let lifetimeMillis: Int64
    private let sessions = Mutex<[String: Int64]>([:])

    public init(lifetimeMillis: Int64 = 8 * 3_600_000) {
        self.lifetimeMillis = lifetimeMillis
    }

    /// A new session; expired ones are dropped.
    public func open(nowMillis: Int64) -> String {
        let id = Identifier.random(length: 40)
        sessions.withLock { sessions in
            sessions = sessions.filter { $0.value > nowMillis }
            sessions[id] = nowMillis + lifetimeMillis
        }
        return id
    }

    public func isValid(_ id: String?, nowMillis: Int64) -> Bool {
        guard let id, id.count == 40 else { return false }
        return sessions.withLock { ($0[id] ?? 0) > nowMillis }
    }

    public func close(_ id: String?) {
        guard let id else { return }
        _ = sessions.withLock { $0.removeValue(forKey: id) }
    }
}
