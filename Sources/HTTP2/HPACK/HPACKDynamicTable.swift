/// The dynamic table of RFC 7541 section 2.3.2 and 4: newest entry first, each entry's size
/// its name and value lengths plus 32, entries evicted from the oldest end to stay within
/// `maxSize`. Used by one decoder or one encoder; allocation happens per inserted entry.
public struct HPACKDynamicTable: Sendable {
    /// Oldest first, so an insertion is an append and an eviction removes from the front.
    private var entries: [(name: [UInt8], value: [UInt8])] = []
    /// Index in `entries` of the oldest live entry; evicted ones are dropped in batches.
    private var oldest = 0
    public private(set) var size = 0
    public private(set) var maxSize: Int

    public init(maxSize: Int) { self.maxSize = maxSize }

    public var count: Int { entries.count - oldest }

    public static func entrySize(name: Int, value: Int) -> Int { name + value + 32 }

    /// The entry at dynamic index `i` (0 = newest).
    public subscript(i: Int) -> (name: [UInt8], value: [UInt8]) {
        entries[entries.count - 1 - i]
    }

    /// Changes the maximum size, evicting as needed (a size update, section 6.3).
    public mutating func setMaxSize(_ newMax: Int) {
        maxSize = newMax
        evict(toFit: 0)
    }

    /// Adds an entry; one larger than `maxSize` empties the table and is not added (section 4.4).
    public mutating func insert(name: [UInt8], value: [UInt8]) {
        let needed = Self.entrySize(name: name.count, value: value.count)
        evict(toFit: min(needed, maxSize + 1))
        guard needed <= maxSize else { return }
        entries.append((name, value))
        size += needed
    }

    /// The dynamic index (0 = newest) of an entry with this name, and of one with this name
    /// and value, for the encoder.
    public func find(name: [UInt8], value: ArraySlice<UInt8>) -> (nameIndex: Int?, fullIndex: Int?) {
        var nameIndex: Int?
        for i in 0..<count {
            let entry = entries[entries.count - 1 - i]
            guard entry.name.count == name.count && entry.name == name else { continue }
            if nameIndex == nil { nameIndex = i }
            if entry.value.count == value.count && entry.value[...] == value { return (nameIndex, i) }
        }
        return (nameIndex, nil)
    }

    private mutating func evict(toFit needed: Int) {
        while size + needed > maxSize && oldest < entries.count {
            size -= Self.entrySize(name: entries[oldest].name.count, value: entries[oldest].value.count)
            oldest += 1
        }
        if oldest > 64 || oldest == entries.count {
            entries.removeFirst(oldest)
            oldest = 0
        }
    }
}
