import COpenSSL
#if canImport(Glibc)
import Glibc
#endif

/// The TLS layer of one client connection: OpenSSL on the connection's non-blocking
/// socket. The handshake runs inside the first reads; a call that cannot go on returns
/// `.wouldBlock` and says which readiness it waits for, so nothing here ever blocks.
///
/// Lives on the connection's loop; freed with the connection.
final class TLSStream {
    /// Kept alive for the connection: its certificates and SNI table are the ones the
    /// connection started with, whatever reloads happen meanwhile.
    let context: TLSContext
    private let ssl: OpaquePointer
    /// The last read or shutdown stopped until the socket is writable (handshake records
    /// or session tickets that did not fit in the socket buffer).
    private(set) var wantsWritable = false
    /// The last write stopped until the socket is readable.
    private(set) var wantsReadable = false
    /// A fatal error happened: no close_notify may follow.
    private var failed = false

    /// Starts the server side of a handshake on `fd`; nil when OpenSSL is out of memory.
    init?(context: TLSContext, fd: Int32) {
        guard let ssl = SSL_new(context.contexts[0]) else {
            _ = openSSLError()
            return nil
        }
        guard SSL_set_fd(ssl, fd) == 1 else {
            _ = openSSLError()
            SSL_free(ssl)
            return nil
        }
        SSL_set_accept_state(ssl)
        self.context = context
        self.ssl = ssl
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

    /// A fatal TLS or socket error (bad record, protocol version, handshake failure, reset).
    private func fail() -> IOResult {
        failed = true
        _ = openSSLError()
        return .failed(EPROTO)
    }
}
