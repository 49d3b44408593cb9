public import Traffic

/// A client's address as text (`IPAddress.description`), stored inline so that accepting a
/// connection allocates nothing for it. Made once per connection; read by every request
/// (`X-Forwarded-For`, the access log, sticky hashing by client address).
public struct PeerText: Sendable {
    /// Room for `IPAddress.maxTextLength` (39) bytes.
    @usableFromInline var bytes = InlineArray<40, UInt8>(repeating: 0)
    @usableFromInline var count = 0

    public init(_ address: IPAddress) {
        address.writeText { byte in
            bytes[count] = byte
            count += 1
        }
    }

    /// Calls `body` with the text's bytes. Inlinable, so that callers in other modules get it
    /// specialized (a generic call across modules costs more than the work it does).
    @inlinable
    public func withBytes<R>(_ body: (UnsafeRawBufferPointer) -> R) -> R {
        bytes.span.withUnsafeBytes { body(UnsafeRawBufferPointer(rebasing: $0[..<count])) }
    }
}
