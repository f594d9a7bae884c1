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
            if error.status == .notFound, let allowed = methodsOfKnownPath(request) {
                // RFC 9110: a 405 lists the methods the resource supports.
                var response = try APIError.methodNotAllowed.response(from: request, context: context)
                response.headers[.allow] = allowed.map(\.rawValue).sorted().joined(separator: ", ")
                return response
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

    /// The methods a known path serves when the request used another one (nil: unknown path, or a served method).
    func methodsOfKnownPath(_ request: Request) -> Set<HTTPRequest.Method>? {
        let segments = request.uri.path.split(separator: "/")
        var methods = Set<HTTPRequest.Method>()
        for route in routes where route.template.count == segments.count
            && zip(route.template, segments).allSatisfy({ template, segment in template.hasPrefix(":") || template == segment }) {
            methods.formUnion(route.methods)
        }
        guard !methods.isEmpty, !methods.contains(request.method) else { return nil }
        return methods
    }
}
