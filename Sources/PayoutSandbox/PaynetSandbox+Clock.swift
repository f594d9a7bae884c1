import PayoutGateway
import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import Synchronization

extension PaynetSandbox {
    /// Finishes due orders and queues a GET callback (with its `control`) for each final status.
    func tick(now: Int64) {
        state.storage.withLock { storage in
            defer { storage.dropExpired(nowMillis: now) }
            for id in storage.schedule.dueIDs(nowMillis: now) {
                guard var order = storage.orders[id], let due = order.dueAtMillis, due <= now else { continue }
                order.dueAtMillis = nil
                guard order.finalStatus != "processing" else { storage.save(order, nowMillis: now); continue }
                order.status = order.finalStatus
                order.stage = "payout_\(order.finalStatus == "unknown" ? "unknown" : order.finalStatus)"
                order.lastSerial = UUID().uuidString.lowercased()
                if order.status == "approved" { order.payouts += 1 }
                storage.save(order, nowMillis: now)
                guard order.status != "unknown", let base = order.callbackURL, var components = URLComponents(string: base) else { continue }
                var items = components.queryItems ?? []
                items += [
                    URLQueryItem(name: "status", value: order.status), URLQueryItem(name: "orderid", value: order.orderID),
                    URLQueryItem(name: "merchant_order", value: order.clientOrderID), URLQueryItem(name: "client_orderid", value: order.clientOrderID),
                    URLQueryItem(name: "amount", value: MinorUnits.format(order.amountMinor, exponent: order.exponent)),
                    URLQueryItem(name: "type", value: "payout"),
                    URLQueryItem(name: "control", value: SandboxSignatures.callbackControl(status: order.status, orderID: order.orderID, clientOrderID: order.clientOrderID, controlKey: controlKey)),
                ]
                if let message = order.errorMessage { items.append(URLQueryItem(name: "error_message", value: message)) }
                components.percentEncodedQuery = items.map { SandboxSignatures.percentEncode($0.name) + "=" + SandboxSignatures.percentEncode($0.value ?? "") }.joined(separator: "&")
                if let url = components.string { state.callbacks.enqueue(url, dueAtMillis: now) }
            }
        }
    }

    func dueCallbacks(now: Int64) -> [SandboxCallbackQueue<String>.Entry] {
        state.callbacks.takeDue(nowMillis: now)
    }

    /// Sends one GET callback; retried on anything but a 200, at most 30 times.
    func deliver(_ entry: SandboxCallbackQueue<String>.Entry, client: HTTPClient) async {
        var request = HTTPClientRequest(url: entry.payload)
        request.method = .GET
        var delivered = false
        if let response = try? await client.execute(request, timeout: .seconds(10)) {
            delivered = response.status.code == 200
            _ = try? await response.body.collect(upTo: 64 * 1024)
        }
        if !delivered { state.callbacks.retry(entry, nowMillis: Clock.nowMillis(), stepMillis: callbackStepMillis, maxAttempts: 30) }
    }
}
