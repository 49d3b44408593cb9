/// A decoded field section: every name and value in one byte array, each field a pair of
/// ranges into it, in the order received. Pseudo-header fields (names starting with ':') are
/// kept with the others; `RequestFields` says where they are.
public struct HeaderList: Equatable, Sendable {
    public struct Field: Equatable, Sendable {
        public var name: Range<Int>
        public var value: Range<Int>
    }

    public var bytes: [UInt8] = []
    public var fields: [Field] = []

    public init() {}

    /// A list of the given fields, for senders and tests.
    public init(_ pairs: [(String, String)]) {
        for (name, value) in pairs { append(name: Array(name.utf8), value: Array(value.utf8)) }
    }

    public var count: Int { fields.count }

    public func name(_ i: Int) -> ArraySlice<UInt8> { bytes[fields[i].name] }
    public func value(_ i: Int) -> ArraySlice<UInt8> { bytes[fields[i].value] }

    public mutating func append(name: some Collection<UInt8>, value: some Collection<UInt8>) {
        let n = bytes.count
        bytes.append(contentsOf: name)
        let v = bytes.count
        bytes.append(contentsOf: value)
        fields.append(Field(name: n..<v, value: v..<bytes.count))
    }

    public mutating func removeAll() {
        bytes.removeAll(keepingCapacity: true)
        fields.removeAll(keepingCapacity: true)
    }

    /// The fields as strings, for tests and diagnostics.
    public var pairs: [(String, String)] {
        fields.map { (String(decoding: bytes[$0.name], as: UTF8.self), String(decoding: bytes[$0.value], as: UTF8.self)) }
    }
}

extension ArraySlice<UInt8> {
    /// True when these bytes are exactly `bytes` (compared in place, not element by element
    /// through the generic collection path).
    func equals(_ bytes: [UInt8]) -> Bool {
        count == bytes.count && withUnsafeBufferPointer { a in bytes.withUnsafeBufferPointer { a.elementsEqual($0) } }
    }
}
