import PayoutGateway
import Synchronization

/// The faults a simulator injects into create calls: queued ones first, then a random share, counted.
final class SandboxFaults: Sendable {
    private struct State {
        var queued: [SandboxFault] = []
        var rate = 0.0
        var injected = 0
    }

    private let state = Mutex(State())

    func inject(_ faults: [SandboxFault]) { state.withLock { $0.queued.append(contentsOf: faults) } }
    func setRate(_ rate: Double) { state.withLock { $0.rate = max(0, min(1, rate)) } }
    var injected: Int { state.withLock { $0.injected } }

    /// The fault for the next create call, if any.
    func next() -> SandboxFault? {
        state.withLock { state in
            var fault: SandboxFault?
            if !state.queued.isEmpty {
                fault = state.queued.removeFirst()
            } else if state.rate > 0, Double.random(in: 0..<1) < state.rate {
                fault = SandboxFault.allCases.randomElement()
            }
            if fault != nil { state.injected += 1 }
            return fault
        }
    }
}
