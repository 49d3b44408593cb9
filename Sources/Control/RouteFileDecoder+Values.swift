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
        guard case .object(let members) = value else {
            fail(node, "expected an object, got \(value.described)")
            return false
        }
        for key in members.keys.sorted() where !keys.contains(key) {
            fail(node[key], "unknown key \"\(key)\"; expected one of: \(keys.joined(separator: ", "))")
        }
        return true
    }

    mutating func string(_ node: JSONNode) -> String? {
        guard let value = node.value else { return nil }
        guard case .string(let text) = value else {
            fail(node, "expected a string, got \(value.described)")
            return nil
        }
        return text
    }

    mutating func bool(_ node: JSONNode) -> Bool? {
        guard let value = node.value else { return nil }
        guard case .bool(let flag) = value else {
            fail(node, "expected true or false, got \(value.described)")
            return nil
        }
        return flag
    }

    /// A number within `range`, a whole one when `whole`; `expected` describes it for the
    /// error message.
    mutating func number(_ node: JSONNode, in range: ClosedRange<Double>, whole: Bool = false, expected: String) -> Double? {
        guard let value = node.value else { return nil }
        guard case .number(let number) = value, range.contains(number), !whole || number.rounded() == number else {
            fail(node, "expected \(expected), got \(value.described)")
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
        guard case .array(let elements) = value else {
            fail(node, "expected an array, got \(value.described)")
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
}
