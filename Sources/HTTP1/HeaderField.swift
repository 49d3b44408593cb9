/// One header field as byte ranges into the buffer that holds the message head.
public struct HeaderField: Sendable, Equatable {
    public var name: Range<Int>
    /// The value with surrounding whitespace removed.
    public var value: Range<Int>
    /// What the field means to the proxy; `.hopByHop` also for fields named in `Connection`.
    public var kind: FieldKind

    public init(name: Range<Int>, value: Range<Int>, kind: FieldKind) {
        self.name = name
        self.value = value
        self.kind = kind
    }
}

/// Which framing and connection semantics a header field carries, from its name.
/// Decided once per field while parsing so the proxy never compares names twice.
public enum FieldKind: UInt8, Sendable {
    case other
    case host
    case contentLength
    case transferEncoding
    case connection
    /// Hop-by-hop fields always removed when forwarding (RFC 9110 7.6.1): Keep-Alive,
    /// Proxy-Connection, TE, Trailer.
    case hopByHop
    case upgrade
    case expect
    case xForwardedFor
    case xForwardedProto
    case xForwardedHost
    case xRequestId
    case cookie
    /// X-Sluice-Pool: Sluice's own, never passed on from a backend.
    case xSluicePool

    /// Classifies a field name (any case).
    @inline(__always)
    static func classify(_ buf: UnsafeRawBufferPointer, _ name: Range<Int>) -> FieldKind {
        switch name.count {
        case 2: if buf.equalsIgnoringCase(name, "te") { return .hopByHop }
        case 4: if buf.equalsIgnoringCase(name, "host") { return .host }
        case 6:
            if buf.equalsIgnoringCase(name, "cookie") { return .cookie }
            if buf.equalsIgnoringCase(name, "expect") { return .expect }
        case 7:
            if buf.equalsIgnoringCase(name, "upgrade") { return .upgrade }
            if buf.equalsIgnoringCase(name, "trailer") { return .hopByHop }
        case 10:
            if buf.equalsIgnoringCase(name, "connection") { return .connection }
            if buf.equalsIgnoringCase(name, "keep-alive") { return .hopByHop }
        case 12: if buf.equalsIgnoringCase(name, "x-request-id") { return .xRequestId }
        case 13: if buf.equalsIgnoringCase(name, "x-sluice-pool") { return .xSluicePool }
        case 14: if buf.equalsIgnoringCase(name, "content-length") { return .contentLength }
        case 15: if buf.equalsIgnoringCase(name, "x-forwarded-for") { return .xForwardedFor }
        case 16:
            if buf.equalsIgnoringCase(name, "proxy-connection") { return .hopByHop }
            if buf.equalsIgnoringCase(name, "x-forwarded-host") { return .xForwardedHost }
        case 17:
            if buf.equalsIgnoringCase(name, "transfer-encoding") { return .transferEncoding }
            if buf.equalsIgnoringCase(name, "x-forwarded-proto") { return .xForwardedProto }
        default: break
        }
        return .other
    }
}
