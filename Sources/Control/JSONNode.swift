/// A value found in a decoded JSON document, with the key path that leads to it
/// (`health.interval`, `pools.blue.backends[0]`) for error messages.
struct JSONNode {
    /// The `JSONSerialization` value; nil when the key is absent, or when the parent is not an
    /// object (an error reported once, by whoever reads the parent).
    let value: Any?
    let keyPath: String

    /// The member `key` of this object.
    subscript(key: String) -> JSONNode {
        JSONNode(value: (value as? [String: Any])?[key], keyPath: keyPath.isEmpty ? key : keyPath + "." + key)
    }
}
