import Foundation
import Traffic

/// Typed reads of JSON values. Each returns nil for an absent value without an error, and
/// records an error (and returns nil) for a value of the wrong type or out of range.
extension RouteFileDecoder {
    /// Records an error at `node`'s key path.
    mutating func fail(_ node: JSONNode, _ message: String) {
        fail(at: node.keyPath, message)
    }

    /// Records an error at `keyPath` (empty for the file as a whole).
    mutating func fail(at keyPath: String, _ message: String) {
        errors.append(RouteFileError(file: file, keyPath: keyPath, message: message))
    }

    /// Records an error when `node` is absent; returns whether it is present.
    mutating func require(_ node: JSONNode) -> Bool {
        if node.value == nil {
            fail(node, "is required")
        }
        return node.value != nil
    }

    /// Checks that `node` is an object whose keys are all in `keys` (each unknown key is an
    /// error, caught typos); returns whether it is an object.
    mutating func object(_ node: JSONNode, keys: [String]) -> Bool {
        guard let value = node.value else { return false }
        guard let members = value as? [String: Any] else {
            fail(node, "expected an object, got \(RouteFileDecoder.describe(value))")
            return false
        }
        for key in members.keys.sorted() where !keys.contains(key) {
            fail(node[key], "unknown key \"\(key)\"; expected one of: \(keys.joined(separator: ", "))")
        }
        return true
    }

    mutating func string(_ node: JSONNode) -> String? {
        guard let value = node.value else { return nil }
        guard let text = value as? String else {
            fail(node, "expected a string, got \(RouteFileDecoder.describe(value))")
            return nil
        }
        return text
    }

    mutating func bool(_ node: JSONNode) -> Bool? {
        guard let value = node.value else { return nil }
        guard RouteFileDecoder.isBoolean(value), let flag = value as? Bool else {
            fail(node, "expected true or false, got \(RouteFileDecoder.describe(value))")
            return nil
        }
        return flag
    }

    /// A number within `range`, a whole one when `whole`; `expected` describes it for the
    /// error message.
    mutating func number(_ node: JSONNode, in range: ClosedRange<Double>, whole: Bool = false, expected: String) -> Double? {
        guard let value = node.value else { return nil }
        guard !RouteFileDecoder.isBoolean(value), let number = (value as? NSNumber)?.doubleValue,
              range.contains(number), !whole || number.rounded() == number
        else {
            fail(node, "expected \(expected), got \(RouteFileDecoder.describe(value))")
            return nil
        }
        return number
    }

    /// A whole number within `range`; `expected` describes it for the error message.
    mutating func integer(_ node: JSONNode, in range: ClosedRange<Int>, expected: String) -> Int? {
        number(node, in: Double(range.lowerBound)...Double(range.upperBound), whole: true, expected: expected).map { Int($0) }
    }

    /// The elements of an array, each with its key path (`backends[1]`).
    mutating func array(_ node: JSONNode) -> [JSONNode]? {
        guard let value = node.value else { return nil }
        guard let elements = value as? [Any] else {
            fail(node, "expected an array, got \(RouteFileDecoder.describe(value))")
            return nil
        }
        return elements.enumerated().map { JSONNode(value: $1, keyPath: "\(node.keyPath)[\($0)]") }
    }

    /// A duration string (`"250ms"`, `"2s"`) in milliseconds; zero only when `allowZero`.
    mutating func duration(_ node: JSONNode, allowZero: Bool = false) -> Int? {
        guard let text = string(node) else { return nil }
        guard let ms = parseDuration(text), ms > 0 || allowZero else {
            let kind = allowZero ? "a duration" : "a positive duration"
            fail(node, "expected \(kind) with a unit (\"250ms\", \"2s\", \"5m\", \"1h\"), got \"\(text)\"")
            return nil
        }
        return ms
    }

    /// True for JSON `true`/`false`, which `JSONSerialization` returns as an `NSNumber` of ObjC
    /// type `c` and which would otherwise pass for the numbers 1 and 0.
    static func isBoolean(_ value: Any) -> Bool {
        guard let number = value as? NSNumber else { return false }
        return String(cString: number.objCType) == "c"
    }

    /// Names a value's JSON type for messages: `a string ("x")`, `a number (3)`, `null`.
    static func describe(_ value: Any) -> String {
        switch value {
        case is NSNull: "null"
        case let text as String: "a string (\"\(text)\")"
        case is [Any]: "an array"
        case is [String: Any]: "an object"
        case let number as NSNumber where isBoolean(number): "\(number.boolValue)"
        case let number as NSNumber: "a number (\(number))"
        default: "\(type(of: value))"
        }
    }
}
