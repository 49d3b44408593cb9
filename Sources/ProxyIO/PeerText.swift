import Traffic

/// A client's address as text (`IPAddress.description`), stored inline so that accepting a
/// connection allocates nothing for it. Made once per connection; read by every request
/// (`X-Forwarded-For`, the access log, sticky hashing by client address).
struct PeerText {
    /// Room for `IPAddress.maxTextLength` (39) bytes.
    private var bytes = InlineArray<40, UInt8>(repeating: 0)
    private var count = 0

    init(_ address: IPAddress) {
        address.writeText { byte in
            bytes[count] = byte
            count += 1
        }
    }

    /// Calls `body` with the text's bytes.
    func withBytes<R>(_ body: (UnsafeRawBufferPointer) -> R) -> R {
        bytes.span.withUnsafeBytes { body(UnsafeRawBufferPointer(rebasing: $0[..<count])) }
    }
}
