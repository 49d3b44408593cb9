import COpenSSL
import Traffic
#if canImport(Glibc)
import Glibc
#endif

/// The TLS layer of one connection: OpenSSL on its non-blocking socket, as the server
/// (a client connection on the TLS listener) or as the client (to an `https://`
/// backend). The handshake runs inside the first reads or writes; a call that cannot go on
/// returns `.wouldBlock` and says which readiness it waits for, so nothing here ever blocks.
///
/// Lives on the connection's loop; freed with the connection.
final class TLSStream {
    /// The context the connection started with, kept alive for it (its certificates and
    /// SNI table stay the connection's, whatever reloads happen meanwhile).
    private let context: AnyObject
    private let ssl: OpaquePointer
    /// The last read or shutdown stopped until the socket is writable (handshake records
    /// or session tickets that did not fit in the socket buffer).
    private(set) var wantsWritable = false
    /// The last write stopped until the socket is readable (a handshake in progress).
    private(set) var wantsReadable = false
    /// A fatal error happened: no close_notify may follow.
    private var failed = false
    /// Why the connection failed, for logs (certificate verification, protocol error).
    private(set) var failure: String?

    private init(ssl: OpaquePointer, context: AnyObject) {
        self.ssl = ssl
        self.context = context
    }

    /// Starts the server side of a handshake on `fd`; nil when OpenSSL is out of memory.
    static func server(context: TLSContext, fd: Int32) -> TLSStream? {
        guard let ssl = newSSL(context.contexts[0], fd) else { return nil }
        SSL_set_accept_state(ssl)
        return TLSStream(ssl: ssl, context: context)
    }

    /// Starts the client side of a handshake with a backend on `fd`, which must present a
    /// certificate for `host` (a name, also sent as SNI, or an IP address).
    static func client(context: TLSClientContext, fd: Int32, host: String) -> TLSStream? {
        guard let ctx = try? context.context(), let ssl = newSSL(ctx, fd) else { return nil }
        guard shim_ssl_set_backend_host(ssl, host, IPAddress(parsing: host) != nil ? 1 : 0) == 1 else {
            _ = openSSLError()
            SSL_free(ssl)
            return nil
        }
        SSL_set_connect_state(ssl)
        return TLSStream(ssl: ssl, context: context)
    }

    private static func newSSL(_ ctx: OpaquePointer, _ fd: Int32) -> OpaquePointer? {
        guard let ssl = SSL_new(ctx) else {
            _ = openSSLError()
            return nil
        }
        guard SSL_set_fd(ssl, fd) == 1 else {
            _ = openSSLError()
            SSL_free(ssl)
            return nil
        }
        return ssl
    }

    deinit { SSL_free(ssl) }

    /// Reads decrypted bytes (running the handshake first while it is not finished).
    /// `buf` must hold at least 16 KiB, a whole TLS record, so nothing stays buffered
    /// inside OpenSSL where epoll cannot see it.
    @inline(__always)
    func read(_ buf: UnsafeMutableRawBufferPointer) -> IOResult {
        wantsWritable = false
        let n = SSL_read(ssl, buf.baseAddress, Int32(clamping: buf.count))
        if n > 0 { return .done(Int(n)) }
        switch SSL_get_error(ssl, n) {
        case shim_SSL_ERROR_WANT_READ:
            return .wouldBlock
        case shim_SSL_ERROR_WANT_WRITE:
            wantsWritable = true
            return .wouldBlock
        case shim_SSL_ERROR_ZERO_RETURN:
            return .eof
        default:
            return fail()
        }
    }

    /// Encrypts and writes bytes. After `.wouldBlock` the next call must pass the same
    /// bytes again (more may follow them; the buffer may have moved).
    @inline(__always)
    func write(_ buf: UnsafeRawBufferPointer) -> IOResult {
        wantsReadable = false
        let n = SSL_write(ssl, buf.baseAddress, Int32(clamping: buf.count))
        if n > 0 { return .done(Int(n)) }
        switch SSL_get_error(ssl, n) {
        case shim_SSL_ERROR_WANT_WRITE:
            return .wouldBlock
        case shim_SSL_ERROR_WANT_READ:
            wantsReadable = true
            return .wouldBlock
        default:
            return fail()
        }
    }

    /// The handshake chose ALPN `h2` (false until it is finished).
    var negotiatedH2: Bool { shim_ssl_alpn_is_h2(ssl) == 1 }

    /// Sends close_notify before the connection closes. Returns false while it waits for
    /// the socket to be writable (call again then); true when sent, or when there is
    /// nothing to send (handshake unfinished, or a fatal error). Does not wait for the
    /// client's close_notify.
    func shutdown() -> Bool {
        wantsWritable = false
        guard !failed, SSL_is_init_finished(ssl) == 1 else { return true }
        let rc = SSL_shutdown(ssl)
        if rc >= 0 { return true }
        if SSL_get_error(ssl, rc) == shim_SSL_ERROR_WANT_WRITE {
            wantsWritable = true
            return false
        }
        failed = true
        _ = openSSLError()
        return true
    }

    /// A fatal TLS or socket error (bad record, protocol version, handshake failure, an
    /// unverified certificate, reset).
    private func fail() -> IOResult {
        failed = true
        let verify = SSL_get_verify_result(ssl)
        let reason = openSSLError()
        failure = verify != X509_V_OK ? "certificate verify failed: " + String(cString: X509_verify_cert_error_string(verify)) : reason
        return .failed(EPROTO)
    }
}
