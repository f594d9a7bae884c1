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
            for id in storage.order {
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
                storage.invoices[id] = invoice
                if let url = invoice.callbackURL {
                    let callback = SandboxCallback(
                        invoiceID: id, url: url, body: JSONCoding.encodeString(JSONValue.object(["data": resource(invoice, logs: false)])),
                        attempts: 0, dueAtMillis: now)
                    switch storage.callbackMode {
                    case .normal: storage.callbacks.append(callback)
                    case .duplicate: storage.callbacks += [callback, callback]
                    case .outOfOrder:
                        var delayed = callback
                        delayed.dueAtMillis = now + Int64.random(in: 0...(3 * callbackStepMillis))
                        storage.callbacks.append(delayed)
                    case .merged:
                        storage.callbacks.removeAll { $0.invoiceID == id && $0.attempts == 0 }
                        var later = callback
                        later.dueAtMillis = now + callbackStepMillis
                        storage.callbacks.append(later)
                    }
                }
            }
        }
    }

    /// Takes the callbacks due now off the queue.
    func dueCallbacks(now: Int64) -> [SandboxCallback] {
        state.withStorage { storage in
            let due = storage.callbacks.filter { $0.dueAtMillis <= now }
            storage.callbacks.removeAll { $0.dueAtMillis <= now }
            return due
        }
    }

    /// Sends one callback; requeues it with the dialect's linear schedule unless the receiver answered 200.
    func deliver(_ callback: SandboxCallback, client: HTTPClient) async {
        var request = HTTPClientRequest(url: callback.url)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.headers.add(name: "X-Signature", value: Digest.callbackSignature(secret: account.callbackSecret, body: Data(callback.body.utf8)))
        request.body = .bytes(ByteBuffer(string: callback.body))
        var delivered = false
        if let response = try? await client.execute(request, timeout: .seconds(10)) {
            delivered = response.status.code == 200
            _ = try? await response.body.collect(upTo: 64 * 1024)
        }
        guard !delivered, callback.attempts < 100 else { return }
        var retry = callback
        retry.attempts += 1
        retry.dueAtMillis = Clock.nowMillis() + callbackStepMillis * Int64(retry.attempts)
        state.withStorage { $0.callbacks.append(retry) }
    }
}
