/// Any JSON value, compared by value: the one JSON representation of Sluice's control side —
/// admin API requests and answers, the state file, the audit log, webhook payloads and route
/// files (read with `JSONValue(parsing:)`, written with `encoded()`). Numbers are `Double`s, so
/// integers are exact up to 2^53 (counts, milliseconds and basis points are far below that);
/// NaN and infinity cannot be written (encoding them throws).
public enum JSONValue: Hashable, Sendable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])
}

/// Typed looks into a value; each is nil when the value is of another kind.
extension JSONValue {
    /// The member `key` of an object; nil for a missing key or when this is not an object.
    public subscript(key: String) -> JSONValue? {
        objectValue?[key]
    }

    public var stringValue: String? {
        if case .string(let value) = self { return value }
        return nil
    }

    public var numberValue: Double? {
        if case .number(let value) = self { return value }
        return nil
    }

    public var boolValue: Bool? {
        if case .bool(let value) = self { return value }
        return nil
    }

    public var arrayValue: [JSONValue]? {
        if case .array(let value) = self { return value }
        return nil
    }

    public var objectValue: [String: JSONValue]? {
        if case .object(let value) = self { return value }
        return nil
    }

    /// Names the value's JSON type for error messages: `a string ("x")`, `a number (3)`,
    /// `true`, `null`, `an array`, `an object`.
    var described: String {
        switch self {
        case .null: "null"
        case .bool(let value): "\(value)"
        case .number(let value): "a number (\(JSONValue.text(of: value)))"
        case .string(let value): "a string (\"\(value)\")"
        case .array: "an array"
        case .object: "an object"
        }
    }
}

/// Literals, so that callers write `details: ["from": 0, "to": 1000, "pool": "green"]`.
extension JSONValue: ExpressibleByNilLiteral, ExpressibleByBooleanLiteral, ExpressibleByIntegerLiteral,
    ExpressibleByFloatLiteral, ExpressibleByStringLiteral, ExpressibleByArrayLiteral, ExpressibleByDictionaryLiteral {
    public init(nilLiteral: ()) { self = .null }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    public init(integerLiteral value: Int) { self = .number(Double(value)) }
    public init(floatLiteral value: Double) { self = .number(value) }
    public init(stringLiteral value: String) { self = .string(value) }
    public init(arrayLiteral elements: JSONValue...) { self = .array(elements) }

    /// A later duplicate key wins, as in a JSON document.
    public init(dictionaryLiteral elements: (String, JSONValue)...) {
        self = .object(Dictionary(elements, uniquingKeysWith: { _, last in last }))
    }
}
