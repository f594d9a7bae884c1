import PayoutGateway
import NIOHTTP1
import HTTPTypes
import AsyncHTTPClient
import Foundation
import Logging
import NIOCore

extension JSONAPISandbox {
    /// Moves due invoices to their scripted status and queues a signed callback for each change.
    func tick(now: Int64) {
        state.withStorage { storage in
            defer { storage.dropExpired(nowMillis: now) }
            for id in storage.schedule.dueIDs(nowMillis: now) {
                guard var invoice = storage.invoices[id], let due = invoice.dueAtMillis, due <= now else { continue }
                invoice.dueAtMillis = nil
                switch invoice.status {
                case "processing":
                    invoice.status = invoice.plannedStatus
                    invoice.resolution = invoice.plannedResolution
                    if invoice.status == "processed" || invoice.status == "partially_processed" {
                        invoice.payouts += 1
                        invoice.processed = now / 1000
                        invoice.processedAmountMinor = invoice.amountMinor
                        if invoice.reverseAfterSuccess { invoice.dueAtMillis = now + processingMillis }
                    }
                case "processed":
                    invoice.status = "canceling"
                    invoice.dueAtMillis = now + processingMillis
                case "canceling":
                    invoice.status = "canceled"
                    invoice.resolution = "canceled"
                default:
                    break
                }
                invoice.updated = max(invoice.updated, now / 1000)
                storage.save(invoice, nowMillis: now)
                if let url = invoice.callbackURL {
                    let callback = SandboxCallback(
                        invoiceID: id, url: url, body: JSONCoding.encodeString(JSONValue.object(["data": resource(invoice, logs: false)])))
                    let queue = state.callbacks
                    switch storage.callbackMode {
                    case .normal: queue.enqueue(callback, dueAtMillis: now)
                    case .duplicate:
                        queue.enqueue(callback, dueAtMillis: now)
                        queue.enqueue(callback, dueAtMillis: now)
                    case .outOfOrder: queue.enqueue(callback, dueAtMillis: now + Int64.random(in: 0...(3 * callbackStepMillis)))
                    case .merged:
                        queue.removePending { $0.invoiceID == id }
                        queue.enqueue(callback, dueAtMillis: now + callbackStepMillis)
                    }
                }
            }
        }
    }

    /// Takes the callbacks due now off the queue.
    func dueCallbacks(now: Int64) -> [SandboxCallbackQueue<SandboxCallback>.Entry] {
        state.callbacks.takeDue(nowMillis: now)
    }

    /// Sends one callback; requeues it with the dialect's linear schedule unless the receiver answered 200.
    func deliver(_ entry: SandboxCallbackQueue<SandboxCallback>.Entry, client: HTTPClient) async {
        let callback = entry.payload
        var request = HTTPClientRequest(url: callback.url)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.headers.add(name: "X-Signature", value: SandboxSignatures.jsonapiCallbackSignature(secret: account.callbackSecret, body: Data(callback.body.utf8)))
        request.body = .bytes(ByteBuffer(string: callback.body))
        var delivered = false
        if let response = try? await client.execute(request, timeout: .seconds(10)) {
            delivered = response.status.code == 200
            _ = try? await response.body.collect(upTo: 64 * 1024)
        }
        if !delivered { state.callbacks.retry(entry, nowMillis: Clock.nowMillis(), stepMillis: callbackStepMillis, maxAttempts: 100) }
    }
}
