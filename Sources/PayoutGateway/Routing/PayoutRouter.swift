import Foundation

/// What the router decided for one payout: the candidates in order and why every other provider was left out.
public struct RouteDecision: Sendable, Codable, Hashable {
    public var routeID: String?
    public var strategy: String?
    public var candidates: [String]
    public var skipped: [String: String]
    /// Whether the next candidate may take a payout the previous one definitely did not create (nil: yes).
    public var failover: Bool?

    enum CodingKeys: String, CodingKey {
        case routeID = "route_id"
        case strategy, candidates, skipped, failover
    }

    /// The decision as stored: JSON with sorted keys, absent optionals left out (the byte writer; `parse` reads it).
    public var jsonText: String {
        var object: [String: JSONValue] = [
            "candidates": .array(candidates.map { .string($0) }),
            "skipped": .object(skipped.mapValues { .string($0) }),
        ]
        if let routeID { object["route_id"] = .string(routeID) }
        if let strategy { object["strategy"] = .string(strategy) }
        if let failover { object["failover"] = .bool(failover) }
        return String(decoding: JSONValue.object(object).jsonBytes(), as: UTF8.self)
    }

    /// Reads a stored decision through the byte parser (the engine reads one on every step).
    public static func parse(_ text: String) -> RouteDecision? {
        guard let tree = try? JSONValue.parse(text), let object = tree.objectValue,
              let candidates = object["candidates"]?.arrayValue?.compactMap(\.stringValue)
        else { return nil }
        return RouteDecision(
            routeID: object["route_id"]?.stringValue, strategy: object["strategy"]?.stringValue, candidates: candidates,
            skipped: object["skipped"]?.objectValue?.compactMapValues(\.stringValue) ?? [:],
            failover: { if case .bool(let value)? = object["failover"] { return value } else { return nil } }())
    }
}

/// Why no provider can take a payout.
public struct NoRouteError: Error, Sendable, CustomStringConvertible {
    public let reason: String
    public let skipped: [String: String]
    public var description: String { reason }
}

/// The run-time facts the router weighs besides routes.json: cached services lists and provider health.
public struct RoutingConditions: Sendable {
    public var services: [String: CachedProviderServices]
    public var unhealthy: [String: String]
    public var nowMillis: Int64

    public init(services: [String: CachedProviderServices] = [:], unhealthy: [String: String] = [:], nowMillis: Int64 = Clock.nowMillis()) {
        self.services = services
        self.unhealthy = unhealthy
        self.nowMillis = nowMillis
    }

    /// Static view: routes.json only (the offline `routes explain`).
    public static let none = RoutingConditions()
}

/// Picks the providers for a payout: the first matching route, minus providers not eligible by routes.json limits,
/// the cached services list and health, ordered by the route's strategy. Deterministic for a given state.
public struct PayoutRouter: Sendable {
    public let table: RoutingTable
    public let conditions: RoutingConditions

    public init(table: RoutingTable, conditions: RoutingConditions = .none) {
        self.table = table
        self.conditions = conditions
    }

    /// - Parameter reference: a stable key of the payout (weighted routes spread by it).
    public func decide(service: String, currency: Currency, amountMinor: Int64, merchantID: String?, reference: String = "") throws(NoRouteError) -> RouteDecision {
        guard let route = table.routes.first(where: { matches($0, service: service, currency: currency, amountMinor: amountMinor, merchantID: merchantID) }) else {
            throw NoRouteError(reason: "no route serves \(service) in \(currency.code) for this amount", skipped: [:])
        }
        var eligible: [String] = []
        var skipped: [String: String] = [:]
        for providerID in route.providers {
            if let reason = ineligibility(providerID, service: service, currency: currency, amountMinor: amountMinor) {
                skipped[providerID] = reason
            } else {
                eligible.append(providerID)
            }
        }
        for providerID in table.providers.keys where !route.providers.contains(providerID) {
            skipped[providerID] = "not on route \(route.id)"
        }
        // Unhealthy providers are ejected, except that the last eligible one is never ejected.
        let healthy = eligible.filter { conditions.unhealthy[$0] == nil }
        if !healthy.isEmpty {
            for providerID in eligible where conditions.unhealthy[providerID] != nil {
                skipped[providerID] = conditions.unhealthy[providerID]
            }
            eligible = healthy
        }
        guard !eligible.isEmpty else {
            throw NoRouteError(reason: "no provider on route \(route.id) can take \(service) in \(currency.code) for this amount", skipped: skipped)
        }
        let ordered = order(eligible, route: route, service: service, currency: currency, amountMinor: amountMinor, reference: reference)
        return RouteDecision(routeID: route.id, strategy: route.strategy.rawValue, candidates: ordered, skipped: skipped, failover: route.failover)
    }

    func matches(_ route: CompiledRoute, service: String, currency: Currency, amountMinor: Int64, merchantID: String?) -> Bool {
        guard route.service == service else { return false }
        if let currencies = route.currencies, !currencies.contains(currency.code) { return false }
        if let merchants = route.merchants, !merchants.contains(merchantID ?? "") { return false }
        if let min = route.amountMin?.minor(exponent: currency.exponent), amountMinor < min { return false }
        if let max = route.amountMax?.minor(exponent: currency.exponent), amountMinor > max { return false }
        return true
    }

    /// Why a provider cannot take this payout (nil when it can).
    func ineligibility(_ providerID: String, service: String, currency: Currency, amountMinor: Int64) -> String? {
        guard let provider = table.providers[providerID] else { return "unknown provider" }
        guard provider.enabled else { return "disabled in routes.json" }
        guard let mapping = provider.services[service] else { return "does not serve \(service)" }
        guard let terms = mapping.terms(currency: currency.code) else { return "does not pay out \(currency.code)" }
        if let min = terms.amountMin?.minor(exponent: currency.exponent), amountMinor < min { return "below its minimum" }
        if let max = terms.amountMax?.minor(exponent: currency.exponent), amountMinor > max { return "above its maximum" }
        // Providers with a services list (cached by the refresher) are also held to it.
        if let entry = listedService(provider, service: service, currency: currency) {
            switch entry {
            case .failure(let reason): return reason.description
            case .success(let listed):
                if let listed {
                    for flag in provider.eligibilityFlags where !Self.flag(flag, of: listed) {
                        return "services list says \(flag)=false"
                    }
                    if let min = listed.amountMin.flatMap({ try? MinorUnits.parseSigned($0, exponent: currency.exponent) }), amountMinor < min {
                        return "below the provider's listed minimum"
                    }
                    if let max = listed.amountMax.flatMap({ try? MinorUnits.parseSigned($0, exponent: currency.exponent) }), max > 0, amountMinor > max {
                        return "above the provider's listed maximum"
                    }
                }
            }
        }
        return nil
    }

    /// The provider's listed service for this code and currency: nil inside `.success` when the list was
    /// never loaded (routes.json limits alone decide), a failure reason when it is stale or lacks the service.
    func listedService(_ provider: ProviderConfig, service: String, currency: Currency) -> Result<ProviderServiceInfo?, RouteSkip>? {
        guard let cached = conditions.services[provider.id], cached.fetchedAtMillis > 0 else { return .success(nil) }
        let age = conditions.nowMillis - cached.fetchedAtMillis
        if age > Int64(provider.servicesMaxAgeSeconds * 1000) {
            return .failure(RouteSkip("services list is stale (\(age / 1000) s old)"))
        }
        let code = provider.terms(service: service, currency: currency.code)?.code ?? service
        guard let listed = cached.services.first(where: { $0.service == code && $0.currency == currency.code }) else {
            return .failure(RouteSkip("services list has no \(code) in \(currency.code)"))
        }
        return .success(listed)
    }

    /// The destination fields a payout of `service` in `currency` needs when it may go to any of `providers`: the
    /// gateway's own list merged with what each provider's prerequest says (in gateway field names).
    public func fields(service: GatewayService, currency: String, providers: [String]) -> [FieldDefinition] {
        var providerFields: [[FieldDefinition]] = []
        for providerID in providers {
            guard let provider = table.providers[providerID], let terms = provider.terms(service: service.code, currency: currency),
                  let listed = conditions.services[providerID]?.fields[CachedProviderServices.fieldsKey(code: terms.code, currency: currency)]
            else { continue }
            providerFields.append(listed.map { field in
                var renamed = field
                renamed.key = terms.gatewayKey(field.key)
                return renamed
            })
        }
        return FieldMerge.merge(gateway: service.fields, providers: providerFields)
    }

    static func flag(_ name: String, of service: ProviderServiceInfo) -> Bool {
        switch name {
        case "available": return service.available
        case "active": return service.active
        case "enabled": return service.enabled
        default: return true
        }
    }

    func order(_ eligible: [String], route: CompiledRoute, service: String, currency: Currency, amountMinor: Int64, reference: String) -> [String] {
        switch route.strategy {
        case .ordered:
            return eligible
        case .weighted:
            // A stable draw per payout: the same reference always picks the same first provider.
            let total = eligible.reduce(0) { $0 + max(route.weights[$1] ?? 0, 0) }
            guard total > 0 else { return eligible }
            let digest = Digest.sha256Hex(reference.isEmpty ? UUID().uuidString : reference)
            var ticket = Int(UInt64(digest.prefix(12), radix: 16)! % UInt64(total))
            for providerID in eligible {
                ticket -= max(route.weights[providerID] ?? 0, 0)
                if ticket < 0 { return [providerID] + eligible.filter { $0 != providerID } }
            }
            return eligible
        case .lowestFee:
            let fees = eligible.map { ($0, fee($0, service: service, currency: currency, amountMinor: amountMinor)) }
            return fees.enumerated().sorted { lhs, rhs in
                let (l, r) = (lhs.element.1 ?? Int64.max, rhs.element.1 ?? Int64.max)
                return l == r ? lhs.offset < rhs.offset : l < r
            }.map(\.element.0)
        }
    }

    /// The provider's fee for this amount in minor units, from its listed fee_rate (percent), fee_fix, fee_min and fee_max.
    public func fee(_ providerID: String, service: String, currency: Currency, amountMinor: Int64) -> Int64? {
        guard let provider = table.providers[providerID],
              case .success(let listed?)? = listedService(provider, service: service, currency: currency)
        else { return nil }
        // A fee finer than the currency's minor unit (fee_fix "0.5" in JPY) is not a fee we can charge: the
        // provider's fee is unknown (ranked last), never silently 0.
        func minor(_ text: String?) -> Int64?? {
            guard let text, !text.isEmpty else { return .some(0) }
            guard let value = try? MinorUnits.parseSigned(text, exponent: currency.exponent) else { return .none }
            return .some(value)
        }
        guard let fix = minor(listed.feeFix), let floor = minor(listed.feeMin), let cap = minor(listed.feeMax),
              let fix, let floor, let cap, let rate = Decimal(string: listed.feeRate ?? "0")
        else { return nil }
        var proportional = Decimal(amountMinor) * rate / 100
        var rounded = Decimal()
        NSDecimalRound(&rounded, &proportional, 0, .up)
        var fee = NSDecimalNumber(decimal: rounded).int64Value + fix
        fee = max(fee, floor)
        if cap > 0 { fee = min(fee, cap) }
        return fee
    }
}

/// A reason a provider is skipped.
public struct RouteSkip: Error, Sendable, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}

/// How the gateway's field list and the providers' combine into what merchants see and what a create must satisfy.
public enum FieldMerge {
    /// The gateway's fields first, in its order; then fields only providers name, in the order they name them.
    /// A field both name keeps the gateway's definition (its pattern, labels and type) — the gateway's list wins —
    /// except that it is required when any provider requires it and takes a provider's pattern when the gateway
    /// gives none: the stricter of the two. Labels and examples missing on the gateway's side come from the provider.
    public static func merge(gateway: [FieldDefinition], providers: [[FieldDefinition]]) -> [FieldDefinition] {
        var merged = gateway
        var index: [String: Int] = [:]
        for (position, field) in merged.enumerated() { index[field.key] = position }
        for list in providers {
            for field in list where !field.key.isEmpty {
                guard let position = index[field.key] else {
                    index[field.key] = merged.count
                    merged.append(field)
                    continue
                }
                var ours = merged[position]
                if field.required == true { ours.required = true }
                if ours.regexp == nil { ours.regexp = field.regexp }
                if ours.label == nil { ours.label = field.label }
                if ours.example == nil { ours.example = field.example }
                if ours.type == nil { ours.type = field.type }
                merged[position] = ours
            }
        }
        return merged
    }
}
