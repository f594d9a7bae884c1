/// What the router decided for one payout: the candidates in order and why every other provider was left out.
public struct RouteDecision: Sendable, Codable, Hashable {
    public var routeID: String?
    public var candidates: [String]
    public var skipped: [String: String]

    enum CodingKeys: String, CodingKey {
        case routeID = "route_id"
        case candidates, skipped
    }
}

/// Why no provider can take a payout.
public struct NoRouteError: Error, Sendable, CustomStringConvertible {
    public let reason: String
    public var description: String { reason }
}

/// Picks the providers for a payout from the routing table: first matching route, then per-provider eligibility.
public struct PayoutRouter: Sendable {
    public let table: RoutingTable

    public init(table: RoutingTable) {
        self.table = table
    }

    public func decide(service: String, currency: Currency, amountMinor: Int64, merchantID: String?) throws(NoRouteError) -> RouteDecision {
        guard let route = table.routes.first(where: { matches($0, service: service, currency: currency, amountMinor: amountMinor, merchantID: merchantID) }) else {
            throw NoRouteError(reason: "no route serves \(service) in \(currency.code) for this amount")
        }
        var candidates: [String] = []
        var skipped: [String: String] = [:]
        for providerID in route.providers {
            if let reason = ineligibility(providerID, service: service, currency: currency, amountMinor: amountMinor) {
                skipped[providerID] = reason
            } else {
                candidates.append(providerID)
            }
        }
        for providerID in table.providers.keys where !route.providers.contains(providerID) {
            skipped[providerID] = "not on route \(route.id)"
        }
        guard !candidates.isEmpty else {
            throw NoRouteError(reason: "no provider on route \(route.id) can take \(service) in \(currency.code) for this amount")
        }
        return RouteDecision(routeID: route.id, candidates: candidates, skipped: skipped)
    }

    func matches(_ route: CompiledRoute, service: String, currency: Currency, amountMinor: Int64, merchantID: String?) -> Bool {
        guard route.service == service else { return false }
        if let currencies = route.currencies, !currencies.contains(currency.code) { return false }
        if let merchants = route.merchants, !merchants.contains(merchantID ?? "") { return false }
        if let min = route.amountMin?.minor(exponent: currency.exponent), amountMinor < min { return false }
        if let max = route.amountMax?.minor(exponent: currency.exponent), amountMinor > max { return false }
        return true
    }

    func ineligibility(_ providerID: String, service: String, currency: Currency, amountMinor: Int64) -> String? {
        guard let provider = table.providers[providerID] else { return "unknown provider" }
        guard provider.enabled else { return "disabled in routes.json" }
        guard let mapping = provider.services[service] else { return "does not serve \(service)" }
        if let currencies = mapping.currencies, !currencies.contains(currency.code) {
            return "does not pay out \(currency.code)"
        }
        if let min = mapping.amountMin?.minor(exponent: currency.exponent), amountMinor < min { return "below its minimum" }
        if let max = mapping.amountMax?.minor(exponent: currency.exponent), amountMinor > max { return "above its maximum" }
        return nil
    }
}
