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
}
