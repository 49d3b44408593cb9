import COpenSSL

/// The client side of TLS to `https://` backends: TLS 1.2-1.3, ALPN `http/1.1`, and the
/// backend's certificate verified against a CA file or the system trust store, for the
/// host named in the route file. Built once at start (off the loops) and shared by every
/// worker and the health checker.
public final class TLSClientContext: @unchecked Sendable { // the SSL_CTX is never changed after init; OpenSSL lets any thread create SSLs from it
    let ctx: OpaquePointer

    /// `caFile`: PEM CA certificates to trust; nil for the system trust store. Reads files.
    public init(caFile: String?) throws(TLSError) {
        guard let ctx = SSL_CTX_new(TLS_client_method()) else {
            throw TLSError(file: caFile ?? "(system trust store)", message: "cannot create a TLS context: \(openSSLError())")
        }
        guard shim_ssl_ctx_configure_client(ctx, caFile) == 1 else {
            SSL_CTX_free(ctx)
            throw TLSError(file: caFile ?? "(system trust store)", message: "cannot load the CA certificates: \(openSSLError())")
        }
        self.ctx = ctx
    }

    deinit { SSL_CTX_free(ctx) }
}
