/// A violation of RFC 9113 or RFC 7541 found in what the peer sent.
///
/// `scope` says what it ends: a connection error ends the connection with GOAWAY, a stream
/// error ends one stream with RST_STREAM (RFC 9113 section 5.4). `code` is the error code the
/// RFC requires; `source` the layer that found it and `cause` what exactly was wrong.
public struct HTTP2Error: Error, Equatable, Sendable, CustomStringConvertible {
    public enum Scope: Equatable, Sendable {
        case connection
        case stream(UInt32)
    }

    /// The layer that found the fault.
    public enum Source: Equatable, Sendable {
        /// The connection preface (RFC 9113 section 3.4).
        case preface
        /// A frame's own layout: length, flags, stream id, padding (sections 4 and 6).
        case frame
        /// Header compression (RFC 7541).
        case hpack
        /// The decoded field section (section 8.2 and 8.3).
        case fields
        /// Stream states and frame order (sections 5.1 and 6.10).
        case streamState
        /// Flow-control windows (section 5.2 and 6.9).
        case flowControl
        /// A defence against abuse: a budget of resets, pings, settings or empty frames spent.
        case abuse
    }

    public var scope: Scope
    public var code: HTTP2ErrorCode
    public var source: Source
    public var cause: String

    public init(_ scope: Scope, _ code: HTTP2ErrorCode, _ source: Source, _ cause: String) {
        self.scope = scope
        self.code = code
        self.source = source
        self.cause = cause
    }

    static func connection(_ code: HTTP2ErrorCode, _ source: Source, _ cause: String) -> HTTP2Error {
        HTTP2Error(.connection, code, source, cause)
    }

    static func stream(_ id: UInt32, _ code: HTTP2ErrorCode, _ source: Source, _ cause: String) -> HTTP2Error {
        HTTP2Error(.stream(id), code, source, cause)
    }

    public var description: String {
        switch scope {
        case .connection: "connection error \(code) (\(source)): \(cause)"
        case .stream(let id): "stream \(id) error \(code) (\(source)): \(cause)"
        }
    }
}
