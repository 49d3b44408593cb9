/// JSON text out of a `JSONValue` (RFC 8259), the same bytes for the same value: object keys
/// sorted, `/` and non-ASCII characters written as they are, `"`, `\` and control characters
/// escaped (`\n`, `\t`, ... where JSON has a short form, else `\u00XX`). Whole numbers within
/// ±2^53 print without a fraction (`10`, not `10.0`); others as Swift's shortest round-trip
/// text (`0.1`, `1e+300`), which reads back as the same `Double`.
extension JSONValue {
    /// A number JSON cannot write: NaN or an infinity.
    public struct NonFiniteNumber: Error, Sendable, CustomStringConvertible {
        public let value: Double

        public var description: String {
            "\(value) cannot be written as JSON"
        }
    }

    /// The value as compact JSON (`{"a":1,"b":[true,null]}`): admin API answers, audit log
    /// lines, webhook payloads. Throws for a NaN or infinity anywhere in it.
    public func encoded() throws(NonFiniteNumber) -> [UInt8] {
        var out: [UInt8] = []
        try write(to: &out, indent: nil)
        return out
    }

    /// The value as JSON for people to read, as the state file keeps it: one member or
    /// element a line, indented by two spaces, `"key" : value`.
    public func encodedPretty() throws(NonFiniteNumber) -> [UInt8] {
        var out: [UInt8] = []
        try write(to: &out, indent: 0)
        return out
    }

    /// The value as a person reads it in a table or a message: a string without quotes, a
    /// number as JSON writes it (`10`, `12.5`), anything else as compact JSON.
    public var plainText: String {
        switch self {
        case .string(let text): text
        case .number(let value): Self.text(of: value)
        default: String(decoding: (try? encoded()) ?? [], as: UTF8.self)
        }
    }

    /// A finite number as JSON writes it.
    static func text(of value: Double) -> String {
        if value.rounded() == value && abs(value) <= 9_007_199_254_740_992 {
            return String(Int64(value))
        }
        return value.description
    }

    /// Appends the value; `indent` is the current depth of the pretty form, nil for compact.
    private func write(to out: inout [UInt8], indent: Int?) throws(NonFiniteNumber) {
        switch self {
        case .null:
            out += "null".utf8
        case .bool(let value):
            out += (value ? "true" : "false").utf8
        case .number(let value):
            guard value.isFinite else { throw NonFiniteNumber(value: value) }
            out += Self.text(of: value).utf8
        case .string(let text):
            Self.write(text, to: &out)
        case .array(let elements):
            out.append(UInt8(ascii: "["))
            for (i, element) in elements.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                Self.newline(&out, indent.map { $0 + 1 })
                try element.write(to: &out, indent: indent.map { $0 + 1 })
            }
            if !elements.isEmpty { Self.newline(&out, indent) }
            out.append(UInt8(ascii: "]"))
        case .object(let members):
            out.append(UInt8(ascii: "{"))
            for (i, key) in members.keys.sorted().enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                Self.newline(&out, indent.map { $0 + 1 })
                Self.write(key, to: &out)
                out += (indent == nil ? ":" : " : ").utf8
                try members[key]!.write(to: &out, indent: indent.map { $0 + 1 })
            }
            if !members.isEmpty { Self.newline(&out, indent) }
            out.append(UInt8(ascii: "}"))
        }
    }

    /// In the pretty form, a line break and the indentation of `depth`; nothing when compact.
    private static func newline(_ out: inout [UInt8], _ depth: Int?) {
        guard let depth else { return }
        out.append(0x0A)
        out += repeatElement(UInt8(ascii: " "), count: 2 * depth)
    }

    /// `text` as a JSON string, quotes included.
    private static func write(_ text: String, to out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "\""): out += #"\""#.utf8
            case UInt8(ascii: "\\"): out += #"\\"#.utf8
            case 0x08: out += #"\b"#.utf8
            case 0x0C: out += #"\f"#.utf8
            case 0x0A: out += #"\n"#.utf8
            case 0x0D: out += #"\r"#.utf8
            case 0x09: out += #"\t"#.utf8
            case 0..<0x20:
                let hex = Array("0123456789abcdef".utf8)
                out += #"\u00"#.utf8
                out += [hex[Int(byte >> 4)], hex[Int(byte & 0x0F)]]
            default: out.append(byte)
            }
        }
        out.append(UInt8(ascii: "\""))
    }
}
