public import ProxyIO

/// The TLS certificates being served and where they came from, so that a reload can load
/// them again from the same place.
public struct TLSCertificates: Sendable {
    public let source: CertificateSource
    public let context: TLSContext
    /// ALPN offers `h2` (kept on reload).
    public let http2: Bool

    /// Loads and checks every certificate of `source` (reads files: runs off the loops).
    /// With `previous`, its session-ticket keys carry over, so clients resume across a reload.
    public init(source: CertificateSource, previous: TLSCertificates? = nil, http2: Bool = false) throws(TLSError) {
        self.source = source
        self.http2 = http2
        context = try TLSContext(certificates: source.certificateFiles(), previous: previous?.context, http2: http2)
    }

    /// The same source loaded again (on reload).
    func reloaded() throws(TLSError) -> TLSCertificates {
        try TLSCertificates(source: source, previous: self, http2: http2)
    }

    /// The DNS names of every certificate, the default first, for logs and answers.
    public var names: [[String]] { context.certificateNames }

    /// `names` as a JSON array of arrays of strings.
    public var namesJSON: JSONValue {
        .array(names.map { .array($0.map(JSONValue.string)) })
    }
}
