import HTTP1

/// Encodes header blocks (RFC 7541 section 6) for one connection's sending side.
///
/// Runs once per header block we send, in the order the blocks go out. Names are lowercased
/// (HTTP/1.1 backends send mixed case; HTTP/2 requires lowercase). A field found whole in a
/// table is sent as an index; otherwise as a literal, added to the dynamic table unless it is
/// a credential (never indexed, section 7.1.3), unique to the message (`x-request-id`) or too
/// large to be worth keeping. Strings are Huffman-coded unless that is longer.
public struct HPACKEncoder: Sendable {
    public private(set) var table: HPACKDynamicTable
    /// The table size this side prefers; the peer's SETTINGS_HEADER_TABLE_SIZE may lower it.
    public let preferredTableSize: Int
    /// Size updates owed at the start of the next block: the smallest size since the last
    /// block, then the current one (section 4.2).
    private var pendingSmallest: Int?
    private var name: [UInt8] = []

    public init(preferredTableSize: Int = 4096) {
        self.preferredTableSize = preferredTableSize
        self.table = HPACKDynamicTable(maxSize: preferredTableSize)
    }

    /// The peer changed SETTINGS_HEADER_TABLE_SIZE.
    public mutating func setPeerMaxTableSize(_ size: Int) {
        let newSize = min(size, preferredTableSize)
        guard newSize != table.maxSize else { return }
        pendingSmallest = min(pendingSmallest ?? newSize, newSize)
        table.setMaxSize(newSize)
    }

    /// Starts a block: appends the size updates the table owes.
    public mutating func beginBlock(into out: inout [UInt8]) {
        guard let smallest = pendingSmallest else { return }
        if smallest < table.maxSize { HPACKInteger.encode(smallest, prefixBits: 5, flags: 0x20, into: &out) }
        HPACKInteger.encode(table.maxSize, prefixBits: 5, flags: 0x20, into: &out)
        pendingSmallest = nil
    }

    /// Appends one field.
    public mutating func encode(name: [UInt8], value: [UInt8], into out: inout [UInt8]) {
        encode(name: name[...], value: value[...], into: &out)
    }

    /// Appends one field.
    public mutating func encode(name rawName: ArraySlice<UInt8>, value: ArraySlice<UInt8>, into out: inout [UInt8]) {
        name.removeAll(keepingCapacity: true)
        for b in rawName { name.append(ByteClass.lower(b)) }
        let (staticName, staticFull) = HPACKStaticTable.find(name: name, value: value)
        if let staticFull {
            HPACKInteger.encode(staticFull, prefixBits: 7, flags: 0x80, into: &out)
            return
        }
        let sensitive = Self.isSensitive(name)
        let (dynamicName, dynamicFull) = sensitive ? (nil, nil) : table.find(name: name, value: value)
        if let dynamicFull {
            HPACKInteger.encode(HPACKStaticTable.count + 1 + dynamicFull, prefixBits: 7, flags: 0x80, into: &out)
            return
        }
        let nameIndex = staticName ?? dynamicName.map { HPACKStaticTable.count + 1 + $0 } ?? 0
        let indexing = !sensitive && !Self.isUnique(name) && HPACKDynamicTable.entrySize(name: name.count, value: value.count) <= table.maxSize / 2
        if indexing {
            HPACKInteger.encode(nameIndex, prefixBits: 6, flags: 0x40, into: &out)
        } else {
            HPACKInteger.encode(nameIndex, prefixBits: 4, flags: sensitive ? 0x10 : 0x00, into: &out)
        }
        if nameIndex == 0 { Self.writeString(name[...], into: &out) }
        Self.writeString(value, into: &out)
        if indexing { table.insert(name: name, value: Array(value)) }
    }

    /// Names whose values are credentials: sent as never-indexed literals.
    static let sensitiveNames: [[UInt8]] = ["authorization", "proxy-authorization", "cookie", "set-cookie"].map { Array($0.utf8) }

    static func isSensitive(_ name: [UInt8]) -> Bool {
        sensitiveNames.contains(name)
    }

    /// Names whose values differ in every message (Sluice's own `x-request-id`): sent as
    /// literals without indexing, since adding them would only push out entries worth keeping.
    static let uniqueNames: [[UInt8]] = [Array("x-request-id".utf8)]

    static func isUnique(_ name: [UInt8]) -> Bool {
        uniqueNames.contains(name)
    }

    /// A string literal (section 5.2), Huffman-coded unless that is longer.
    static func writeString(_ bytes: ArraySlice<UInt8>, into out: inout [UInt8]) {
        let huffmanLength = Huffman.encodedLength(bytes)
        if huffmanLength <= bytes.count {
            HPACKInteger.encode(huffmanLength, prefixBits: 7, flags: 0x80, into: &out)
            Huffman.encode(bytes, into: &out)
        } else {
            HPACKInteger.encode(bytes.count, prefixBits: 7, flags: 0, into: &out)
            out.append(contentsOf: bytes)
        }
    }
}
