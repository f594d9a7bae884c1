import HTTPTypes
import Logging
import Foundation

/// A merchant's create request, validated against the catalogue. Field errors use the dialect's messages.
struct CreateInvoiceRequest: Sendable {
    var referenceId: String
    var service: GatewayService
    var currency: Currency
    var amountMinor: Int64
    var fields: [String: String]
    var description: String?
    var callbackUrl: String?
    var metadata: JSONValue?
    var customer: JSONValue?
    var autoProcess: Bool
    var testMode: Bool

    static let maxFields = 50
    static let maxFieldValue = 1024
    static let maxDescription = 1024
    static let maxURL = 2048
    static let maxObjectBytes = 8 * 1024

    /// What is wrong with destination fields against a field list (required, whole-value patterns).
    static func fieldErrors(_ fields: [String: String], against definitions: [FieldDefinition], refuseUnknown: Bool = false) -> [String: String] {
        var errors: [String: String] = [:]
        // Only fields the service or its providers define are taken: anything else could reach a provider as a
        // parameter of its own (a v4 form's notify_url, redirect_url …). Checked against the merged list only.
        if refuseUnknown {
            let known = Set(definitions.map(\.key))
            for key in fields.keys where !known.contains(key) { errors["fields.\(key)"] = "This field is not expected." }
        }
        for field in definitions {
            let value = fields[field.key] ?? ""
            if value.isEmpty {
                if field.required == true { errors["fields.\(field.key)"] = "This value should not be blank." }
                continue
            }
            if let pattern = field.regexp, !FieldPattern.matches(pattern, value) {
                errors["fields.\(field.key)"] = "This value is not valid."
            }
        }
        return errors
    }

    /// Throws the dialect's 422 when the fields do not satisfy a (merged) field list.
    static func checkFields(_ fields: [String: String], against definitions: [FieldDefinition]) throws(APIError) {
        let errors = fieldErrors(fields, against: definitions, refuseUnknown: true)
        guard errors.isEmpty else { throw APIError.validation(errors) }
    }

    /// Validates a parsed body; throws a 422 naming every bad field.
    static func validate(_ body: JSONValue, table: RoutingTable, defaultTestMode: Bool,
                         webhooks: WebhookDestinationPolicy = WebhookDestinationPolicy(allowedHosts: ["*"], requireHTTPS: false)) throws(APIError) -> CreateInvoiceRequest {
        guard body.objectValue != nil else { throw APIError.http(.badRequest, detail: "The body must be a JSON object.") }
        var attributes = body.objectValue ?? [:]
        if let data = body["data"] {
            guard let object = data.objectValue else { throw APIError.validation("data", "This value should be of type object.") }
            if let type = object["type"], !["payout-invoice", "payout-invoices"].contains(type.stringValue ?? "") {
                throw APIError.validation("type", "This value should be \"payout-invoice\".")
            }
            attributes = object["attributes"]?.objectValue ?? [:]
            if object["attributes"] != nil, object["attributes"]?.objectValue == nil {
                throw APIError.validation("attributes", "This value should be of type object.")
            }
        }
        var errors: [String: String] = [:]

        let referenceId = attributes["reference_id"]?.stringValue ?? ""
        if attributes["reference_id"] == nil || attributes["reference_id"]?.isNull == true {
            errors["reference_id"] = "This value should not be blank."
        } else if attributes["reference_id"]?.stringValue == nil {
            errors["reference_id"] = "This value should be of type string."
        } else if referenceId.isEmpty || referenceId.count > 128 {
            errors["reference_id"] = "This value should have 1 to 128 characters."
        } else if referenceId.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) {
            errors["reference_id"] = "This value contains control characters."
        }

        var service: GatewayService?
        if let code = attributes["service"]?.stringValue, !code.isEmpty {
            service = table.service(code)
            if service == nil { errors["service"] = "This service is not available." }
        } else {
            errors["service"] = "This value should not be blank."
        }

        var currency: Currency?
        if let code = attributes["currency"]?.stringValue, !code.isEmpty {
            currency = Currency(code: code)
            if currency == nil {
                errors["currency"] = "This value is not a valid currency."
            } else if let service, !service.currencies.contains(code) {
                errors["currency"] = "The service \(service.code) does not pay out in \(code)."
            }
        } else {
            errors["currency"] = "This value should not be blank."
        }

        var amountMinor: Int64 = 0
        switch attributes["amount"] {
        case nil, .null?:
            errors["amount"] = "This value should not be blank."
        case .number?, .string?:
            let text = attributes["amount"]?.decimalText ?? ""
            do {
                amountMinor = try MinorUnits.parse(text, exponent: currency?.exponent ?? 8)
                if let currency, let service {
                    if let min = service.amountMin?.minor(exponent: currency.exponent), amountMinor < min {
                        errors["amount"] = "This value should be greater than or equal to \(service.amountMin!.text)."
                    } else if let max = service.amountMax?.minor(exponent: currency.exponent), amountMinor > max {
                        errors["amount"] = "This value should be less than or equal to \(service.amountMax!.text)."
                    }
                }
            } catch .notPositive {
                errors["amount"] = "This value should be greater than 0."
            } catch .tooManyDecimals(let allowed) {
                errors["amount"] = "This value should have at most \(allowed) decimal places for \(currency?.code ?? "this currency")."
            } catch .tooLarge {
                errors["amount"] = "This value is too large."
            } catch {
                errors["amount"] = "This value should be a valid number."
            }
        default:
            errors["amount"] = "This value should be a valid number."
        }

        var fields: [String: String] = [:]
        switch attributes["fields"] {
        case nil, .null?:
            break
        case .object(let object)?:
            if object.count > maxFields { errors["fields"] = "Too many fields." }
            for (key, value) in object {
                let text: String?
                switch value {
                case .string(let string): text = string
                case .number(let number): text = DecimalText.text(number)
                case .null: text = nil
                default: text = nil; errors["fields.\(key)"] = "This value should be of type string."
                }
                guard let text else { continue }
                if key.isEmpty || key.count > 64 { errors["fields"] = "Field names must have 1 to 64 characters."; continue }
                if text.count > maxFieldValue { errors["fields.\(key)"] = "This value is too long."; continue }
                fields[key] = text
            }
        default:
            errors["fields"] = "This value should be of type object."
        }
        if let service {
            errors.merge(fieldErrors(fields, against: service.fields)) { first, _ in first }
        }

        var description: String?
        switch attributes["description"] {
        case nil, .null?: break
        case .string(let text)?:
            if text.count > maxDescription { errors["description"] = "This value is too long." } else { description = text }
        default: errors["description"] = "This value should be of type string."
        }

        var callbackUrl: String?
        switch attributes["callback_url"] {
        case nil, .null?: break
        case .string(let text)?:
            if text.isEmpty { break }
            if text.count > maxURL { errors["callback_url"] = "This value is too long."; break }
            guard let url = URL(string: text), let scheme = url.scheme?.lowercased(), ["http", "https"].contains(scheme), url.host != nil else {
                errors["callback_url"] = "This value is not a valid URL."
                break
            }
            if let reason = webhooks.refusal(of: text) {
                errors["callback_url"] = reason
                break
            }
            callbackUrl = text
        default: errors["callback_url"] = "This value should be of type string."
        }

        for key in ["metadata", "customer"] {
            guard let value = attributes[key], !value.isNull else { continue }
            if value.objectValue == nil { errors[key] = "This value should be of type object."; continue }
            if JSONCoding.encodeString(value).utf8.count > maxObjectBytes { errors[key] = "This value is too large." }
        }
        if let customer = attributes["customer"]?.objectValue {
            let ref = customer["reference_id"]?.stringValue ?? ""
            if ref.isEmpty || ref.count > 128 { errors["customer.reference_id"] = "This value should not be blank." }
        }

        var autoProcess = true
        if let options = attributes["options"], !options.isNull {
            if let object = options.objectValue {
                if let flag = object["auto_process"], !flag.isNull {
                    if case .bool(let value) = flag { autoProcess = value } else { errors["options.auto_process"] = "This value should be of type bool." }
                }
            } else {
                errors["options"] = "This value should be of type object."
            }
        }
        var testMode = defaultTestMode
        if let flag = attributes["test_mode"], !flag.isNull {
            if case .bool(let value) = flag { testMode = value } else { errors["test_mode"] = "This value should be of type bool." }
        }

        guard errors.isEmpty, let service, let currency else { throw APIError.validation(errors) }
        return CreateInvoiceRequest(
            referenceId: referenceId, service: service, currency: currency, amountMinor: amountMinor, fields: fields,
            description: description, callbackUrl: callbackUrl,
            metadata: attributes["metadata"].flatMap { $0.isNull ? nil : $0 },
            customer: attributes["customer"].flatMap { $0.isNull ? nil : $0 },
            autoProcess: autoProcess, testMode: testMode)
    }
}
