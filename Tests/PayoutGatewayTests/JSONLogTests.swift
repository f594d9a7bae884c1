import Foundation
import Logging
import PayoutGateway
import Synchronization
import Testing

@Suite("JSON logs")
struct JSONLogTests {
    final class Lines: Sendable {
        let lines = Mutex<[String]>([])
    }

    @Test("one parseable object per line: time, level, label, message and every metadata key as a field")
    func objectPerLine() throws {
        let sink = Lines()
        var handler = JSONLogHandler(label: "payout-gateway", level: .info) { line in sink.lines.withLock { $0.append(line) } }
        handler[metadataKey: "request.id"] = "req-1"
        var logger = Logger(label: "payout-gateway", factory: { _ in handler })
        logger.logLevel = .info
        logger.info("payout status changed", metadata: ["payout.id": "cpoi_1", "payout.status": "processed", "attempt": .stringConvertible(2)])
        logger.debug("not at this level")
        let lines = sink.lines.withLock { $0 }
        #expect(lines.count == 1)
        let line = try #require(lines.first)
        #expect(line.hasSuffix("\n") && line.dropLast().contains("\n") == false)
        let object = try JSONCoding.decode(JSONValue.self, from: Data(line.utf8))
        #expect(object["message"] == "payout status changed")
        #expect(object["level"] == "info")
        #expect(object["payout.id"] == "cpoi_1")
        #expect(object["request.id"] == "req-1")
        #expect(object["attempt"] == "2")
        let time = try #require(object["time"]?.stringValue)
        #expect(time.count == 24 && time.hasSuffix("Z"))
    }

    @Test("a request's or step's ids reach every line written inside it, by any logger, and no line outside it")
    func contextIDs() async throws {
        let sink = Lines()
        var handler = JSONLogHandler(label: "payout-gateway", level: .info) { line in sink.lines.withLock { $0.append(line) } }
        handler.metadataProvider = LogContext.metadataProvider
        let logger = Logger(label: "adapter", factory: { _ in handler })
        await LogContext.with(["request.id": "req-9"]) {
            // Known only later in the request (after authentication, once the payout id is made).
            LogContext.set("merchant.id", "coma_1")
            await LogContext.with(["payout.id": "cpoi_7"]) {
                // A child task (an adapter's call) inherits the ids.
                await Task { logger.info("provider answered") }.value
            }
        }
        logger.info("outside")
        let lines = try sink.lines.withLock { $0 }.map { try JSONCoding.decode(JSONValue.self, from: Data($0.utf8)) }
        #expect(lines.count == 2)
        #expect(lines[0]["request.id"] == "req-9")
        #expect(lines[0]["merchant.id"] == "coma_1")
        #expect(lines[0]["payout.id"] == "cpoi_7")
        #expect(lines[1]["request.id"] == nil)
        #expect(lines[1]["payout.id"] == nil)
    }
}
