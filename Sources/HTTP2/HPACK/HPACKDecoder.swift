/// Decodes header blocks (RFC 7541 section 6) for one connection.
///
/// Runs once per complete header block (HEADERS plus CONTINUATION frames), in the order the
/// blocks arrived: the dynamic table is shared by all streams. Bounded against HPACK bombs:
/// the decoded list stops growing at `maxHeaderListSize` (RFC 9113 section 6.5.2 counting,
/// name + value + 32 per field) while the block is still read to its end so the table stays in
/// step; integers are capped; strings cannot be longer than the block.
public struct HPACKDecoder: Sendable {
    public private(set) var table: HPACKDynamicTable
    /// Our SETTINGS_HEADER_TABLE_SIZE: the most a size update may ask for.
    public var maxTableSize: Int
    /// Our SETTINGS_MAX_HEADER_LIST_SIZE.
    public var maxHeaderListSize: Int

    public init(maxTableSize: Int = 4096, maxHeaderListSize: Int = 16_384) {
        self.table = HPACKDynamicTable(maxSize: maxTableSize)
        self.maxTableSize = maxTableSize
        self.maxHeaderListSize = maxHeaderListSize
    }

    /// Decodes `block` into `list` (appending). Throws `.headerListTooLarge` after reading the
    /// whole block when the list went over the limit; `list` then holds the fields that fit.
    /// After any other error `list` is as it was (a string read before the fault is dropped).
    public mutating func decode(_ block: UnsafeRawBufferPointer, into list: inout HeaderList) throws(HPACKError) {
        let mark = (bytes: list.bytes.count, fields: list.fields.count)
        do {
            try decodeFields(block, into: &list)
        } catch .headerListTooLarge {
            throw .headerListTooLarge
        } catch {
            list.bytes.removeSubrange(mark.bytes...)
            list.fields.removeSubrange(mark.fields...)
            throw error
        }
    }

    private mutating func decodeFields(_ block: UnsafeRawBufferPointer, into list: inout HeaderList) throws(HPACKError) {
        var at = 0
        var fieldSeen = false
        var listSize = 0
        var tooLarge = false
        while at < block.count {
            let b = block[at]
            if b & 0xE0 == 0x20 {
                // Dynamic table size update (section 6.3): only before the first field.
                guard !fieldSeen else { throw .tableSizeUpdateNotFirst }
                let size = try HPACKInteger.decode(block, at: &at, prefixBits: 5)
                guard size <= maxTableSize else { throw .tableSizeAboveLimit(size) }
                table.setMaxSize(size)
                continue
            }
            fieldSeen = true
            if b & 0x80 != 0 {
                // Indexed field (section 6.1). Checked before copying: one byte may name a
                // large entry, and a bomb repeats it.
                let index = try HPACKInteger.decode(block, at: &at, prefixBits: 7)
                let entry = try lookup(index)
                listSize += entry.name.count + entry.value.count + 32
                tooLarge = tooLarge || listSize > maxHeaderListSize
                if !tooLarge { list.append(name: entry.name, value: entry.value) }
                continue
            }
            // Literal (section 6.2): with incremental indexing (01), or without / never (000x).
            let indexing = b & 0xC0 == 0x40
            let index = try HPACKInteger.decode(block, at: &at, prefixBits: indexing ? 6 : 4)
            let nameStart = list.bytes.count
            if index == 0 {
                try Self.readString(block, at: &at, into: &list.bytes)
            } else {
                list.bytes.append(contentsOf: try lookup(index).name)
            }
            let valueStart = list.bytes.count
            try Self.readString(block, at: &at, into: &list.bytes)
            if indexing {
                table.insert(name: Array(list.bytes[nameStart..<valueStart]), value: Array(list.bytes[valueStart...]))
            }
            listSize += list.bytes.count - nameStart + 32
            tooLarge = tooLarge || listSize > maxHeaderListSize
            if tooLarge {
                // Read for the table's sake, but not kept.
                list.bytes.removeSubrange(nameStart...)
            } else {
                list.fields.append(HeaderList.Field(name: nameStart..<valueStart, value: valueStart..<list.bytes.count))
            }
        }
        if tooLarge { throw .headerListTooLarge }
    }

    /// The entry at HPACK index `index`: 1-61 static, then dynamic, newest first.
    private func lookup(_ index: Int) throws(HPACKError) -> (name: [UInt8], value: [UInt8]) {
        if index >= 1 && index <= HPACKStaticTable.count { return HPACKStaticTable.entries[index - 1] }
        let dynamic = index - HPACKStaticTable.count - 1
        guard index > 0 && dynamic < table.count else { throw .invalidIndex(index) }
        return table[dynamic]
    }

    /// Appends the string literal at `at` (section 5.2), Huffman-decoded if flagged.
    static func readString(_ block: UnsafeRawBufferPointer, at: inout Int, into out: inout [UInt8]) throws(HPACKError) {
        guard at < block.count else { throw .truncated }
        let huffman = block[at] & 0x80 != 0
        let length = try HPACKInteger.decode(block, at: &at, prefixBits: 7)
        guard length <= block.count - at else { throw .truncated }
        let bytes = UnsafeRawBufferPointer(rebasing: block[at..<at + length])
        at += length
        if huffman {
            try Huffman.decode(bytes) { out.append($0) }
        } else {
            out.append(contentsOf: bytes)
        }
    }
}
