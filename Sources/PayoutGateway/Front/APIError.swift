import Logging
import Foundation
import HTTPTypes
import Hummingbird

/// An error answered in the JSON:API dialect's own shapes. Never carries internals or secrets.
public struct APIError: Error, HTTPResponseError, Sendable {
    public let status: HTTPResponse.Status
    let body: JSONValue
    var headers: HTTPFields = [:]

    public init(status: HTTPResponse.Status, body: JSONValue) {
        self.status = status
        self.body = body
    }

    /// `{"errors":[{"status":"Not Found","code":"404"}]}` — reason phrase in `status`, the code as a string.
    public static func http(_ status: HTTPResponse.Status, detail: String? = nil) -> APIError {
        var item: [String: JSONValue] = ["status": .string(status.reasonPhrase), "code": .string(String(status.code))]
        if let detail { item["detail"] = .string(detail) }
        return APIError(status: status, body: ["errors": [.object(item)]])
    }

    /// Validation: `{"errors":{"amount":"This value should be greater than 0."}}` with 422.
    public static func validation(_ fields: [String: String]) -> APIError {
        APIError(status: .unprocessableContent, body: ["errors": .object(fields.mapValues { .string($0) })])
    }

    public static func validation(_ field: String, _ message: String) -> APIError {
        validation([field: message])
    }

    public static let unauthorized: APIError = {
        var error = APIError.http(.unauthorized)
        error.headers[.wwwAuthenticate] = "Basic realm=\"payout-gateway\""
        return error
    }()

    /// 429 with `Retry-After` (seconds), in the error-array shape.
    public static func tooManyRequests(retryAfter seconds: Int, detail: String) -> APIError {
        var error = APIError.http(.tooManyRequests, detail: detail)
        error.headers[.retryAfter] = String(seconds)
        return error
    }

    public static let notFound = APIError.http(.notFound)
    public static let methodNotAllowed = APIError.http(.methodNotAllowed)

    /// The dialect's 500: generic on purpose.
    public static let internalError = APIError(status: .internalServerError, body: [
        "errors": [["status": "internal_error", "code": "500", "title": "internal_error", "detail": "Internal server error."]],
    ])

    /// 409 with the existing invoice's document (`{"data": …}`) and the error beside it.
    public static func conflict(_ document: [UInt8], detail: String) -> APIError {
        var body = (try? JSONValue.parse(document))?.objectValue ?? [:]
        body["errors"] = [["status": "Conflict", "code": "409", "detail": .string(detail)]]
        return APIError(status: .conflict, body: .object(body))
    }

    /// The error document as text (no internals are ever in it).
    public var summary: String { body.jsonString() }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        var response = Response.json(body, status: status)
        response.headers.append(contentsOf: headers)
        return response
    }
}

extension Response {
    /// A JSON answer with `application/json`.
    public static func json(_ value: JSONValue, status: HTTPResponse.Status = .ok) -> Response {
        Response(
            status: status,
            headers: [.contentType: "application/json"],
            body: .init(byteBuffer: ByteBuffer(bytes: value.jsonBytes())))
    }

    /// A JSON answer with `application/json` from text already written (``JSONWriter``, a stored answer).
    public static func json(bytes: some Sequence<UInt8>, status: HTTPResponse.Status = .ok) -> Response {
        Response(status: status, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
    }
}

extension JSONValue {
    public func jsonString() -> String { String(decoding: jsonBytes(), as: UTF8.self) }
}
