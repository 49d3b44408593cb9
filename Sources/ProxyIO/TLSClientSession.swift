/// TLS as the client over a blocking socket: `sluice ctl` to an admin API on `https://`.
/// The handshake runs in the first write; the server's certificate must chain to the
/// context's CAs and name `host`. A read or write that outlasts the socket's timeouts
/// (SO_RCVTIMEO, SO_SNDTIMEO) fails.
public final class TLSClientSession {
    private let stream: TLSStream

    /// Nil when OpenSSL cannot start a session (out of memory, an unusable trust store).
    public init?(context: TLSClientContext, fd: Int32, host: String) {
        guard let stream = TLSStream.client(context: context, fd: fd, host: host) else { return nil }
        self.stream = stream
    }

    /// Writes all of `bytes`; nil when done, else why it failed.
    public func write(_ bytes: [UInt8]) -> String? {
        var offset = 0
        while offset < bytes.count {
            let result = bytes.withUnsafeBytes { stream.write(UnsafeRawBufferPointer(rebasing: $0[offset...])) }
            guard case .done(let n) = result else { return reason(result) }
            offset += n
        }
        return nil
    }

    /// Reads what comes next into `buffer` (at least 16 KiB): the count, 0 at the end of
    /// the stream, or why it failed.
    public func read(into buffer: inout [UInt8]) -> Result<Int, TLSSessionFailure> {
        switch buffer.withUnsafeMutableBytes({ stream.read($0) }) {
        case .done(let n): .success(n)
        case .eof: .success(0)
        case let other: .failure(TLSSessionFailure(message: reason(other)))
        }
    }

    private func reason(_ result: IOResult) -> String {
        if case .wouldBlock = result { return "timed out" }
        return stream.failure ?? "the TLS connection failed"
    }
}

/// Why a TLS client session failed: a certificate that does not verify, a timeout, a reset.
public struct TLSSessionFailure: Error, Sendable {
    public let message: String
}
