import HTTPTypes
import Hummingbird

/// Answers the dialect's 503 when a request is not answered in time (a client trickling its body, a handler stuck
/// on the store), so that no request holds a connection and a task without bound. The handler is cancelled; a
/// create cut short may still have been stored, and its retry with the same `reference_id` finds it (409 with the
/// invoice), so nothing is paid twice.
struct RequestTimeoutMiddleware<Context: RequestContext>: RouterMiddleware {
    let timeout: Duration

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        try await withoutActuallyEscaping(next) { next in
            // The group awaits both children before it returns, so `next` never outlives this call.
            let call = UncheckedCall(next: next, request: request, context: context)
            return try await withThrowingTaskGroup(of: Response?.self) { group in
                group.addTask { try await call.run() }
                group.addTask {
                    try await Task.sleep(for: timeout)
                    return nil
                }
                defer { group.cancelAll() }
                guard let first = try await group.next(), let response = first else {
                    throw APIError.http(.serviceUnavailable, detail: "The request was not answered in time; repeat it.")
                }
                return response
            }
        }
    }
}

/// The handler call, moved into a child task of a group that ends before the call returns.
private struct UncheckedCall<Context: RequestContext>: @unchecked Sendable {
    let next: (Request, Context) async throws -> Response
    let request: Request
    let context: Context
    func run() async throws -> Response? { try await next(request, context) }
}
