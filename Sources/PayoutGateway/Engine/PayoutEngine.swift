import HTTPTypes
import Logging
import ServiceLifecycle

/// The service that claims due payouts (new, in flight, or left by a crashed instance) and steps them.
/// After a restart every non-final payout is due again once its lease expires: nothing is lost.
public struct PayoutEngine: Service {
    let store: any PayoutStore
    let stepper: PayoutStepper
    let settings: EngineSettings
    let logger: Logger

    public init(store: any PayoutStore, runtime: GatewayRuntime, sealer: FieldSealer, settings: EngineSettings, logger: Logger) {
        let owner = "gw-" + Identifier.random(length: 12)
        self.store = store
        self.settings = settings
        self.logger = logger
        self.stepper = PayoutStepper(store: store, runtime: runtime, sealer: sealer, settings: settings, owner: owner, logger: logger)
    }

    public func run() async throws {
        while !Task.isShuttingDownGracefully, !Task.isCancelled {
            let claimed: [PayoutRecord]
            do {
                claimed = try await store.claimDuePayouts(
                    owner: stepper.owner, nowMs: Clock.nowMillis(), leaseMs: settings.leaseMillis, limit: settings.concurrency)
            } catch {
                logger.error("claiming due payouts failed", metadata: ["error": "\(String(describing: type(of: error)))"])
                try? await Task.sleep(for: .seconds(1))
                continue
            }
            if claimed.isEmpty {
                try? await Task.sleep(for: .milliseconds(settings.idleMillis))
                continue
            }
            await withTaskGroup(of: Void.self) { group in
                for payout in claimed {
                    group.addTask {
                        do {
                            try await stepper.step(payout)
                        } catch {
                            // The lease expires and the payout is stepped again; nothing half-written stays.
                            logger.error("payout step failed", metadata: ["payout.id": "\(payout.id)", "error": "\(error)"])
                        }
                    }
                }
            }
        }
    }
}
