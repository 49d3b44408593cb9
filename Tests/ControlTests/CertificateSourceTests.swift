import Control
import ProxyIO
import Testing

struct CertificateSourceTests {
    /// Writes empty files called `names` into `directory`, then pairs its files.
    private func pairs(_ directory: borrowing TemporaryStateDirectory, _ names: [String]) throws -> Result<[CertificateFiles], TLSError> {
        for name in names { try directory.write(name, "x") }
        let source = CertificateSource.directory(directory.path)
        return Result { () throws(TLSError) in try source.certificateFiles() }
    }

    @Test func pairsByNameInOrderAndIgnoresTheRest() throws {
        let directory = TemporaryStateDirectory()
        let result = try pairs(directory, ["b.example.crt", "b.example.key", "a.example.key", "a.example.crt",
                                           "README.md", ".hidden.crt", "ca/ca.crt", "ca/ca.key"])
        #expect(try result.get() == [
            CertificateFiles(certificate: directory.file("a.example.crt"), key: directory.file("a.example.key")),
            CertificateFiles(certificate: directory.file("b.example.crt"), key: directory.file("b.example.key")),
        ])
    }

    @Test func certificateWithoutKeyNamesTheCertificate() throws {
        let directory = TemporaryStateDirectory()
        guard case .failure(let error) = try pairs(directory, ["a.crt", "a.key", "b.crt"]) else {
            Issue.record("accepted a certificate without its key")
            return
        }
        #expect(error.file == directory.file("b.crt"))
        #expect(error.message.contains("b.key"))
    }

    @Test func keyWithoutCertificateNamesTheKey() throws {
        let directory = TemporaryStateDirectory()
        guard case .failure(let error) = try pairs(directory, ["a.crt", "a.key", "c.key"]) else {
            Issue.record("accepted a key without its certificate")
            return
        }
        #expect(error.file == directory.file("c.key"))
    }

    @Test func emptyOrMissingDirectoryIsAnError() throws {
        let directory = TemporaryStateDirectory()
        guard case .failure(let error) = try pairs(directory, ["notes.txt"]) else {
            Issue.record("accepted a directory without pairs")
            return
        }
        #expect(error.file == directory.path)
        let missing = CertificateSource.directory(directory.path + "/nope")
        #expect(throws: TLSError.self) { try missing.certificateFiles() }
    }

    @Test func singlePairIsUsedAsGiven() throws {
        let pair = CertificateFiles(certificate: "/x/site.pem", key: "/x/site-key.pem")
        #expect(try CertificateSource.files(pair).certificateFiles() == [pair])
    }
}
