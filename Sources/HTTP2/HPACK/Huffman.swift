/// The Huffman code of RFC 7541 Appendix B.
///
/// The code is canonical: codes of one length are consecutive and in symbol order, and
/// shorter codes come first. So the table is written down as its 257 code lengths (symbols
/// 0-255 and EOS = 256) and the codes are rebuilt from them once.
public enum Huffman {
    /// Code lengths in bits, by symbol. 256 is EOS.
    static let lengths: [UInt8] = [
        13, 23, 28, 28, 28, 28, 28, 28, 28, 24, 30, 28, 28, 30, 28, 28, // 0-15
        28, 28, 28, 28, 28, 28, 30, 28, 28, 28, 28, 28, 28, 28, 28, 28, // 16-31
        6, 10, 10, 12, 13, 6, 8, 11, 10, 10, 8, 11, 8, 6, 6, 6,         // ' '-'/'
        5, 5, 5, 6, 6, 6, 6, 6, 6, 6, 7, 8, 15, 6, 12, 10,              // '0'-'?'
        13, 6, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7,                // '@'-'O'
        7, 7, 7, 7, 7, 7, 7, 7, 8, 7, 8, 13, 19, 13, 14, 6,             // 'P'-'_'
        15, 5, 6, 5, 6, 5, 6, 6, 6, 5, 7, 7, 6, 6, 6, 5,                // '`'-'o'
        6, 7, 6, 5, 5, 6, 7, 7, 7, 7, 7, 15, 11, 14, 13, 28,            // 'p'-127
        20, 22, 20, 20, 22, 22, 22, 23, 22, 23, 23, 23, 23, 23, 24, 23, // 128-143
        24, 24, 22, 23, 24, 23, 23, 23, 23, 21, 22, 23, 22, 23, 23, 24, // 144-159
        22, 21, 20, 22, 22, 23, 23, 21, 23, 22, 22, 24, 21, 22, 23, 23, // 160-175
        21, 21, 22, 21, 23, 22, 23, 23, 20, 22, 22, 22, 23, 22, 22, 23, // 176-191
        26, 26, 20, 19, 22, 23, 22, 25, 26, 26, 26, 27, 27, 26, 24, 25, // 192-207
        19, 21, 26, 27, 27, 26, 27, 24, 21, 21, 26, 26, 28, 27, 27, 27, // 208-223
        20, 24, 20, 21, 22, 21, 21, 23, 22, 22, 25, 25, 24, 24, 26, 23, // 224-239
        26, 27, 26, 26, 27, 27, 27, 27, 27, 28, 27, 27, 27, 27, 27, 26, // 240-255
        30,                                                             // EOS
    ]

    static let eos = 256
    static let maxLength = 30

    /// The code of each symbol, right-aligned.
    static let codes: [UInt32] = {
        var codes = [UInt32](repeating: 0, count: lengths.count)
        var code: UInt32 = 0
        for length in 1...maxLength {
            for symbol in lengths.indices where Int(lengths[symbol]) == length {
                codes[symbol] = code
                code += 1
            }
            code <<= 1
        }
        return codes
    }()

    /// For decoding, per length: the first code, and where its symbols start in `sortedSymbols`.
    static let firstCode: [UInt32] = decodingTables.first
    static let firstIndex: [Int] = decodingTables.index
    static let countByLength: [Int] = decodingTables.count
    static let sortedSymbols: [UInt16] = decodingTables.symbols

    private static let decodingTables: (first: [UInt32], index: [Int], count: [Int], symbols: [UInt16]) = {
        var first = [UInt32](repeating: 0, count: maxLength + 1)
        var index = [Int](repeating: 0, count: maxLength + 1)
        var count = [Int](repeating: 0, count: maxLength + 1)
        var symbols: [UInt16] = []
        for length in 1...maxLength {
            index[length] = symbols.count
            for symbol in lengths.indices where Int(lengths[symbol]) == length {
                if count[length] == 0 { first[length] = codes[symbol] }
                count[length] += 1
                symbols.append(UInt16(symbol))
            }
        }
        return (first, index, count, symbols)
    }()

    /// The encoded length in bytes of `bytes`.
    public static func encodedLength(_ bytes: some Collection<UInt8>) -> Int {
        var bits = 0
        for b in bytes { bits += Int(lengths[Int(b)]) }
        return (bits + 7) / 8
    }

    /// Appends the Huffman encoding of `bytes`, padded with the high bits of EOS (all ones).
    public static func encode(_ bytes: some Collection<UInt8>, into out: inout [UInt8]) {
        var acc: UInt64 = 0
        var bits = 0
        for b in bytes {
            acc = acc << UInt64(lengths[Int(b)]) | UInt64(codes[Int(b)])
            bits += Int(lengths[Int(b)])
            while bits >= 8 {
                bits -= 8
                out.append(UInt8(truncatingIfNeeded: acc >> UInt64(bits)))
            }
        }
        if bits > 0 {
            out.append(UInt8(truncatingIfNeeded: acc << UInt64(8 - bits)) | UInt8(0xFF >> bits))
        }
    }

    /// Decodes `buf`, calling `emit` with each byte. Rejects EOS, padding over 7 bits, and padding
    /// that is not all ones (RFC 7541 section 5.2).
    public static func decode(_ buf: UnsafeRawBufferPointer, _ emit: (UInt8) -> Void) throws(HPACKError) {
        var code: UInt32 = 0
        var length = 0
        for byte in buf {
            for shift in stride(from: 7, through: 0, by: -1) {
                code = code << 1 | UInt32(byte >> UInt8(shift) & 1)
                length += 1
                let offset = Int(code) - Int(firstCode[length])
                if countByLength[length] > 0 && offset >= 0 && offset < countByLength[length] {
                    let symbol = Int(sortedSymbols[firstIndex[length] + offset])
                    if symbol == eos { throw .huffmanEOS }
                    emit(UInt8(symbol))
                    code = 0
                    length = 0
                }
            }
        }
        // What is left must be a proper prefix of EOS: at most 7 bits, all ones.
        if length > 7 { throw .huffmanPadding }
        if code != (1 << UInt32(length)) - 1 { throw .huffmanPadding }
    }
}
