/// One of a route's two backend pools. The raw value is stable (it is used as an array index
/// and in persisted state).
public enum Pool: UInt8, Sendable, CaseIterable {
    case blue = 0
    case green = 1

    /// The pool that is not `self`.
    public var other: Pool {
        self == .blue ? .green : .blue
    }

    /// The pool's lowercase name, as written in route files, headers and logs.
    public var name: String {
        self == .blue ? "blue" : "green"
    }

    /// Parses a pool name case-insensitively from raw bytes (the override header's value on the
    /// hot path). Does not allocate; returns nil for anything but "blue" or "green".
    public init?(name bytes: UnsafeRawBufferPointer) {
        if ASCII.equalsIgnoringCase(bytes, lowercased: ASCII.blue) {
            self = .blue
        } else if ASCII.equalsIgnoringCase(bytes, lowercased: ASCII.green) {
            self = .green
        } else {
            return nil
        }
    }

    /// Parses a pool name case-insensitively, as `init?(name:)` on bytes does.
    public init?(name: String) {
        var name = name
        guard let pool = name.withUTF8({ Pool(name: UnsafeRawBufferPointer($0)) }) else { return nil }
        self = pool
    }
}
