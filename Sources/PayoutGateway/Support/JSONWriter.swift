/// Writes JSON text straight to UTF-8 bytes, for documents whose shape the code knows (the invoice documents): no
/// tree, no dictionaries, no key sorting per answer. Members are written in the order the caller gives; callers give
/// keys sorted by their UTF-8 bytes, so the text is the same as ``JSONValue/jsonBytes()`` writes for the same
/// document (tests compare the two).
///
/// Separators are the writer's business: `key` and every value put the comma in when one is due.
public struct JSONWriter {
    public private(set) var bytes: [UInt8] = []
    /// Whether the next member or element follows another one in its container.
    private var needsComma = false

    public init(capacity: Int = 1_024) {
        bytes.reserveCapacity(capacity)
    }

    private mutating func separate() {
        if needsComma { bytes.append(UInt8(ascii: ",")) }
    }

    /// `{`, then `members`, then `}`.
    public mutating func object(_ members: (inout JSONWriter) -> Void) {
        container(UInt8(ascii: "{"), members, UInt8(ascii: "}"))
    }

    /// `[`, then `elements`, then `]`.
    public mutating func array(_ elements: (inout JSONWriter) -> Void) {
        container(UInt8(ascii: "["), elements, UInt8(ascii: "]"))
    }

    private mutating func container(_ open: UInt8, _ contents: (inout JSONWriter) -> Void, _ close: UInt8) {
        separate()
        bytes.append(open)
        needsComma = false
        contents(&self)
        bytes.append(close)
        needsComma = true
    }

    /// A member's key and colon; its value is the next thing written.
    public mutating func key(_ name: StaticString) {
        separate()
        bytes.append(UInt8(ascii: "\""))
        name.withUTF8Buffer { bytes.append(contentsOf: $0) }
        bytes.append(UInt8(ascii: "\""))
        bytes.append(UInt8(ascii: ":"))
        needsComma = false
    }

    public mutating func string(_ value: String) {
        separate()
        JSONValue.writeString(value, into: &bytes)
        needsComma = true
    }

    /// The string, or `null` for nil.
    public mutating func string(_ value: String?) {
        if let value { string(value) } else { null() }
    }

    public mutating func null() {
        separate()
        bytes.append(contentsOf: [UInt8(ascii: "n"), UInt8(ascii: "u"), UInt8(ascii: "l"), UInt8(ascii: "l")])
        needsComma = true
    }

    public mutating func bool(_ value: Bool) {
        separate()
        bytes.append(contentsOf: value ? [0x74, 0x72, 0x75, 0x65] : [0x66, 0x61, 0x6C, 0x73, 0x65])
        needsComma = true
    }

    public mutating func integer(_ value: Int64) {
        separate()
        if value >= 0, value < 10 {
            bytes.append(UInt8(ascii: "0") + UInt8(value))
        } else {
            bytes.append(contentsOf: String(value).utf8)
        }
        needsComma = true
    }

    /// The integer, or `null` for nil.
    public mutating func integer(_ value: Int64?) {
        if let value { integer(value) } else { null() }
    }

    /// An amount in minor units as a decimal number of major units (`1050`, exponent 2 → `10.5`), written the way
    /// the dialect writes amounts (no superfluous zeros).
    public mutating func money(_ minor: Int64, exponent: Int) {
        separate()
        bytes.append(contentsOf: DecimalText.text(negative: minor < 0, mantissa: minor.magnitude, exponent: -exponent).utf8)
        needsComma = true
    }

    /// A value already held as a tree.
    public mutating func value(_ value: JSONValue) {
        separate()
        value.write(into: &bytes)
        needsComma = true
    }

    /// One complete JSON value already in text form (a document stored by this gateway's own writer).
    public mutating func raw(_ json: some Sequence<UInt8>) {
        separate()
        bytes.append(contentsOf: json)
        needsComma = true
    }
}
