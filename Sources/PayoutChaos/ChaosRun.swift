import PayoutGateway
import PayoutSandbox
import AsyncHTTPClient
import Foundation
import Hummingbird
import Logging
import NIOCore
import NIOHTTP1
import ServiceLifecycle

/// `payout-gateway chaos`: the gateway as a child process against faulty sandboxes of both dialects, killed with
/// SIGKILL and restarted mid-run; the sandboxes' ledgers then prove nothing was paid twice or lost.
public struct ChaosRun: Sendable {
    let options: ChaosOptions
    let logger: Logger

    public init(options: ChaosOptions, logger: Logger) {
        self.options = options
        self.logger = logger
    }

    struct Acknowledged: Sendable {
        let reference: String
        let payoutID: String
        let currency: String
        let amountMinor: Int64
    }

    public func run() async throws -> ChaosReport {
        try FileManager.default.createDirectory(atPath: options.workDirectory, withIntermediateDirectories: true)
        let sandboxPort = try await FreePort.find()
        let receiverPort = try await FreePort.find()
        var gatewayPorts: [Int] = []
        for _ in 0..<max(1, options.instances) { gatewayPorts.append(try await FreePort.find()) }

        // Providers: one JSON:API, two PaynetEasy v4 (direct and bank confirmation), all injecting faults.
        var payelata = JSONAPISandbox(prefix: "payelata", processingMillis: 300, callbackStepMillis: 200)
        payelata.faultDelayMillis = 2_500
        // Late visibility lasts longer than the gateway's grace window (3.5 s): a resend meets "duplicate" (409).
        payelata.lateVisibilityMillis = 6_000
        payelata.setCallbackMode([SandboxCallbackMode.outOfOrder, .duplicate, .merged].randomElement()!)
        var payneteasy = try PaynetSandbox(id: "payneteasy")
        var cardzo = try PaynetSandbox(id: "cardzo")
        for index in [0, 1] {
            var sandbox = index == 0 ? payneteasy : cardzo
            sandbox.processingMillis = 300
            sandbox.callbackStepMillis = 200
            sandbox.faultDelayMillis = 2_500
            sandbox.lateVisibilityMillis = 6_000
            // Cardzo's payout-pay is sometimes slower than the gateway's timeout: the answer is lost, the payment not.
            sandbox.slowPayMillis = 1_500
            sandbox.slowPayRate = options.faultRate
            if index == 0 { payneteasy = sandbox } else { cardzo = sandbox }
        }
        for sandbox in [payneteasy, cardzo] { sandbox.setFaultRate(options.faultRate) }
        payelata.setFaultRate(options.faultRate)
        for sandbox in [payneteasy, cardzo] { sandbox.keepEveryRecord() }
        payelata.keepEveryRecord()
        let sandbox = SandboxServer(jsonapi: [payelata], paynet: [payneteasy, cardzo])

        // The store and a merchant, before the gateway starts.
        let databaseURL = options.databaseURL ?? "sqlite://\(options.workDirectory)/gateway.sqlite"
        let keyFile = "\(options.workDirectory)/data.key"
        let merchant = try await createMerchant(name: "chaos", databaseURL: databaseURL, dataKeyFile: keyFile, dataKey: nil, logger: logger)
        let receiver = ChaosWebhookReceiver(secret: merchant.callbackSecret, failureRate: options.webhookFailureRate)

        let routesPath = "\(options.workDirectory)/routes.json"
        let pemPaths = ["payneteasy": "\(options.workDirectory)/payneteasy.pem", "cardzo": "\(options.workDirectory)/cardzo.pem"]
        _ = FileManager.default.createFile(atPath: pemPaths["payneteasy"]!, contents: Data(payneteasy.privateKeyPEM.utf8), attributes: [.posixPermissions: 0o600])
        _ = FileManager.default.createFile(atPath: pemPaths["cardzo"]!, contents: Data(cardzo.privateKeyPEM.utf8), attributes: [.posixPermissions: 0o600])
        try Data(routesFile(sandboxPort: sandboxPort, pemPaths: pemPaths).utf8).write(to: URL(fileURLWithPath: routesPath))

        var environment = ProcessInfo.processInfo.environment
        environment["CHAOS_PAYELATA_ACCOUNT"] = payelata.account.accountID
        environment["CHAOS_PAYELATA_KEY"] = payelata.account.apiKey
        environment["CHAOS_PAYELATA_SECRET"] = payelata.account.callbackSecret
        environment["CHAOS_PAYNETEASY_LOGIN"] = payneteasy.login
        environment["CHAOS_PAYNETEASY_CONTROL"] = payneteasy.controlKey
        environment["CHAOS_CARDZO_LOGIN"] = cardzo.login
        environment["CHAOS_CARDZO_CONTROL"] = cardzo.controlKey
        environment["PAYOUT_GATEWAY_LEASE_MS"] = "4000"
        environment["PAYOUT_GATEWAY_ABSENCE_GRACE_MS"] = "3500"
        environment["PAYOUT_GATEWAY_LOOKUP_BACKOFF_MS"] = "300"
        environment["PAYOUT_GATEWAY_LOOKUP_BACKOFF_CAP_MS"] = "3000"
        environment["PAYOUT_GATEWAY_WEBHOOK_STEP_MS"] = "300"
        environment["PAYOUT_GATEWAY_WEBHOOK_CAP_MS"] = "3000"
        environment["PAYOUT_GATEWAY_AMBIGUOUS_LOOKUP_DELAY_MS"] = "300"
        environment["PAYOUT_GATEWAY_WEBHOOK_HOSTS"] = "127.0.0.1"
        environment["PAYOUT_GATEWAY_RATE_LIMIT"] = "0"
        environment["PAYOUT_GATEWAY_ENGINE_CONCURRENCY"] = "48"
        // Every instance: its own port and public URL (callbacks), the same store and data key.
        let gateways = gatewayPorts.enumerated().map { index, port in
            ChaosGatewayProcess(
                executable: options.executable,
                arguments: ["serve", "--port", String(port), "--routes", routesPath, "--database", databaseURL,
                            "--data-key-file", keyFile, "--log-level", "info", "--log-format", "json", "--public-url", "http://127.0.0.1:\(port)"],
                environment: environment, logPath: "\(options.workDirectory)/gateway\(index == 0 ? "" : "-\(index + 1)").log")
        }

        let client = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup)
        let sandboxApp = Application(router: sandbox.buildRouter(), configuration: .init(address: .hostname("127.0.0.1", port: sandboxPort)), logger: logger)
        let receiverApp = Application(router: receiver.router(), configuration: .init(address: .hostname("127.0.0.1", port: receiverPort)), logger: logger)
        let group = ServiceGroup(configuration: .init(
            services: [sandboxApp, receiverApp, sandbox.clock(client: client, logger: logger)], logger: logger))

        var report = ChaosReport()
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            defer { for gateway in gateways { gateway.stop() } }
            for gateway in gateways { try gateway.start() }
            let api = ChaosClient(client: client, bases: gatewayPorts.map { "http://127.0.0.1:\($0)" }, merchant: merchant)
            try await api.waitUntilUp(seconds: 60)

            let submitStarted = Date()
            let acknowledged = try await submitWithRestarts(api: api, gateways: gateways, receiverPort: receiverPort, report: &report)
            report.createSeconds = Date().timeIntervalSince(submitStarted)
            report.forgedCallbacksRefused = await api.sendForgedCallbacks()
            try await settle(api: api, acknowledged: acknowledged, receiver: receiver, report: &report)
            report.finaliseSeconds = Date().timeIntervalSince(submitStarted)
            check(acknowledged: acknowledged, ledger: sandbox.ledger(), api: api, receiver: receiver, report: &report)
            report.faults = payelata.faultsInjected + payneteasy.faultsInjected + cardzo.faultsInjected
            if receiver.signatureFailures > 0 { report.failures.append("\(receiver.signatureFailures) webhooks with a bad signature") }
            if report.forgedCallbacksRefused < 3 { report.failures.append("forged callbacks were accepted") }
            for gateway in gateways { gateway.stop() }
            // The logs: no secret and no clear card number anywhere; ids on every line of a request or a step.
            let logs = ChaosLogCheck(secrets: [
                "the payelata API key": payelata.account.apiKey, "the payelata callback secret": payelata.account.callbackSecret,
                "the payneteasy control key": payneteasy.controlKey, "the cardzo control key": cardzo.controlKey,
                "the merchant API key": merchant.apiKey, "the merchant callback secret": merchant.callbackSecret,
                "a clear card number": ChaosClient.cardNumber,
            ]).check(logPaths: gateways.map(\.logPath), allowedTruncated: options.restarts + options.instances)
            report.logLines = logs.lines
            report.failures += logs.failures
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
        }
        try? await client.shutdown()
        return report
    }

    /// Submits every payout (retrying each with the same reference until acknowledged) while killing gateway instances.
    func submitWithRestarts(api: ChaosClient, gateways: [ChaosGatewayProcess], receiverPort: Int, report: inout ChaosReport) async throws -> [Acknowledged] {
        let plan: [(String, String, Int64)] = (0..<options.payouts).map { index in
            let currency = index % 2 == 0 ? "USD" : "EUR"
            let cents = [0, 1, 5, 10, 13, 25, 50, 75, 99][index % 9]
            // Every third payout waits for the merchant's /process, sent right after the create (racing the engine).
            return ("chaos-\(index % 3 == 0 ? "p" : "")\(index)-\(Identifier.random(length: 6))", currency, Int64(100 + (index * 37) % 40_000) * 100 + Int64(cents))
        }
        let restartEvery = max(1, options.payouts / (options.restarts + 1))
        var acknowledged: [Acknowledged] = []
        var restartsDone = 0
        var next = 0
        while next < plan.count {
            let batchEnd = min(plan.count, next + restartEvery)
            let batch = Array(plan[next..<batchEnd])
            let results = try await withThrowingTaskGroup(of: Acknowledged?.self) { group in
                var results: [Acknowledged] = []
                var iterator = batch.makeIterator()
                for _ in 0..<options.concurrency {
                    guard let item = iterator.next() else { break }
                    group.addTask { try await api.create(reference: item.0, currency: item.1, amountMinor: item.2, callbackPort: receiverPort, processLater: item.0.hasPrefix("chaos-p")) }
                }
                // Kill the gateway in the middle of the batch, while creates and provider calls are in flight.
                var killedInBatch = false
                while let result = try await group.next() {
                    if let result { results.append(result) }
                    if !killedInBatch, restartsDone < options.restarts, results.count >= batch.count / 2 {
                        // One instance dies (in turn); with several, the others carry on and take over its leases.
                        let gateway = gateways[restartsDone % gateways.count]
                        gateway.kill()
                        try await Task.sleep(for: .milliseconds(200))
                        try gateway.start()
                        restartsDone += 1
                        killedInBatch = true
                    }
                    if let item = iterator.next() {
                        group.addTask { try await api.create(reference: item.0, currency: item.1, amountMinor: item.2, callbackPort: receiverPort, processLater: item.0.hasPrefix("chaos-p")) }
                    }
                }
                return results
            }
            acknowledged += results
            next = batchEnd
        }
        report.restarts = restartsDone
        report.payouts = acknowledged.count
        return acknowledged
    }

    /// Waits until every payout is final (or pending with a reason) and every final state reached the webhook.
    func settle(api: ChaosClient, acknowledged: [Acknowledged], receiver: ChaosWebhookReceiver, report: inout ChaosReport) async throws {
        let deadline = Date().addingTimeInterval(options.settleTimeoutSeconds)
        var parkedSince: (ids: Set<String>, at: Date)?
        while Date() < deadline {
            let states = try await api.allPayouts()
            var parked = Set<String>()
            let open = acknowledged.filter { ack in
                guard let state = states[ack.payoutID] else { return true }
                if PayoutStatus.isFinal(state.status) { return !receiver.received(ack.payoutID).contains(state.status) }
                if state.status == PayoutStatus.processPending.rawValue, state.pendingReason != nil {
                    // Parked with a reason: it waits for an operator, or for the provider to show it.
                    parked.insert(ack.payoutID)
                    return false
                }
                return true
            }
            if open.isEmpty {
                // Done once the parked ones stayed parked for 10 s (a late-visible payout un-parks itself).
                if parked.isEmpty { return }
                if let since = parkedSince, since.ids == parked {
                    if Date().timeIntervalSince(since.at) >= 10 { return }
                } else {
                    parkedSince = (parked, Date())
                }
            } else {
                parkedSince = nil
            }
            // Listing every payout competes with the engine for the store: look less often on large runs.
            try await Task.sleep(for: .milliseconds(max(500, Int64(acknowledged.count) / 2)))
        }
        logger.warning("chaos: settle timeout reached")
    }

    func check(acknowledged: [Acknowledged], ledger: [SandboxLedgerLine], api: ChaosClient, receiver: ChaosWebhookReceiver, report: inout ChaosReport) {
        let states = api.lastSeen
        var paidByReference: [String: Int] = [:]
        for line in ledger { paidByReference[line.reference, default: 0] += line.payouts }
        report.duplicates = paidByReference.values.filter { $0 > 1 }.count
        for line in ledger where line.payouts > 0 {
            report.paidMinorByProviders[line.currency, default: 0] += line.amountMinor * Int64(line.payouts)
        }
        for ack in acknowledged {
            guard let state = states[ack.payoutID] else {
                report.lost += 1
                continue
            }
            if PayoutStatus.isFinal(state.status) {
                if !receiver.received(ack.payoutID).contains(state.status) { report.lost += 1 }
                if state.status == "processed" || state.status == "partially_processed" {
                    report.processedMinorByGateway[ack.currency, default: 0] += state.processedMinor ?? ack.amountMinor
                }
            } else if !(state.status == "process_pending" && state.pendingReason != nil) {
                report.unresolved += 1
            } else {
                report.parked += 1
            }
        }
        if report.paidMinorByProviders != report.processedMinorByGateway {
            report.failures.append("paid by providers \(report.paidMinorByProviders) != processed \(report.processedMinorByGateway)")
        }
    }

    func routesFile(sandboxPort: Int, pemPaths: [String: String]) -> String {
        let base = "http://127.0.0.1:\(sandboxPort)"
        return """
            {"services":[{"code":"card","method":"payment_card","currencies":["USD","EUR"],
              "fields":[{"key":"card_number","required":true,"regexp":"^\\\\d{12,19}$"}]}],
             "providers":[
              {"id":"payelata","dialect":"jsonapi","base_url":"\(base)/payelata","timeout_seconds":1,"poll_interval_seconds":1,
               "services_refresh_seconds":5,
               "credentials":{"account_id":{"env":"CHAOS_PAYELATA_ACCOUNT"},"api_key":{"env":"CHAOS_PAYELATA_KEY"},"callback_secret":{"env":"CHAOS_PAYELATA_SECRET"}},
               "services":{"card":{"currencies":["USD","EUR"]}}},
              {"id":"payneteasy","dialect":"paynet-v4","base_url":"\(base)/payneteasy/paynet","timeout_seconds":1,"poll_interval_seconds":1,
               "credentials":{"login":{"env":"CHAOS_PAYNETEASY_LOGIN"},"control_key":{"env":"CHAOS_PAYNETEASY_CONTROL"},"private_key":{"file":"\(pemPaths["payneteasy"]!)"}},
               "paynet":{"flow":"direct","endpoints":{"USD":{"endpoint_id":"11"},"EUR":{"endpoint_id":"12"}}},
               "services":{"card":{"currencies":["USD","EUR"],"field_map":{"card_number":"credit_card_number"}}}},
              {"id":"cardzo","dialect":"paynet-v4","base_url":"\(base)/cardzo/paynet","timeout_seconds":1,"poll_interval_seconds":1,
               "credentials":{"login":{"env":"CHAOS_CARDZO_LOGIN"},"control_key":{"env":"CHAOS_CARDZO_CONTROL"},"private_key":{"file":"\(pemPaths["cardzo"]!)"}},
               "paynet":{"flow":"bank_confirmation","endpoints":{"EUR":{"group_id":"21"}}},
               "services":{"card":{"currencies":["EUR"],"field_map":{"card_number":"credit_card_number"}}}}],
             "routes":[
              {"id":"usd","match":{"service":"card","currencies":["USD"]},"providers":["payelata","payneteasy"]},
              {"id":"eur","match":{"service":"card","currencies":["EUR"]},"providers":["cardzo","payneteasy","payelata"]}]}
            """
    }
}
