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

    /// The decoder: a state machine over the code tree that takes 4 bits at a time. A state is
    /// an inner node of the tree (256 of them; 0 is the root). As no code is shorter than 5
    /// bits, a nibble completes at most one symbol.
    struct Step {
        var next: UInt8
        var symbol: UInt8
        /// `symbol` was completed by this nibble.
        var emits: Bool
        /// The nibble reached EOS.
        var fails: Bool
    }

    /// `steps[state * 16 + nibble]`.
    static let steps: [Step] = decoder.steps
    /// States a string may end in: the root, or at most 7 bits into the tree, all of them ones
    /// (a prefix of EOS, section 5.2).
    static let accepting: [Bool] = decoder.accepting

    private static let decoder: (steps: [Step], accepting: [Bool]) = {
        // The tree: children of inner node i are children[2i] and children[2i+1]; a child is an
        // inner node (its index) or a leaf (-1 - symbol).
        var children: [Int] = [0, 0]
        var depth = [0]
        var allOnes = [true]
        for symbol in lengths.indices {
            var node = 0
            for bit in stride(from: Int(lengths[symbol]) - 1, through: 0, by: -1) {
                let b = Int(codes[symbol] >> UInt32(bit) & 1)
                if bit == 0 {
                    children[2 * node + b] = -1 - symbol
                } else {
                    if children[2 * node + b] == 0 {
                        children[2 * node + b] = depth.count
                        children += [0, 0]
                        depth.append(depth[node] + 1)
                        allOnes.append(allOnes[node] && b == 1)
                    }
                    node = children[2 * node + b]
                }
            }
        }
        var steps: [Step] = []
        for state in depth.indices {
            for nibble in 0..<16 {
                var node = state
                var step = Step(next: 0, symbol: 0, emits: false, fails: false)
                for bit in stride(from: 3, through: 0, by: -1) {
                    let child = children[2 * node + (nibble >> bit & 1)]
                    if child >= 0 { node = child; continue }
                    let symbol = -1 - child
                    if symbol == eos { step.fails = true; break }
                    step.symbol = UInt8(symbol)
                    step.emits = true
                    node = 0
                }
                step.next = UInt8(node)
                steps.append(step)
            }
        }
        return (steps, depth.indices.map { $0 == 0 || allOnes[$0] && depth[$0] <= 7 })
    }()

    /// The encoded length in bytes of `bytes`.
    public static func encodedLength(_ bytes: some Collection<UInt8>) -> Int {
        lengths.withUnsafeBufferPointer { lengths in
            var bits = 0
            for b in bytes { bits &+= Int(lengths[Int(b)]) }
            return (bits + 7) / 8
        }
    }

    /// Appends the Huffman encoding of `bytes`, padded with the high bits of EOS (all ones).
    public static func encode(_ bytes: some Collection<UInt8>, into out: inout [UInt8]) {
        lengths.withUnsafeBufferPointer { lengths in
            codes.withUnsafeBufferPointer { codes in
                // At most 30 bits a code, so 32 bits go out whenever that many are waiting.
                var acc: UInt64 = 0
                var bits = 0
                for b in bytes {
                    let length = Int(lengths[Int(b)])
                    acc = acc << UInt64(length) | UInt64(codes[Int(b)])
                    bits &+= length
                    if bits >= 32 {
                        bits -= 32
                        let word = UInt32(truncatingIfNeeded: acc >> UInt64(bits))
                        out.append(UInt8(truncatingIfNeeded: word >> 24))
                        out.append(UInt8(truncatingIfNeeded: word >> 16))
                        out.append(UInt8(truncatingIfNeeded: word >> 8))
                        out.append(UInt8(truncatingIfNeeded: word))
                    }
                }
                while bits >= 8 {
                    bits -= 8
                    out.append(UInt8(truncatingIfNeeded: acc >> UInt64(bits)))
                }
                if bits > 0 {
                    out.append(UInt8(truncatingIfNeeded: acc << UInt64(8 - bits)) | UInt8(0xFF >> bits))
                }
            }
        }
    }

    /// Decodes `buf`, calling `emit` with each byte. Rejects EOS, padding over 7 bits, and padding
    /// that is not all ones (RFC 7541 section 5.2).
    public static func decode(_ buf: UnsafeRawBufferPointer, _ emit: (UInt8) -> Void) throws(HPACKError) {
        let steps = steps
        var state = 0
        for byte in buf {
            let high = steps[state << 4 | Int(byte >> 4)]
            if high.fails { throw .huffmanEOS }
            if high.emits { emit(high.symbol) }
            let low = steps[Int(high.next) << 4 | Int(byte & 0xF)]
            if low.fails { throw .huffmanEOS }
            if low.emits { emit(low.symbol) }
            state = Int(low.next)
        }
        if !accepting[state] { throw .huffmanPadding }
    }
}
