/// A value found in a parsed JSON document, with the key path that leads to it
/// (`health.interval`, `pools.blue.backends[0]`, `routes.api.greenWeight`) for error messages.
struct JSONNode {
    /// Nil when the key is absent, or when the parent is not an object (an error reported
    /// once, by whoever reads the parent).
    let value: JSONValue?
    let keyPath: String

    /// The member `key` of this object.
    subscript(key: String) -> JSONNode {
        JSONNode(value: value?[key], keyPath: keyPath.isEmpty ? key : keyPath + "." + key)
    }
}

/// Reads that stop at the first problem, for files Sluice wrote itself (the state file, the
/// audit log): each throws a `Mismatch` naming the key path when the value is absent or of
/// another type. (Route files and admin requests collect every error instead, through
/// `RouteFileDecoder`.)
extension JSONNode {
    /// What is wrong at a key path: `routes.api.updatedBy: missing`.
    struct Mismatch: Error, CustomStringConvertible {
        let keyPath: String
        let message: String

        var description: String {
            keyPath.isEmpty ? message : "\(keyPath): \(message)"
        }
    }

    func mismatch(_ message: String) -> Mismatch {
        Mismatch(keyPath: keyPath, message: message)
    }

    /// A whole number in `Int`'s range.
    func integer() throws(Mismatch) -> Int {
        if case .number(let number) = try required(), number.rounded() == number, abs(number) < 9.2e18 {
            return Int(number)
        }
        throw expected("Int")
    }

    func string() throws(Mismatch) -> String {
        guard case .string(let text) = try required() else { throw expected("String") }
        return text
    }

    /// The members of an object (read one further with `self[key]` for its key path).
    func object() throws(Mismatch) -> [String: JSONValue] {
        guard case .object(let object) = try required() else { throw expected("Dictionary") }
        return object
    }

    /// The value unless it is absent or null.
    var present: JSONNode? {
        value == nil || value == .null ? nil : self
    }

    private func required() throws(Mismatch) -> JSONValue {
        guard let value else { throw mismatch("missing") }
        return value
    }

    /// `Expected to decode Int but found a string ("10") instead.`
    private func expected(_ type: String) -> Mismatch {
        mismatch("Expected to decode \(type) but found \(value?.described ?? "nothing") instead.")
    }
}
