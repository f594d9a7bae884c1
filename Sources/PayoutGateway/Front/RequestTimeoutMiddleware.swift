import HTTPTypes
import Hummingbird
import Synchronization

/// Answers the dialect's 503 when a request is not answered in time (a client trickling its body, a handler stuck
/// on the store), so that no request holds a connection and a task without bound. The handler is cancelled; a
/// create cut short may still have been stored, and its retry with the same `reference_id` finds it (409 with the
/// invoice), so nothing is paid twice.
///
/// One watchdog per middleware cancels the handlers past their deadline (checked every `granularity`), instead of a
/// sleeping timer task per request: a timer per request cost about 5 % of the CPU of a GET.
struct RequestTimeoutMiddleware<Context: RequestContext>: RouterMiddleware {
    let timeout: Duration
    private let watchdog: RequestWatchdog

    init(timeout: Duration) {
        self.timeout = timeout
        watchdog = RequestWatchdog(granularity: min(.milliseconds(100), timeout / 4))
    }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        try await withoutActuallyEscaping(next) { next in
            // The handler's task is awaited to its end below (cancelled or not), so `next` never outlives this call.
            let call = UncheckedCall(next: next, request: request, context: context)
            let task = Task { try await call.run() }
            let ticket = watchdog.watch(task, deadline: .now + timeout)
            let result = await withTaskCancellationHandler {
                await task.result
            } onCancel: {
                task.cancel()
            }
            // A handler that finished anyway answers as it did (a create that got stored says so); one cut short
            // by its deadline answers 503.
            if watchdog.release(ticket), case .failure = result {
                throw APIError.http(.serviceUnavailable, detail: "The request was not answered in time; repeat it.")
            }
            return try result.get()
        }
    }
}

/// Handlers in flight and their deadlines; a loop runs while any is watched and cancels those past their deadline.
final class RequestWatchdog: Sendable {
    private struct Watched {
        let deadline: ContinuousClock.Instant
        let cancel: @Sendable () -> Void
    }

    private struct State {
        var next = 0
        var watched: [Int: Watched] = [:]
        var expired: Set<Int> = []
        var looping = false
    }

    private let state = Mutex(State())
    private let granularity: Duration

    init(granularity: Duration) {
        self.granularity = granularity
    }

    /// Watches `task` until `release(_:)` with the ticket answered.
    func watch<Success: Sendable>(_ task: Task<Success, any Error>, deadline: ContinuousClock.Instant) -> Int {
        let (ticket, startLoop) = state.withLock { state -> (Int, Bool) in
            state.next &+= 1
            state.watched[state.next] = Watched(deadline: deadline, cancel: { task.cancel() })
            let start = !state.looping
            state.looping = true
            return (state.next, start)
        }
        if startLoop {
            Task.detached { [self] in await loop() }
        }
        return ticket
    }

    /// Stops watching; true when the deadline passed first (the task was cancelled for it).
    func release(_ ticket: Int) -> Bool {
        state.withLock { state in
            state.watched[ticket] = nil
            return state.expired.remove(ticket) != nil
        }
    }

    private func loop() async {
        while true {
            try? await Task.sleep(for: granularity)
            let now = ContinuousClock.now
            let (due, stop) = state.withLock { state -> ([@Sendable () -> Void], Bool) in
                var due: [@Sendable () -> Void] = []
                for (ticket, watched) in state.watched where watched.deadline <= now && !state.expired.contains(ticket) {
                    state.expired.insert(ticket)
                    due.append(watched.cancel)
                }
                // Nothing left to watch: the loop ends, and the next request starts another.
                if state.watched.isEmpty { state.looping = false }
                return (due, state.watched.isEmpty)
            }
            for cancel in due { cancel() }
            if stop { return }
        }
    }
}

/// The handler call, run in a task that ends before the call returns.
private struct UncheckedCall<Context: RequestContext>: @unchecked Sendable {
    let next: (Request, Context) async throws -> Response
    let request: Request
    let context: Context
    func run() async throws -> Response { try await next(request, context) }
}
