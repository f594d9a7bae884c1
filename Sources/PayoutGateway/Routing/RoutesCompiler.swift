import Foundation
import Synchronization

/// Parses and validates a routes file into a ``RoutingTable``; reports every issue, not just the first.
public struct RoutesCompiler: Sendable {
    public var secrets: SecretResolver
    /// The dialects providers may speak; each checks its own settings.
    public var dialects: DialectRegistry

    public init(secrets: SecretResolver = SecretResolver(), dialects: DialectRegistry = .standard) {
        self.secrets = secrets
        self.dialects = dialects
    }

    public func compile(data: Data) throws(RoutesValidationError) -> RoutingTable {
        let file: RoutesFile
        do {
            file = try JSONDecoder().decode(RoutesFile.self, from: data)
        } catch let error as DecodingError {
            throw RoutesValidationError(issues: [.init(path: Self.path(of: error), reason: Self.reason(of: error))])
        } catch {
            throw RoutesValidationError(issues: [.init(path: "$", reason: "not valid JSON")])
        }
        return try compile(file)
    }

    public func compile(contentsOf path: String) throws(RoutesValidationError) -> RoutingTable {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw RoutesValidationError(issues: [.init(path: "$", reason: "cannot read \(path)")])
        }
        return try compile(data: data)
    }

    public func compile(_ file: RoutesFile) throws(RoutesValidationError) -> RoutingTable {
        var issues: [RoutesValidationError.Issue] = []
        func issue(_ path: String, _ reason: String) { issues.append(.init(path: path, reason: reason)) }

        var services: [GatewayService] = []
        var seenServices = Set<String>()
        for (index, service) in file.services.enumerated() {
            let path = "$.services[\(index)]"
            if service.code.isEmpty || service.code.count > 64 { issue("\(path).code", "must be 1–64 characters") }
            if !seenServices.insert(service.code).inserted { issue("\(path).code", "duplicate service \(service.code)") }
            if service.currencies.isEmpty { issue("\(path).currencies", "must list at least one currency") }
            for (ci, code) in service.currencies.enumerated() where Currency(code: code) == nil {
                issue("\(path).currencies[\(ci)]", "unknown ISO 4217 currency \(code)")
            }
            let min = limit(service.amountMin, "\(path).amount_min", currencies: service.currencies, &issues)
            let max = limit(service.amountMax, "\(path).amount_max", currencies: service.currencies, &issues)
            checkOrder(min, max, path, &issues)
            for (fi, field) in service.fields.enumerated() {
                if field.key.isEmpty { issue("\(path).fields[\(fi)].key", "must not be empty") }
                if let pattern = field.regexp, FieldPattern.compile(pattern) == nil {
                    issue("\(path).fields[\(fi)].regexp", "does not compile")
                }
            }
            services.append(GatewayService(
                code: service.code, method: service.method, name: service.name ?? service.code,
                currencies: service.currencies, amountMin: min, amountMax: max, fields: service.fields))
        }

        var providers: [String: ProviderConfig] = [:]
        for (index, provider) in file.providers.enumerated() {
            let path = "$.providers[\(index)]"
            if provider.id.isEmpty || provider.id.count > 64
                || !provider.id.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") })
            {
                issue("\(path).id", "must be 1–64 characters of letters, digits, - or _")
            }
            if providers[provider.id] != nil { issue("\(path).id", "duplicate provider \(provider.id)") }
            guard let dialect = dialects[provider.dialect] else {
                issue("\(path).dialect", "unknown dialect \(provider.dialect) (known: \(dialects.names.joined(separator: ", ")))")
                continue
            }
            if !provider.isSandbox, URL(string: provider.baseURL)?.scheme?.hasPrefix("http") != true {
                issue("\(path).base_url", "must be an http(s) URL or \"sandbox\"")
            }
            var resolved: [String: Secret] = [:]
            for (name, reference) in provider.credentials ?? [:] {
                if let value = secrets.resolve(reference) {
                    resolved[name] = Secret(value)
                } else if !provider.isSandbox {
                    issue("\(path).credentials.\(name)", "secret not found (\(reference.location))")
                }
            }
            if !provider.isSandbox {
                for name in dialect.requiredCredentials where provider.credentials?[name] == nil {
                    issue("\(path).credentials.\(name)", "required for dialect \(provider.dialect.rawValue)")
                }
            }
            var mappings: [String: ProviderServiceMapping] = [:]
            for (code, definition) in provider.services {
                let spath = "\(path).services.\(code)"
                let gatewayService = file.services.first(where: { $0.code == code })
                if gatewayService == nil { issue(spath, "unknown gateway service \(code)") }
                mappings[code] = compileMapping(
                    definition, path: spath, dialect: dialect, gatewayCurrencies: gatewayService?.currencies ?? [], gatewayCode: code,
                    &issues)
            }
            for key in provider.options.keys.sorted() where key != dialect.optionsKey {
                issue("\(path).\(key)", "not a setting of dialect \(provider.dialect)")
            }
            let options = dialect.compileOptions(provider, raw: dialect.optionsKey.flatMap { provider.options[$0] }, path: path, issues: &issues)
            if let timeout = provider.timeoutSeconds, !(timeout > 0 && timeout <= 300) {
                issue("\(path).timeout_seconds", "must be in (0, 300]")
            }
            if let poll = provider.pollIntervalSeconds, !(poll >= 0.01 && poll <= 3600) {
                issue("\(path).poll_interval_seconds", "must be in [0.01, 3600]")
            }
            for (fi, flag) in (provider.eligibilityFlags ?? []).enumerated() where !["available", "active", "enabled"].contains(flag) {
                issue("\(path).eligibility_flags[\(fi)]", "must be available, active or enabled")
            }
            var config = ProviderConfig(
                id: provider.id, dialect: provider.dialect, baseURL: provider.baseURL, isSandbox: provider.isSandbox,
                credentials: resolved, services: mappings, autoProcess: provider.autoProcess ?? false,
                testMode: provider.testMode ?? provider.isSandbox,
                timeoutSeconds: provider.timeoutSeconds ?? file.defaults?.timeoutSeconds ?? 20,
                pollIntervalSeconds: provider.pollIntervalSeconds ?? file.defaults?.pollIntervalSeconds ?? 3,
                enabled: provider.enabled ?? true, options: options)
            config.servicesRefreshSeconds = provider.servicesRefreshSeconds ?? file.defaults?.servicesRefreshSeconds ?? 60
            config.servicesMaxAgeSeconds = provider.servicesMaxAgeSeconds ?? file.defaults?.servicesMaxAgeSeconds ?? 900
            config.eligibilityFlags = provider.eligibilityFlags ?? file.defaults?.eligibilityFlags ?? ["available", "enabled"]
            config.repeatedReference = provider.repeatedReference ?? dialect.defaultRepeatedReference
            if !(config.servicesRefreshSeconds >= 1), !provider.isSandbox { issue("\(path).services_refresh_seconds", "must be at least 1") }
            providers[provider.id] = config
        }

        var routes: [CompiledRoute] = []
        var seenRoutes = Set<String>()
        for (index, route) in file.routes.enumerated() {
            let path = "$.routes[\(index)]"
            if !seenRoutes.insert(route.id).inserted { issue("\(path).id", "duplicate route \(route.id)") }
            if !seenServices.contains(route.match.service) {
                issue("\(path).match.service", "unknown gateway service \(route.match.service)")
            }
            for (ci, currency) in (route.match.currencies ?? []).enumerated() where Currency(code: currency) == nil {
                issue("\(path).match.currencies[\(ci)]", "unknown ISO 4217 currency \(currency)")
            }
            let routeCurrencies = route.match.currencies ?? file.services.first(where: { $0.code == route.match.service })?.currencies ?? []
            let min = limit(route.match.amountMin, "\(path).match.amount_min", currencies: routeCurrencies, &issues)
            let max = limit(route.match.amountMax, "\(path).match.amount_max", currencies: routeCurrencies, &issues)
            checkOrder(min, max, "\(path).match", &issues)
            if route.providers.isEmpty { issue("\(path).providers", "must name at least one provider") }
            for (pi, providerID) in route.providers.enumerated() {
                guard let provider = providers[providerID] else {
                    issue("\(path).providers[\(pi)]", "unknown provider \(providerID)")
                    continue
                }
                if provider.services[route.match.service] == nil {
                    issue("\(path).providers[\(pi)]", "provider \(providerID) does not serve \(route.match.service)")
                }
            }
            // A route after a catch-all for the same service can never match.
            if let earlier = routes.first(where: {
                $0.service == route.match.service && $0.currencies == nil && $0.amountMin == nil
                    && $0.amountMax == nil && $0.merchants == nil
            }) {
                issue("\(path)", "unreachable: route \(earlier.id) already matches every \(route.match.service) payout")
            }
            if route.strategy == .weighted {
                for providerID in route.providers where (route.weights?[providerID] ?? 0) <= 0 {
                    issue("\(path).weights.\(providerID)", "weighted routes need a positive weight for every provider")
                }
            }
            for key in (route.weights ?? [:]).keys where !route.providers.contains(key) {
                issue("\(path).weights.\(key)", "not a provider of this route")
            }
            if Set(route.providers).count != route.providers.count { issue("\(path).providers", "lists a provider twice") }
            // The same service, currencies, amount range and merchants as an earlier route: never reached.
            if let twin = routes.first(where: {
                $0.service == route.match.service && $0.currencies == route.match.currencies.map(Set.init)
                    && $0.amountMin == min && $0.amountMax == max && $0.merchants == route.match.merchants.map(Set.init)
            }) {
                issue("\(path).match", "overlaps route \(twin.id) exactly; it can never match")
            }
            var compiled = CompiledRoute(
                id: route.id, service: route.match.service, currencies: route.match.currencies.map(Set.init),
                amountMin: min, amountMax: max, merchants: route.match.merchants.map(Set.init),
                providers: route.providers)
            compiled.strategy = route.strategy ?? .ordered
            compiled.weights = route.weights ?? [:]
            compiled.failover = route.failover ?? true
            routes.append(compiled)
        }

        guard issues.isEmpty else { throw RoutesValidationError(issues: issues) }
        return RoutingTable(
            services: services, providers: providers, routes: routes,
            pollInterval: file.defaults?.pollIntervalSeconds ?? 3, dialects: dialects)
    }

    /// One provider service: its common terms and each currency's own, every limit checked in the currencies it
    /// applies to.
    private func compileMapping(_ definition: ProviderServiceDefinition, path: String, dialect: any DialectDescription, gatewayCurrencies: [String],
                                gatewayCode: String, _ issues: inout [RoutesValidationError.Issue]) -> ProviderServiceMapping {
        func issue(_ path: String, _ reason: String) { issues.append(.init(path: path, reason: reason)) }
        for (ci, currency) in (definition.currencies ?? []).enumerated() where Currency(code: currency) == nil {
            issue("\(path).currencies[\(ci)]", "unknown ISO 4217 currency \(currency)")
        }
        if let code = definition.code, code.isEmpty || code.count > 64 { issue("\(path).code", "must be 1–64 characters") }
        let perCurrency = definition.byCurrency ?? [:]
        let served: [String]? = definition.currencies ?? (definition.byCurrency.map { Array($0.keys).sorted() })
        let limitCurrencies = served ?? gatewayCurrencies
        // Common limits apply in every currency that does not give its own.
        let commonCurrencies = limitCurrencies.filter { perCurrency[$0]?.amountMin == nil || perCurrency[$0]?.amountMax == nil }
        let min = limit(definition.amountMin, "\(path).amount_min", currencies: commonCurrencies, &issues)
        let max = limit(definition.amountMax, "\(path).amount_max", currencies: commonCurrencies, &issues)
        checkOrder(min, max, path, &issues)
        let common = ProviderServiceTerms(code: definition.code ?? gatewayCode, amountMin: min, amountMax: max, fieldMap: definition.fieldMap ?? [:])
        var byCurrency: [String: ProviderServiceTerms] = [:]
        for currency in perCurrency.keys.sorted() {
            let terms = perCurrency[currency]!
            let cpath = "\(path).by_currency.\(currency)"
            if Currency(code: currency) == nil { issue(cpath, "unknown ISO 4217 currency \(currency)") }
            if let currencies = definition.currencies, !currencies.contains(currency) {
                issue(cpath, "\(currency) is not in this service's currencies")
            }
            if !gatewayCurrencies.isEmpty, !gatewayCurrencies.contains(currency) {
                issue(cpath, "the gateway service \(gatewayCode) does not offer \(currency)")
            }
            if let code = terms.code, code.isEmpty || code.count > 64 { issue("\(cpath).code", "must be 1–64 characters") }
            if terms.endpoint != nil, !dialect.hasEndpoints {
                issue("\(cpath).endpoint", "dialect \(dialect.dialect) has no endpoints")
            } else if let endpoint = terms.endpoint, endpoint.pathComponent == nil {
                issue("\(cpath).endpoint", "exactly one of endpoint_id or group_id")
            }
            let cmin = terms.amountMin.map { _ in limit(terms.amountMin, "\(cpath).amount_min", currencies: [currency], &issues) } ?? min
            let cmax = terms.amountMax.map { _ in limit(terms.amountMax, "\(cpath).amount_max", currencies: [currency], &issues) } ?? max
            checkOrder(cmin, cmax, cpath, &issues)
            byCurrency[currency] = ProviderServiceTerms(
                code: terms.code ?? common.code, amountMin: cmin, amountMax: cmax,
                fieldMap: common.fieldMap.merging(terms.fieldMap ?? [:]) { _, own in own }, endpoint: terms.endpoint)
        }
        return ProviderServiceMapping(currencies: served.map(Set.init), common: common, byCurrency: byCurrency)
    }

    private func limit(_ value: JSONValue?, _ path: String, currencies: [String], _ issues: inout [RoutesValidationError.Issue]) -> DecimalLimit? {
        guard let value, !value.isNull else { return nil }
        guard let text = value.decimalText, (try? MinorUnits.parseSigned(text, exponent: 8)) != nil else {
            issues.append(.init(path: path, reason: "must be a decimal amount"))
            return nil
        }
        if text.hasPrefix("-") { issues.append(.init(path: path, reason: "must not be negative")) }
        // A limit finer than a currency's minor unit ("999.50" for JPY) would silently mean "no limit" at run time.
        for code in currencies {
            guard let currency = Currency(code: code) else { continue }
            if (try? MinorUnits.parseSigned(text, exponent: currency.exponent)) == nil {
                issues.append(.init(path: path, reason: "\(text) is finer than the minor unit of \(code) (\(currency.exponent) decimals)"))
            }
        }
        return DecimalLimit(text: text)
    }

    private func checkOrder(_ min: DecimalLimit?, _ max: DecimalLimit?, _ path: String, _ issues: inout [RoutesValidationError.Issue]) {
        if let lo = min?.minor(exponent: 8), let hi = max?.minor(exponent: 8), lo > hi {
            issues.append(.init(path: path, reason: "amount_min is greater than amount_max"))
        }
    }

    static func path(of error: DecodingError) -> String {
        let context: DecodingError.Context
        switch error {
        case .typeMismatch(_, let c), .valueNotFound(_, let c), .dataCorrupted(let c): context = c
        case .keyNotFound(let key, let c):
            return (["$"] + c.codingPath.map(Self.component) + [key.stringValue]).joined(separator: ".")
                .replacingOccurrences(of: ".[", with: "[")
        @unknown default: return "$"
        }
        return (["$"] + context.codingPath.map(Self.component)).joined(separator: ".")
            .replacingOccurrences(of: ".[", with: "[")
    }

    static func component(_ key: any CodingKey) -> String {
        if let index = key.intValue { return "[\(index)]" }
        return key.stringValue
    }

    static func reason(of error: DecodingError) -> String {
        switch error {
        case .typeMismatch(let type, _): return "expected \(type)"
        case .valueNotFound(let type, _): return "missing \(type)"
        case .keyNotFound: return "required"
        case .dataCorrupted(let context):
            return context.codingPath.isEmpty && context.debugDescription.contains("JSON")
                ? "not valid JSON" : context.debugDescription
        @unknown default: return "invalid"
        }
    }
}

/// A compiled pattern (nil when it does not compile); `NSRegularExpression` matching is thread-safe.
private struct CompiledPattern: @unchecked Sendable {
    let regex: NSRegularExpression?
}

/// Provider and catalogue field patterns, normalised (`/…/` delimiters, doubled escapes) and compiled.
public enum FieldPattern {
    public static func normalise(_ pattern: String) -> String {
        var text = pattern
        if text.count >= 2, text.hasPrefix("/"), let last = text.lastIndex(of: "/"), last != text.startIndex {
            text = String(text[text.index(after: text.startIndex)..<last])
        }
        while text.contains("\\\\") { text = text.replacingOccurrences(of: "\\\\", with: "\\") }
        return text
    }

    /// The pattern as it is matched: over the whole value (`\A(?:…)\z`, so `$` lets no trailing newline through)
    /// with `\d` and `\D` meaning ASCII digits only (ICU's `\d` takes every Unicode digit).
    static func strict(_ pattern: String) -> String {
        var out = ""
        var escaped = false
        for character in normalise(pattern) {
            if escaped {
                escaped = false
                switch character {
                case "d": out += "[0-9]"
                case "D": out += "[^0-9]"
                default: out.append("\\"); out.append(character)
                }
            } else if character == "\\" {
                escaped = true
            } else {
                out.append(character)
            }
        }
        if escaped { out.append("\\") }
        return "\\A(?:" + out + ")\\z"
    }

    /// Compiled patterns by their text: validation runs on every create, compiling is not cheap.
    private static let cache = Mutex<[String: CompiledPattern]>([:])

    public static func compile(_ pattern: String) -> NSRegularExpression? {
        if let hit = cache.withLock({ $0[pattern] }) { return hit.regex }
        let compiled = CompiledPattern(regex: try? NSRegularExpression(pattern: strict(pattern)))
        cache.withLock { cache in
            if cache.count >= 4_096 { cache.removeAll() }
            cache[pattern] = compiled
        }
        return compiled.regex
    }

    /// Whether `value` matches the whole pattern; an uncompilable pattern never refuses a value.
    public static func matches(_ pattern: String, _ value: String) -> Bool {
        guard let regex = compile(pattern) else { return true }
        let range = NSRange(value.startIndex..., in: value)
        return regex.firstMatch(in: value, range: range) != nil
    }
}
