import HTTP1

/// A request's field section, checked against RFC 9113 sections 8.2 and 8.3 and the proxy's
/// HTTP/1.1 rules, with the pseudo-header fields located.
///
/// Built once per request HEADERS block. Every rule broken makes the request malformed: a
/// stream error of type PROTOCOL_ERROR (section 8.1.1), so nothing malformed is forwarded.
public struct RequestFields: Equatable, Sendable {
    public var list: HeaderList
    /// Indices in `list` of the pseudo-header fields (nil when absent).
    public var method: Int?
    public var scheme: Int?
    public var authority: Int?
    public var path: Int?
    /// The first `host` field, which must agree with `:authority` when both are present.
    public var host: Int?
    /// The Content-Length the request declared; DATA must add up to it.
    public var contentLength: Int?

    public var isConnect: Bool { method.map { list.value($0).equals(Names.connect) } ?? false }

    /// The request pseudo-header fields (RFC 9113 section 8.3.1).
    enum Pseudo {
        case method, scheme, authority, path

        init?(_ name: ArraySlice<UInt8>) {
            if name.equals(Names.method) { self = .method }
            else if name.equals(Names.scheme) { self = .scheme }
            else if name.equals(Names.authority) { self = .authority }
            else if name.equals(Names.path) { self = .path }
            else { return nil }
        }
    }

    /// Names and values compared on every request, as bytes.
    enum Names {
        static let method = Array(":method".utf8)
        static let scheme = Array(":scheme".utf8)
        static let authority = Array(":authority".utf8)
        static let path = Array(":path".utf8)
        static let host = Array("host".utf8)
        static let cookie = Array("cookie".utf8)
        static let contentLength = Array("content-length".utf8)
        static let te = Array("te".utf8)
        static let trailers = Array("trailers".utf8)
        static let connect = Array("CONNECT".utf8)
        static let options = Array("OPTIONS".utf8)
    }

    /// Checks a request's first HEADERS block on `stream`.
    public static func validate(_ list: HeaderList, stream: UInt32) -> Result<RequestFields, HTTP2Error> {
        var r = RequestFields(list: list)
        func malformed(_ cause: String) -> Result<RequestFields, HTTP2Error> {
            .failure(.stream(stream, .protocolError, .fields, cause))
        }
        var regularSeen = false
        for i in 0..<list.count {
            let name = list.name(i)
            let value = list.value(i)
            if let cause = fieldCause(name: name, value: value) { return malformed(cause) }
            if name.first == UInt8(ascii: ":") {
                guard !regularSeen else { return malformed("pseudo-header field after a regular field") }
                let previous: Int?
                switch Pseudo(name) {
                case .method: previous = r.method; r.method = i
                case .scheme: previous = r.scheme; r.scheme = i
                case .authority: previous = r.authority; r.authority = i
                case .path: previous = r.path; r.path = i
                case nil: return malformed("pseudo-header field \(String(decoding: name, as: UTF8.self)) not allowed in a request")
                }
                guard previous == nil else { return malformed("duplicate \(String(decoding: name, as: UTF8.self))") }
                continue
            }
            regularSeen = true
            if name.equals(Names.host) {
                guard r.host == nil else { return malformed("more than one host field") }
                r.host = i
            } else if name.equals(Names.contentLength) {
                guard let n = decimal(value), r.contentLength == nil || r.contentLength == n else {
                    return malformed("invalid or conflicting content-length")
                }
                r.contentLength = n
            }
        }
        guard let method = r.method else { return malformed("no :method") }
        guard allIn(list.value(method), ByteClass.token), !list.value(method).isEmpty else {
            return malformed(":method is not a token")
        }
        if r.isConnect {
            guard r.authority != nil, r.scheme == nil, r.path == nil else { return malformed("CONNECT needs :authority and no :scheme or :path") }
        } else {
            guard let scheme = r.scheme, let path = r.path else { return malformed("no :scheme or no :path") }
            guard !list.value(scheme).isEmpty else { return malformed("empty :scheme") }
            let p = list.value(path)
            let asterisk = p.count == 1 && p.first == UInt8(ascii: "*") && list.value(method).equals(Names.options)
            guard p.first == UInt8(ascii: "/") || asterisk else { return malformed(":path is empty or not origin-form") }
            guard allIn(p, ByteClass.target) else { return malformed("invalid byte in :path") }
        }
        guard r.authority != nil || r.host != nil else { return malformed("neither :authority nor host") }
        if let a = r.authority, let h = r.host, !list.value(a).elementsEqual(list.value(h)) {
            return malformed("host differs from :authority")
        }
        return .success(r)
    }

    /// Checks a trailer section: no pseudo-header fields, the same field rules.
    public static func validateTrailers(_ list: HeaderList, stream: UInt32) -> HTTP2Error? {
        for i in 0..<list.count {
            let name = list.name(i)
            if name.first == UInt8(ascii: ":") { return .stream(stream, .protocolError, .fields, "pseudo-header field in trailers") }
            if let cause = fieldCause(name: name, value: list.value(i)) { return .stream(stream, .protocolError, .fields, cause) }
        }
        return nil
    }

    /// What is wrong with one field, if anything: bytes not allowed in a lowercase name or a
    /// value (section 8.2.1), surrounding whitespace, a connection-specific field, or a `te`
    /// other than `trailers` (section 8.2.2).
    static func fieldCause(name: ArraySlice<UInt8>, value: ArraySlice<UInt8>) -> String? {
        let bare = name.first == UInt8(ascii: ":") ? name.dropFirst() : name
        guard !bare.isEmpty else { return "empty field name" }
        if !allIn(bare, lowercaseToken) {
            return bare.contains { $0 >= 0x41 && $0 <= 0x5A } ? "uppercase byte in field name" : "invalid byte in field name"
        }
        guard allIn(value, ByteClass.fieldValue) else { return "invalid byte in field value" }
        if let f = value.first, f == 0x20 || f == 0x09 { return "field value starts with whitespace" }
        if let l = value.last, l == 0x20 || l == 0x09 { return "field value ends with whitespace" }
        if isConnectionSpecific(name) { return "connection-specific field \(String(decoding: name, as: UTF8.self))" }
        if name.equals(Names.te) && !value.equals(Names.trailers) { return "te other than trailers" }
        return nil
    }

    /// The bytes of a field name: lowercase token characters.
    static let lowercaseToken: [Bool] = (0..<256).map { ByteClass.token[$0] && !($0 >= 0x41 && $0 <= 0x5A) }

    /// True when every byte of `bytes` is in the byte class `table`.
    static func allIn(_ bytes: ArraySlice<UInt8>, _ table: [Bool]) -> Bool {
        table.withUnsafeBufferPointer { t in bytes.withUnsafeBufferPointer { $0.allSatisfy { t[Int($0)] } } }
    }

    /// Fields that belong to one HTTP/1.1 connection and may not appear in HTTP/2 (section
    /// 8.2.2), lowercase.
    static let connectionSpecific: [[UInt8]] = ["connection", "proxy-connection", "keep-alive", "transfer-encoding", "upgrade"].map { Array($0.utf8) }
    /// Bit n set when a name in `connectionSpecific` has n bytes: most names are ruled out by length.
    static let connectionSpecificLengths: UInt64 = connectionSpecific.reduce(0) { $0 | 1 << $1.count }

    /// True when `name` (any case) is one of `connectionSpecific`.
    public static func isConnectionSpecific(_ name: ArraySlice<UInt8>) -> Bool {
        guard name.count < 64 && connectionSpecificLengths & 1 << name.count != 0 else { return false }
        return connectionSpecific.contains { $0.count == name.count && zip(name, $0).allSatisfy { ByteClass.lower($0) == $1 } }
    }

    /// `1*DIGIT` as an Int, nil when empty, not digits or too large.
    static func decimal(_ bytes: ArraySlice<UInt8>) -> Int? {
        guard !bytes.isEmpty, bytes.count <= 18 else { return nil }
        var n = 0
        for b in bytes {
            guard b >= 0x30 && b <= 0x39 else { return nil }
            n = n * 10 + Int(b - 0x30)
        }
        return n
    }
}
