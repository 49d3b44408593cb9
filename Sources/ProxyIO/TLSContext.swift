import COpenSSL
import Traffic
#if canImport(Glibc)
import Glibc
#endif

/// The TLS server side for one certificate set: an OpenSSL context per certificate, the
/// first one the default, and the SNI table that picks among them during a handshake.
///
/// Built off the loops (at start and on every reload) and sent to every worker, which
/// hands it to the TLS connections it accepts from then on; each connection keeps its
/// context alive, so a reload never changes a connection that is already open.
public final class TLSContext: @unchecked Sendable { // the SSL_CTXs are never changed after init; OpenSSL lets any thread create SSLs from them
    /// One per certificate, in the order given; `contexts[0]` starts every handshake.
    let contexts: [OpaquePointer]
    private let names: ServerNameTable
    /// The DNS names of each certificate (for logs and the reload answer).
    public let certificateNames: [[String]]

    /// Loads every certificate and key, checks that each key matches its certificate, and
    /// sets TLS 1.2-1.3, modern ciphers, ALPN (`h2` preferred with `http2`, and `http/1.1`),
    /// a session cache and tickets.
    /// With `previous`, its session-ticket keys are kept, so clients resume across a reload.
    /// Runs off the loops: it reads files.
    public init(certificates: [CertificateFiles], previous: TLSContext? = nil, http2: Bool = false) throws(TLSError) {
        precondition(!certificates.isEmpty, "a TLS context needs a certificate")
        var contexts: [OpaquePointer] = []
        var names: [[String]] = []
        do {
            for files in certificates {
                let ctx = try Self.serverContext(files, http2: http2)
                contexts.append(ctx)
                names.append(Self.dnsNames(ctx))
            }
        } catch {
            for ctx in contexts { SSL_CTX_free(ctx) }
            throw error
        }
        self.contexts = contexts
        self.names = ServerNameTable(names: names)
        self.certificateNames = names
        if contexts.count > 1 {
            shim_ssl_ctx_set_servername_callback(contexts[0], selectCertificate, Unmanaged.passUnretained(self).toOpaque())
        }
        if let previous { _ = shim_ssl_ctx_copy_ticket_keys(previous.contexts[0], contexts[0]) }
    }

    deinit {
        for ctx in contexts { SSL_CTX_free(ctx) }
    }

    /// Called during a handshake (on a worker's thread) once the client's SNI is known:
    /// switches the connection to the certificate for that name.
    fileprivate func select(_ ssl: OpaquePointer) {
        guard let name = shim_ssl_servername(ssl) else { return }
        let index = names.certificate(for: UnsafeRawBufferPointer(start: name, count: strlen(name)))
        if index != 0 { _ = SSL_set_SSL_CTX(ssl, contexts[index]) }
    }

    private static func serverContext(_ files: CertificateFiles, http2: Bool) throws(TLSError) -> OpaquePointer {
        guard let ctx = SSL_CTX_new(TLS_server_method()) else {
            throw TLSError(file: files.certificate, message: "cannot create a TLS context: \(openSSLError())")
        }
        guard shim_ssl_ctx_configure_server(ctx) == 1 else {
            SSL_CTX_free(ctx)
            throw TLSError(file: files.certificate, message: "cannot configure TLS: \(openSSLError())")
        }
        if http2 { shim_ssl_ctx_set_alpn_h2(ctx) } else { shim_ssl_ctx_set_alpn_http11(ctx) }
        if SSL_CTX_use_certificate_chain_file(ctx, files.certificate) != 1 {
            SSL_CTX_free(ctx)
            throw TLSError(file: files.certificate, message: "cannot load the certificate: \(openSSLError())")
        }
        // This also checks that the key belongs to the certificate.
        if SSL_CTX_use_PrivateKey_file(ctx, files.key, SSL_FILETYPE_PEM) != 1 {
            SSL_CTX_free(ctx)
            let (reason, mismatch) = openSSLErrorDetail()
            throw TLSError(file: files.key, message: mismatch ? "the private key does not match the certificate \(files.certificate)"
                                                              : "cannot load the private key: \(reason)")
        }
        return ctx
    }

    /// The DNS names of the context's certificate: its subjectAltName DNS entries, else its CN.
    private static func dnsNames(_ ctx: OpaquePointer) -> [String] {
        guard let cert = SSL_CTX_get0_certificate(ctx) else { return [] }
        var buffer = [CChar](repeating: 0, count: 16 * 1024)
        let used = buffer.withUnsafeMutableBufferPointer { shim_x509_dns_names(cert, $0.baseAddress, Int32($0.count)) }
        guard used > 0 else { return [] }
        return buffer[..<Int(used)].split(separator: 0).map { String(decoding: $0.map { UInt8(bitPattern: $0) }, as: UTF8.self) }
    }
}

/// The OpenSSL servername callback: hands the handshake to its `TLSContext`.
private let selectCertificate: shim_servername_cb = { ssl, _, arg in
    if let ssl, let arg { Unmanaged<TLSContext>.fromOpaque(arg).takeUnretainedValue().select(ssl) }
    return shim_SSL_TLSEXT_ERR_OK
}

/// The reason of this thread's oldest queued OpenSSL error, and clears the queue.
func openSSLError() -> String { openSSLErrorDetail().reason }

/// The reason of this thread's oldest queued OpenSSL error and whether it was a key that
/// does not match its certificate; clears the queue.
private func openSSLErrorDetail() -> (reason: String, keyMismatch: Bool) {
    var text = [CChar](repeating: 0, count: 256)
    return text.withUnsafeMutableBufferPointer { buffer in
        let mismatch = shim_ssl_error_text(buffer.baseAddress, buffer.count) == 1
        let reason = String(cString: buffer.baseAddress!)
        return (reason.isEmpty ? "unknown OpenSSL error" : reason, mismatch)
    }
}
