/// Where and why a text is not JSON: the byte offset of the first byte that cannot be read
/// (the end of the text when it stops early), as a line and column too (both from 1, the
/// column counted in bytes), and the reason.
public struct JSONSyntaxError: Error, Sendable, Hashable, CustomStringConvertible {
    public let offset: Int
    public let line: Int
    public let column: Int
    public let reason: String

    /// `at line 3, column 12: Invalid value`.
    public var description: String {
        "at line \(line), column \(column): \(reason)"
    }
}

extension JSONValue {
    /// Parses one JSON text (RFC 8259, strictly: no comments, trailing commas or single
    /// quotes; a leading UTF-8 byte order mark is skipped) of any top-level value. Numbers
    /// become the nearest `Double`; one too large for a `Double` is an error, as are invalid
    /// UTF-8, unpaired UTF-16 surrogates and more than `JSONParser.maxDepth` nested arrays and
    /// objects. A key given twice keeps its last value (`parsingStrictly` reports it).
    public init(parsing bytes: [UInt8]) throws(JSONSyntaxError) {
        var parser = JSONParser(bytes)
        self = try parser.document()
    }

    /// Parses like `init(parsing:)`, and also returns the key path of every key given twice in
    /// one object (`pools.blue`, `name`), for files where the last value silently winning
    /// would hide a mistake (route files).
    public static func parsingStrictly(_ bytes: [UInt8]) throws(JSONSyntaxError) -> (JSONValue, duplicateKeys: [String]) {
        var parser = JSONParser(bytes)
        parser.tracksPaths = true
        let value = try parser.document()
        return (value, parser.duplicateKeys)
    }

    public init(parsing text: String) throws(JSONSyntaxError) {
        try self.init(parsing: Array(text.utf8))
    }
}

/// A recursive-descent reader of one JSON text; used through `JSONValue(parsing:)`. Runs on
/// control-side threads only (route files, admin requests, the state dir), never on a loop.
struct JSONParser {
    /// Arrays and objects nest at most this deep, so that a hostile body cannot exhaust the stack.
    static let maxDepth = 512

    private let bytes: [UInt8]
    private var index = 0
    private var depth = 0
    /// Whether the key path of the value being read is kept in `path` (for `duplicateKeys`).
    var tracksPaths = false
    /// The keys and `[i]` indices leading to the value being read, when `tracksPaths`.
    private var path: [String] = []
    /// The key path of each key seen twice in one object, when `tracksPaths`.
    private(set) var duplicateKeys: [String] = []

    init(_ bytes: [UInt8]) {
        self.bytes = bytes
    }

    /// The whole text: one value between optional whitespace.
    mutating func document() throws(JSONSyntaxError) -> JSONValue {
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { index = 3 }
        let value = try self.value()
        skipWhitespace()
        guard index == bytes.count else { throw error("Unexpected text after the JSON value") }
        return value
    }

    private mutating func value() throws(JSONSyntaxError) -> JSONValue {
        skipWhitespace()
        guard index < bytes.count else { throw error("Unexpected end of file") }
        switch bytes[index] {
        case UInt8(ascii: "{"): return try object()
        case UInt8(ascii: "["): return try array()
        case UInt8(ascii: "\""): return .string(try string())
        case UInt8(ascii: "t"): return try literal("true", .bool(true))
        case UInt8(ascii: "f"): return try literal("false", .bool(false))
        case UInt8(ascii: "n"): return try literal("null", .null)
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .number(try number())
        default: throw error("Invalid value")
        }
    }

    private mutating func object() throws(JSONSyntaxError) -> JSONValue {
        try enter()
        defer { depth -= 1 }
        var members: [String: JSONValue] = [:]
        skipWhitespace()
        if consume(UInt8(ascii: "}")) { return .object(members) }
        repeat {
            skipWhitespace()
            guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") else { throw error("Expected a string key") }
            let key = try string()
            skipWhitespace()
            guard consume(UInt8(ascii: ":")) else { throw error("Expected ':' after an object key") }
            if tracksPaths {
                path.append(key)
                if members[key] != nil { duplicateKeys.append(keyPath) }
            }
            members[key] = try value()
            if tracksPaths { path.removeLast() }
            skipWhitespace()
        } while consume(UInt8(ascii: ","))
        guard consume(UInt8(ascii: "}")) else { throw error("Expected ',' or '}' after an object member") }
        return .object(members)
    }

    private mutating func array() throws(JSONSyntaxError) -> JSONValue {
        try enter()
        defer { depth -= 1 }
        var elements: [JSONValue] = []
        skipWhitespace()
        if consume(UInt8(ascii: "]")) { return .array(elements) }
        repeat {
            if tracksPaths { path.append("[\(elements.count)]") }
            elements.append(try value())
            if tracksPaths { path.removeLast() }
            skipWhitespace()
        } while consume(UInt8(ascii: ","))
        guard consume(UInt8(ascii: "]")) else { throw error("Expected ',' or ']' after an array element") }
        return .array(elements)
    }

    /// `path` as a key path: `pools.blue.backends[0]`.
    private var keyPath: String {
        path.reduce("") { text, part in text.isEmpty || part.hasPrefix("[") ? text + part : text + "." + part }
    }

    /// Steps over the `{` or `[` at `index`, one level deeper.
    private mutating func enter() throws(JSONSyntaxError) {
        guard depth < Self.maxDepth else {
            throw error("Too many nested arrays and objects (more than \(Self.maxDepth))")
        }
        depth += 1
        index += 1
    }

    /// The string starting at the `"` at `index`, escapes resolved.
    private mutating func string() throws(JSONSyntaxError) -> String {
        let start = index
        index += 1
        var utf8: [UInt8] = []
        while true {
            guard index < bytes.count else { throw error("Unexpected end of file") }
            let byte = bytes[index]
            switch byte {
            case UInt8(ascii: "\""):
                index += 1
                guard let text = String(validating: utf8, as: UTF8.self) else {
                    index = start
                    throw error("Invalid UTF-8 in a string")
                }
                return text
            case UInt8(ascii: "\\"):
                try escape(into: &utf8)
            case 0..<0x20:
                throw error("Unescaped control character in a string")
            default:
                utf8.append(byte)
                index += 1
            }
        }
    }

    /// The escape sequence at `index` (a backslash), appended as UTF-8.
    private mutating func escape(into utf8: inout [UInt8]) throws(JSONSyntaxError) {
        let start = index
        index += 1
        guard index < bytes.count else { throw error("Unexpected end of file") }
        let simple: UInt8? = switch bytes[index] {
        case UInt8(ascii: "\""): UInt8(ascii: "\"")
        case UInt8(ascii: "\\"): UInt8(ascii: "\\")
        case UInt8(ascii: "/"): UInt8(ascii: "/")
        case UInt8(ascii: "b"): 0x08
        case UInt8(ascii: "f"): 0x0C
        case UInt8(ascii: "n"): 0x0A
        case UInt8(ascii: "r"): 0x0D
        case UInt8(ascii: "t"): 0x09
        default: nil
        }
        if let simple {
            utf8.append(simple)
            index += 1
            return
        }
        guard bytes[index] == UInt8(ascii: "u") else {
            index = start
            throw error("Invalid escape sequence")
        }
        index += 1
        var code = UInt32(try hex4())
        if (0xD800..<0xDC00).contains(code) {
            guard bytes[index...].starts(with: Array("\\u".utf8)) else {
                index = start
                throw error("Unpaired UTF-16 surrogate")
            }
            index += 2
            let low = UInt32(try hex4())
            guard (0xDC00..<0xE000).contains(low) else {
                index = start
                throw error("Unpaired UTF-16 surrogate")
            }
            code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
        }
        guard let scalar = Unicode.Scalar(code) else {
            index = start
            throw error("Unpaired UTF-16 surrogate")
        }
        utf8.append(contentsOf: UTF8.encode(scalar)!)
    }

    /// The four hex digits of a `\u` escape at `index`.
    private mutating func hex4() throws(JSONSyntaxError) -> UInt16 {
        var value: UInt16 = 0
        for _ in 0..<4 {
            guard index < bytes.count else { throw error("Unexpected end of file") }
            let byte = bytes[index]
            let digit: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
            default: throw error("Invalid hex digit in a \\u escape")
            }
            value = value << 4 | UInt16(digit)
            index += 1
        }
        return value
    }

    /// The number at `index`: `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`.
    private mutating func number() throws(JSONSyntaxError) -> Double {
        let start = index
        _ = consume(UInt8(ascii: "-"))
        if consume(UInt8(ascii: "0")) {
            if index < bytes.count, isDigit(bytes[index]) { throw error("Number with leading zero") }
        } else {
            try digits()
        }
        if consume(UInt8(ascii: ".")) {
            try digits()
        }
        if consume(UInt8(ascii: "e")) || consume(UInt8(ascii: "E")) {
            if !consume(UInt8(ascii: "+")) { _ = consume(UInt8(ascii: "-")) }
            try digits()
        }
        let text = String(decoding: bytes[start..<index], as: UTF8.self)
        guard let value = Double(text), value.isFinite else {
            index = start
            throw error("Number \(text) is too large")
        }
        return value
    }

    /// One or more decimal digits at `index`.
    private mutating func digits() throws(JSONSyntaxError) {
        guard index < bytes.count, isDigit(bytes[index]) else {
            throw error("Invalid number")
        }
        while index < bytes.count, isDigit(bytes[index]) { index += 1 }
    }

    private func isDigit(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
    }

    /// `word` (`true`, `false`, `null`) at `index`.
    private mutating func literal(_ word: String, _ value: JSONValue) throws(JSONSyntaxError) -> JSONValue {
        guard bytes[index...].starts(with: word.utf8) else { throw error("Invalid value") }
        index += word.utf8.count
        return value
    }

    /// Steps over `byte` if it is at `index`; whether it was.
    private mutating func consume(_ byte: UInt8) -> Bool {
        guard index < bytes.count, bytes[index] == byte else { return false }
        index += 1
        return true
    }

    private mutating func skipWhitespace() {
        while index < bytes.count {
            switch bytes[index] {
            case 0x20, 0x0A, 0x0D, 0x09: index += 1
            default: return
            }
        }
    }

    /// The error for the byte at `index`; past the last byte, the text ended too early
    /// whatever `reason` expected there.
    private func error(_ reason: String) -> JSONSyntaxError {
        let offset = min(index, bytes.count)
        let reason = offset == bytes.count ? "Unexpected end of file" : reason
        var line = 1, lineStart = 0
        for (i, byte) in bytes[..<offset].enumerated() where byte == 0x0A {
            line += 1
            lineStart = i + 1
        }
        return JSONSyntaxError(offset: offset, line: line, column: offset - lineStart + 1, reason: reason)
    }
}
