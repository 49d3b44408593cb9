/// One certificate and its private key, as PEM files: the certificate file holds the leaf
/// first, then any intermediate certificates.
public struct CertificateFiles: Sendable, Equatable {
    public let certificate: String
    public let key: String

    public init(certificate: String, key: String) {
        self.certificate = certificate
        self.key = key
    }
}
