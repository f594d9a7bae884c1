import HTTPTypes
import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import ServiceLifecycle

/// Delivers merchant webhooks from the durable outbox, at least once, signed like the dialect's callbacks.
public struct WebhookDispatcher: Service {
    let store: any PayoutStore
    let http: ProviderHTTP
    let sealer: FieldSealer
    let settings: EngineSettings
    let logger: Logger

    public init(store: any PayoutStore, http: ProviderHTTP, sealer: FieldSealer, settings: EngineSettings, logger: Logger) {
        self.store = store
        self.http = http
        self.sealer = sealer
        self.settings = settings
        self.logger = logger
    }

    /// A sliding window of deliveries (no batch barrier), at most `webhookMerchantConcurrency` per merchant, so one
    /// hanging merchant endpoint cannot delay another merchant's webhooks. Per payout, webhooks go out in order.
    public func run() async throws {
        let window = SlidingWindow(limit: settings.webhookConcurrency, perKey: settings.webhookMerchantConcurrency)
        let lease = Int64(settings.webhookTimeoutSeconds * 1000) * 2
        await window.drive(
            idleMillis: max(settings.idleMillis, 50), logger: logger, what: "webhooks",
            claim: { room in
                try await store.claimDueWebhooks(nowMs: Clock.nowMillis(), leaseMs: lease, limit: room.free, excludingMerchants: room.fullKeys)
            },
            key: { $0.merchantId },
            // This merchant already has its share in flight: due again shortly, still first in its line.
            giveBack: { webhooks in try? await store.recordWebhookDeferrals(ids: webhooks.map(\.id), nextAttemptAt: Clock.nowMillis() + 200) },
            work: { webhook in
                await LogContext.with(["payout.id": .string(webhook.payoutId), "merchant.id": .string(webhook.merchantId)]) {
                    await deliver(webhook)
                }
            })
    }

    /// Delay before retry `n` (1-based): n steps, capped.
    func retryDelay(afterAttempt attempt: Int64) -> Int64 {
        min(settings.webhookStepMillis * max(attempt, 1), settings.webhookCapMillis)
    }

    func deliver(_ webhook: WebhookRecord) async {
        // The destination is checked on every delivery, on the address connected to (see WebhookDestinationPolicy).
        let route = await settings.webhookPolicy.route(for: webhook.url, resolve: settings.webhookResolve ?? WebhookDestinationPolicy.systemResolve)
        if case .refused(let reason) = route {
            try? await store.recordWebhookAttempt(
                id: webhook.id, code: nil, error: "destination refused: \(reason)", delivered: false,
                nextAttemptAt: Clock.nowMillis(), giveUp: true)
            logger.warning("merchant webhook destination refused", metadata: ["payout.id": "\(webhook.payoutId)"])
            return
        }
        var headers: [(String, String)] = [("Content-Type", "application/json"), ("User-Agent", "payout-gateway-webhooks")]
        do {
            guard let merchant = try await store.merchant(id: webhook.merchantId) else { return }
            let secret = try sealer.open(merchant.callbackSecretSealed)
            headers.append(("X-Signature", Digest.callbackSignature(secret: secret, body: Data(webhook.body.utf8))))
        } catch {
            logger.error("webhook signing failed", metadata: ["payout.id": "\(webhook.payoutId)"])
            return
        }
        let result: ProviderHTTPResult
        if case .pinned(let host, let address) = route {
            // A client of its own that connects to the checked address while asking for (and verifying TLS as) the name.
            let pinned = ProviderHTTP.makeClient(dnsOverride: [host: address])
            result = await ProviderHTTP(client: pinned).send(
                method: .POST, url: webhook.url, headers: headers, body: Data(webhook.body.utf8), timeoutSeconds: settings.webhookTimeoutSeconds)
            try? await pinned.shutdown()
        } else {
            result = await http.send(method: .POST, url: webhook.url, headers: headers, body: Data(webhook.body.utf8), timeoutSeconds: settings.webhookTimeoutSeconds)
        }
        var code: Int64?
        var error: String?
        switch result {
        case .response(let status, _, _): code = Int64(status)
        case .notConnected(let reason), .lost(let reason): error = reason
        }
        let delivered = code == 200
        let attempt = webhook.attempts + 1
        let giveUp = !delivered && attempt >= settings.webhookMaxAttempts
        GatewayMetrics.webhookAttempt(delivered: delivered)
        do {
            try await store.recordWebhookAttempt(
                id: webhook.id, code: code, error: error, delivered: delivered,
                nextAttemptAt: Clock.nowMillis() + retryDelay(afterAttempt: attempt), giveUp: giveUp)
        } catch {
            logger.error("recording a webhook attempt failed", metadata: ["payout.id": "\(webhook.payoutId)"])
        }
        logger.info("merchant webhook attempt", metadata: [
            "payout.id": "\(webhook.payoutId)", "webhook.code": "\(code.map(String.init) ?? error ?? "-")",
            "webhook.delivered": "\(delivered)",
        ])
    }
}
