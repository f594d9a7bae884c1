import Foundation
import PayoutGateway
import PayoutSandbox
import Testing

@Suite("routes.json: validation, secrets, patterns and first-match selection")
struct RoutesFileTests {
    static let base = """
        {"services":[{"code":"card","method":"payment_card","currencies":["USD","EUR"],"fields":[{"key":"card_number","required":true,"regexp":"^\\\\d{12,19}$"}]}],
         "providers":[
           {"id":"a","dialect":"jsonapi","base_url":"sandbox","services":{"card":{"currencies":["USD"],"amount_max":"100"}}},
           {"id":"b","dialect":"jsonapi","base_url":"sandbox","services":{"card":{"currencies":["USD","EUR"]}}}],
         "routes":[{"id":"usd","match":{"service":"card","currencies":["USD"]},"providers":["a","b"]},
                   {"id":"eur","match":{"service":"card","currencies":["EUR"]},"providers":["b"]}]}
        """

    @Test("the shipped routes.json is valid")
    func shippedFileIsValid() throws {
        let table = try RoutesCompiler().compile(contentsOf: TestGateway.shippedRoutesPath)
        #expect(table.service("card") != nil)
        #expect(!table.routes.isEmpty)
    }

    @Test("a payout goes to the first matching route; providers over their limit are skipped with a reason")
    func selection() throws {
        let table = try RoutesCompiler().compile(data: Data(Self.base.utf8))
        let router = PayoutRouter(table: table)
        let usd = Currency(code: "USD")!
        let small = try router.decide(service: "card", currency: usd, amountMinor: 5_000, merchantID: nil)
        #expect(small.routeID == "usd")
        #expect(small.candidates == ["a", "b"])
        let large = try router.decide(service: "card", currency: usd, amountMinor: 50_000, merchantID: nil)
        #expect(large.candidates == ["b"])
        #expect(large.skipped["a"] == "above its maximum")
        let eur = try router.decide(service: "card", currency: Currency(code: "EUR")!, amountMinor: 100, merchantID: nil)
        #expect(eur.routeID == "eur")
        #expect(eur.candidates == ["b"])
        #expect(eur.skipped["a"] == "not on route eur")
        #expect(throws: NoRouteError.self) { try router.decide(service: "card", currency: Currency(code: "JPY")!, amountMinor: 100, merchantID: nil) }
    }

    @Test("limits finer than a currency's minor unit are refused, never read as no limit")
    func limitsFitMinorUnits() throws {
        let file = """
            {"services":[{"code":"card","method":"m","currencies":["USD","JPY"],"amount_max":"999.50","fields":[]}],
             "providers":[{"id":"a","dialect":"jsonapi","base_url":"sandbox","services":{"card":{"currencies":["JPY"],"amount_min":"0.5"}}}],
             "routes":[{"id":"r","match":{"service":"card","currencies":["JPY"],"amount_max":"10.25"},"providers":["a"]}]}
            """
        do {
            _ = try RoutesCompiler(secrets: SecretResolver(environment: [:])).compile(data: Data(file.utf8))
            Issue.record("limits finer than the yen were accepted")
        } catch {
            let paths = Set(error.issues.map(\.path))
            #expect(paths == ["$.services[0].amount_max", "$.providers[0].services.card.amount_min", "$.routes[0].match.amount_max"])
        }
    }

    @Test("every problem is reported with its JSON path")
    func invalidFiles() throws {
        let bad = """
            {"services":[{"code":"card","method":"m","currencies":["USD","XYZ"],"amount_min":"10","amount_max":"1","fields":[{"key":"k","regexp":"(["}]}],
             "providers":[{"id":"a","dialect":"jsonapi","base_url":"ftp://x","services":{"nope":{}},"credentials":{"api_key":{"env":"PGW_TEST_MISSING_SECRET"}}}],
             "routes":[{"id":"r","match":{"service":"card"},"providers":["a","ghost"]},{"id":"r2","match":{"service":"card","currencies":["USD"]},"providers":["a"]}]}
            """
        do {
            _ = try RoutesCompiler(secrets: SecretResolver(environment: [:])).compile(data: Data(bad.utf8))
            Issue.record("an invalid file was accepted")
        } catch {
            let paths = Set(error.issues.map(\.path))
            #expect(paths.contains("$.services[0].currencies[1]"))
            #expect(paths.contains("$.services[0]"))
            #expect(paths.contains("$.services[0].fields[0].regexp"))
            #expect(paths.contains("$.providers[0].base_url"))
            #expect(paths.contains("$.providers[0].credentials.api_key"))
            #expect(paths.contains("$.providers[0].credentials.account_id"))
            #expect(paths.contains("$.providers[0].services.nope"))
            #expect(paths.contains("$.routes[0].providers[1]"))
            #expect(paths.contains("$.routes[1]"))
        }
    }

    @Test("secrets are never literals")
    func literalSecretRefused() {
        let literal = """
            {"services":[],"providers":[{"id":"a","dialect":"jsonapi","base_url":"https://x","services":{},"credentials":{"api_key":"plain"}}],"routes":[]}
            """
        #expect(throws: RoutesValidationError.self) { try RoutesCompiler().compile(data: Data(literal.utf8)) }
    }

    @Test("secrets resolve from the environment and files, and never print")
    func secretsResolve() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("pgw-secret-\(UUID().uuidString)").path
        try Data("file-secret\n".utf8).write(to: URL(fileURLWithPath: path))
        let resolver = SecretResolver(environment: ["K": "env-secret"])
        #expect(resolver.resolve(.environment("K")) == "env-secret")
        #expect(resolver.resolve(.file(path)) == "file-secret")
        #expect(resolver.resolve(.environment("MISSING")) == nil)
        #expect("\(Secret("env-secret"))" == "<redacted>")
    }

    @Test("provider regexps with doubled escapes or slash delimiters are normalised")
    func patterns() {
        #expect(FieldPattern.matches("^\\\\d{1,15}$", "12345"))
        #expect(FieldPattern.matches("/^\\d{1,15}$/", "12345"))
        #expect(!FieldPattern.matches("^\\d{1,15}$", "12a45"))
        #expect(FieldPattern.matches("([", "anything"))
    }

    @Test("field patterns match the whole value, with ASCII digits only and no trailing newline")
    func patternsMatchWholeValue() {
        // A pattern without anchors still has to cover the whole value.
        #expect(!FieldPattern.matches("\\d{4}", "12345678"))
        #expect(FieldPattern.matches("\\d{4}", "1234"))
        // `\d` is ASCII only: fullwidth and Arabic-Indic digits are refused.
        #expect(!FieldPattern.matches("^\\d{4}$", "\u{FF11}\u{FF12}\u{FF13}\u{FF14}"))
        #expect(!FieldPattern.matches("^\\d{4}$", "\u{0661}\u{0662}\u{0663}\u{0664}"))
        #expect(!FieldPattern.matches("^[\\d]{4}$", "\u{0661}\u{0662}\u{0663}\u{0664}"))
        #expect(FieldPattern.matches("^\\D{2}$", "ab"))
        #expect(!FieldPattern.matches("^\\D{2}$", "a1"))
        // `$` does not let a trailing newline through.
        #expect(!FieldPattern.matches("^\\d{4}$", "1234\n"))
        #expect(!FieldPattern.matches("^.{1,8}$", "abc\n"))
        // Alternatives are grouped before anchoring.
        #expect(FieldPattern.matches("^a$|^b$", "b"))
        #expect(!FieldPattern.matches("a|b", "ab"))
    }
}
