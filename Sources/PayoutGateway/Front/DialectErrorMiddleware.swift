import Foundation
import HTTPTypes
import Hummingbird
import Logging

/// Turns every error into the dialect's shape: unknown paths 404, known paths with another method 405,
/// anything unexpected a generic 500 (logged by type only, never by content).
public struct DialectErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    /// Path templates served, with their methods (`:id` matches one segment).
    let routes: [(template: [Substring], methods: Set<HTTPRequest.Method>)]

    public init(routes: [(String, [HTTPRequest.Method])]) {
        var merged: [String: Set<HTTPRequest.Method>] = [:]
        for (path, methods) in routes { merged[path, default: []].formUnion(methods) }
        self.routes = merged.map { (template: $0.key.split(separator: "/"), methods: $0.value) }
    }

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as APIError {
            return try error.response(from: request, context: context)
        } catch let error as HTTPError {
            if error.status == .notFound, knownPathWithOtherMethod(request) {
                return try APIError.methodNotAllowed.response(from: request, context: context)
            }
            if error.status.code >= 500 {
                return try APIError.internalError.response(from: request, context: context)
            }
            return try APIError.http(error.status).response(from: request, context: context)
        } catch {
            context.logger.error("request failed", metadata: ["error.type": "\(String(describing: type(of: error)))"])
            return try APIError.internalError.response(from: request, context: context)
        }
    }

    func knownPathWithOtherMethod(_ request: Request) -> Bool {
        let segments = request.uri.path.split(separator: "/")
        return routes.contains { route in
            guard route.template.count == segments.count, !route.methods.contains(request.method) else { return false }
            return zip(route.template, segments).allSatisfy { template, segment in template.hasPrefix(":") || template == segment }
        }
    }
}
