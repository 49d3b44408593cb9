/// Why a header block could not be decoded (RFC 7541). Every case is a connection error of
/// type COMPRESSION_ERROR, except `headerListTooLarge`, which leaves the table in step.
public enum HPACKError: Error, Equatable, Sendable {
    /// The block ended inside a representation.
    case truncated
    /// An integer longer than this decoder accepts (RFC 7541 section 5.1 leaves the bound to us).
    case integerOverflow
    /// Index 0, or past the end of the static and dynamic tables (section 2.3.3).
    case invalidIndex(Int)
    /// A dynamic table size update above SETTINGS_HEADER_TABLE_SIZE (section 6.3).
    case tableSizeAboveLimit(Int)
    /// A dynamic table size update after a field representation (section 4.2).
    case tableSizeUpdateNotFirst
    /// The EOS symbol inside a string (section 5.2).
    case huffmanEOS
    /// Padding longer than 7 bits or not the most significant bits of EOS (section 5.2).
    case huffmanPadding
    /// The decoded list exceeded the limit; the block was still read to its end so the
    /// dynamic table stays in step with the peer's.
    case headerListTooLarge
}
