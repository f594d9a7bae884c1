import Foundation
import HTTPTypes
@testable import PayoutGateway
@testable import PayoutSandbox
import Testing

@Suite("Provider eligibility and ordering: services lists, health, strategies")
struct ProviderEligibilityTests {
    static let file = """
        {"services":[{"code":"card","method":"payment_card","currencies":["USD","EUR"],"fields":[]}],
         "providers":[
           {"id":"a","dialect":"jsonapi","base_url":"sandbox","services":{"card":{"code":"card_a"}}},
           {"id":"b","dialect":"jsonapi","base_url":"sandbox","services":{"card":{}}, "eligibility_flags":["available","active","enabled"]},
           {"id":"c","dialect":"jsonapi","base_url":"sandbox","services":{"card":{}}}],
         "routes":[
           {"id":"usd","match":{"service":"card","currencies":["USD"]},"providers":["a","b","c"]},
           {"id":"eur-fee","match":{"service":"card","currencies":["EUR"],"amount_max":"1000"},"providers":["a","b","c"],"strategy":"lowest_fee"},
           {"id":"eur-weighted","match":{"service":"card","currencies":["EUR"]},"providers":["a","b"],"strategy":"weighted","weights":{"a":1,"b":3}}]}
        """

    static func listed(_ code: String, _ currency: String, available: Bool = true, active: Bool = true, min: String = "0.01",
                       max: String = "100000", rate: String = "0", fix: String = "0") -> ProviderServiceInfo {
        ProviderServiceInfo(id: "comcpos_\(code)\(currency)", service: code, method: "payment_card", currency: currency, available: available,
                            active: active, enabled: true, amountMin: min, amountMax: max, feeRate: rate, feeFix: fix, feeMin: "0", feeMax: "0")
    }

    static func router(services: [String: [ProviderServiceInfo]] = [:], fetchedAgo: Int64 = 0, unhealthy: [String: String] = [:]) throws -> PayoutRouter {
        let table = try RoutesCompiler().compile(data: Data(file.utf8))
        let now: Int64 = 10_000_000
        var cached: [String: CachedProviderServices] = [:]
        for (id, list) in services { cached[id] = CachedProviderServices(services: list, fetchedAtMillis: now - fetchedAgo, lastError: nil, lastAttemptMillis: now) }
        return PayoutRouter(table: table, conditions: RoutingConditions(services: cached, unhealthy: unhealthy, nowMillis: now))
    }

    let usd = Currency(code: "USD")!
    let eur = Currency(code: "EUR")!

    @Test("without services lists, routes.json alone decides")
    func staticOnly() throws {
        #expect(try Self.router().decide(service: "card", currency: usd, amountMinor: 1000, merchantID: nil).candidates == ["a", "b", "c"])
    }

    @Test("the services list removes providers that are unavailable, lack the service or are outside its limits")
    func servicesListEligibility() throws {
        let router = try Self.router(services: [
            "a": [Self.listed("card_a", "USD", available: false)],
            "b": [Self.listed("card", "USD", active: false)],
            "c": [Self.listed("card", "USD", max: "5")],
        ])
        let large = try? router.decide(service: "card", currency: usd, amountMinor: 1000, merchantID: nil)
        #expect(large == nil)
        do {
            _ = try router.decide(service: "card", currency: usd, amountMinor: 1000, merchantID: nil)
        } catch {
            #expect(error.skipped["a"] == "services list says available=false")
            #expect(error.skipped["b"] == "services list says active=false")
            #expect(error.skipped["c"] == "above the provider's listed maximum")
        }
        #expect(try router.decide(service: "card", currency: usd, amountMinor: 400, merchantID: nil).candidates == ["c"])
        // `active` counts only where configured: a's default rule is available && enabled.
        let activeIgnored = try Self.router(services: ["a": [Self.listed("card_a", "USD", active: false)]])
        #expect(try activeIgnored.decide(service: "card", currency: usd, amountMinor: 1000, merchantID: nil).candidates.first == "a")
        let missing = try Self.router(services: ["a": [Self.listed("other", "USD")]])
        let decision = try missing.decide(service: "card", currency: usd, amountMinor: 1000, merchantID: nil)
        #expect(decision.skipped["a"] == "services list has no card_a in USD")
    }

    @Test("a list older than its maximum age makes the provider not eligible")
    func staleness() throws {
        let fresh = try Self.router(services: ["a": [Self.listed("card_a", "USD")]], fetchedAgo: 60_000)
        #expect(try fresh.decide(service: "card", currency: usd, amountMinor: 1000, merchantID: nil).candidates.first == "a")
        let stale = try Self.router(services: ["a": [Self.listed("card_a", "USD")]], fetchedAgo: 901_000)
        let decision = try stale.decide(service: "card", currency: usd, amountMinor: 1000, merchantID: nil)
        #expect(decision.candidates == ["b", "c"])
        #expect(decision.skipped["a"]?.contains("stale") == true)
    }

    @Test("unhealthy providers are ejected, but never the last eligible one")
    func health() throws {
        let some = try Self.router(unhealthy: ["a": "circuit open"])
        #expect(try some.decide(service: "card", currency: usd, amountMinor: 1000, merchantID: nil).candidates == ["b", "c"])
        let all = try Self.router(unhealthy: ["a": "open", "b": "open", "c": "open"])
        #expect(try all.decide(service: "card", currency: usd, amountMinor: 1000, merchantID: nil).candidates == ["a", "b", "c"])
    }

    @Test("lowest fee orders by the listed fees; ties keep the route's order")
    func lowestFee() throws {
        let router = try Self.router(services: [
            "a": [Self.listed("card_a", "EUR", rate: "2", fix: "0.30")],
            "b": [Self.listed("card", "EUR", rate: "1.5", fix: "0.50")],
            "c": [Self.listed("card", "EUR", rate: "0", fix: "1")],
        ])
        // 100.00 EUR: a = 2.30, b = 2.00, c = 1.00
        #expect(try router.decide(service: "card", currency: eur, amountMinor: 10_000, merchantID: nil).candidates == ["c", "b", "a"])
        // 10.00 EUR: a = 0.50, b = 0.65, c = 1.00
        #expect(try router.decide(service: "card", currency: eur, amountMinor: 1_000, merchantID: nil).candidates == ["a", "b", "c"])
        #expect(router.fee("a", service: "card", currency: eur, amountMinor: 1_001) == 51)
    }

    @Test("weighted routes pick by weight, the same way for the same payout")
    func weighted() throws {
        let router = try Self.router()
        let amount: Int64 = 500_000
        var first: [String: Int] = [:]
        for index in 0..<400 {
            let decision = try router.decide(service: "card", currency: eur, amountMinor: amount, merchantID: nil, reference: "p\(index)")
            first[decision.candidates[0], default: 0] += 1
            #expect(decision.candidates.count == 2)
            #expect(try router.decide(service: "card", currency: eur, amountMinor: amount, merchantID: nil, reference: "p\(index)").candidates == decision.candidates)
        }
        #expect((first["b"] ?? 0) > (first["a"] ?? 0) * 2)
    }
}
