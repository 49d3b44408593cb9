import COpenSSL
import Synchronization

/// The client side of TLS to `https://` backends: TLS 1.2-1.3, ALPN `http/1.1`, and the
/// backend's certificate verified against a CA file or the system trust store, for the
/// host named in the route file. Made once at start and shared by every worker and the
/// health checker; the OpenSSL context behind it is built on first use when it trusts the
/// system store, so that a Sluice without `https://` backends never loads that store
/// (OpenSSL's initialisation and ~140 parsed certificates: ~3 MiB resident).
public final class TLSClientContext: Sendable {
    private let caFile: String?
    /// The context once built, or why it could not be; nil before the first use.
    private let built: Mutex<Result<OpaquePointer, TLSError>?>

    /// `caFile`: PEM CA certificates to trust, read and checked now (a bad file throws);
    /// nil for the system trust store, read by the first handshake that needs it.
    public init(caFile: String?) throws(TLSError) {
        self.caFile = caFile
        built = Mutex(nil)
        if caFile != nil {
            _ = try context()
        }
    }

    deinit {
        built.withLock { built in
            if case .success(let ctx)? = built { SSL_CTX_free(ctx) }
        }
    }

    /// The OpenSSL context, built by the first call (any thread). A failure is logged once and
    /// kept: every later call throws it again instead of reading the files per connection.
    func context() throws(TLSError) -> OpaquePointer {
        try built.withLock { built in
            if let built { return built }
            let result = Self.build(caFile: caFile)
            if case .failure(let error) = result, caFile == nil {
                let line = EventLine.make(
                    level: "error", message: "https:// backends cannot be verified: the system trust store cannot be used",
                    fields: [("file", error.file), ("error", error.message)])
                line.withUnsafeBytes { LogSink.stderr.write($0) }
            }
            built = result
            return result
        }.get()
    }

    private static func build(caFile: String?) -> Result<OpaquePointer, TLSError> {
        let name = caFile ?? "(system trust store)"
        guard let ctx = SSL_CTX_new(TLS_client_method()) else {
            return .failure(TLSError(file: name, message: "cannot create a TLS context: \(openSSLError())"))
        }
        guard shim_ssl_ctx_configure_client(ctx, caFile) == 1 else {
            SSL_CTX_free(ctx)
            return .failure(TLSError(file: name, message: "cannot load the CA certificates: \(openSSLError())"))
        }
        return .success(ctx)
    }
}
