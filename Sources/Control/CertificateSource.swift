import Glibc
public import ProxyIO

/// Where the TLS certificates come from: `--cert FILE --key FILE`, or `--certs DIR`
/// holding `NAME.crt` + `NAME.key` pairs.
public enum CertificateSource: Sendable, Equatable {
    case files(CertificateFiles)
    case directory(String)

    /// The certificate and key files to load, the default first. Lists the directory, so it
    /// runs off the loops (at start and on every reload).
    public func certificateFiles() throws(TLSError) -> [CertificateFiles] {
        switch self {
        case .files(let files):
            return [files]
        case .directory(let directory):
            let names: [String]
            do throws(FileSystem.Failure) {
                names = try FileSystem.names(in: directory)
            } catch {
                throw TLSError(file: directory, message: error.code == ENOENT ? "no such certificates directory" : "cannot read the certificates directory")
            }
            return try Self.pairs(directory: directory, fileNames: names)
        }
    }

    /// Pairs the files of a certificates directory: every `NAME.crt` with its `NAME.key`,
    /// in order of NAME (the first is the default certificate). Other files, dot files and
    /// subdirectories (such as the dev CA's `ca/`) are ignored; a `.crt` without its `.key`
    /// or a `.key` without its `.crt` is an error, as is a directory without any pair.
    static func pairs(directory: String, fileNames: [String]) throws(TLSError) -> [CertificateFiles] {
        let visible = Set(fileNames.filter { !$0.hasPrefix(".") })
        func stems(_ suffix: String) -> Set<String> {
            Set(visible.filter { $0.hasSuffix(suffix) && $0.count > suffix.count }.map { String($0.dropLast(suffix.count)) })
        }
        let certificates = stems(".crt")
        let keys = stems(".key")
        if let lone = certificates.subtracting(keys).min() {
            throw TLSError(file: FileSystem.path(directory, lone + ".crt"), message: "no private key \(lone).key beside this certificate")
        }
        if let lone = keys.subtracting(certificates).min() {
            throw TLSError(file: FileSystem.path(directory, lone + ".key"), message: "no certificate \(lone).crt beside this private key")
        }
        guard !certificates.isEmpty else {
            throw TLSError(file: directory, message: "no certificates (NAME.crt with NAME.key) in the certificates directory")
        }
        return certificates.sorted().map {
            CertificateFiles(certificate: FileSystem.path(directory, $0 + ".crt"), key: FileSystem.path(directory, $0 + ".key"))
        }
    }
}
