import Control
import Foundation
import Glibc

/// A real one-member etcd for a test, on free loopback ports in a temporary directory;
/// stopped and removed when the test lets go of it. Throws when `etcd` is not installed
/// (scripts/setup.sh installs Debian's etcd-server): a missing etcd fails the test.
final class EtcdProcess {
    let clientPort: UInt16
    let directory: URL
    private let process = Process()

    struct Missing: Error, CustomStringConvertible {
        var description: String { "etcd is not installed: run scripts/setup.sh (Debian package etcd-server)" }
    }

    init() throws {
        guard let binary = ["/usr/bin/etcd", "/usr/local/bin/etcd"].first(where: { FileManager.default.isExecutableFile(atPath: $0) })
        else { throw Missing() }
        clientPort = Self.freePort()
        let peerPort = Self.freePort()
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("sluice-etcd-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let client = "http://127.0.0.1:\(clientPort)", peer = "http://127.0.0.1:\(peerPort)"
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = ["--name", "test", "--data-dir", directory.appendingPathComponent("data").path,
                             "--listen-client-urls", client, "--advertise-client-urls", client,
                             "--listen-peer-urls", peer, "--initial-advertise-peer-urls", peer,
                             "--initial-cluster", "test=\(peer)"]
        let log = FileManager.default.createFile(atPath: directory.appendingPathComponent("etcd.log").path, contents: nil)
        precondition(log)
        process.standardOutput = try FileHandle(forWritingTo: directory.appendingPathComponent("etcd.log"))
        process.standardError = process.standardOutput
        try process.run()
        try waitUntilServing()
    }

    deinit {
        stop()
        try? FileManager.default.removeItem(at: directory)
    }

    /// Kills etcd (SIGKILL) and waits for it to be gone.
    func stop() {
        guard process.isRunning else { return }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    /// Polls the client port until etcd answers `/health` (10 s at most).
    private func waitUntilServing() throws {
        for _ in 0..<200 {
            if let answer = try? HTTPClient(host: "127.0.0.1", port: clientPort, timeoutSeconds: 1).send("GET", "/health"),
               String(decoding: answer.body, as: UTF8.self).contains("true") { return }
            usleep(50_000)
        }
        let log = (try? String(contentsOf: directory.appendingPathComponent("etcd.log"), encoding: .utf8)) ?? ""
        throw NSError(domain: "etcd", code: 1, userInfo: [NSLocalizedDescriptionKey: "etcd did not start:\n\(log.suffix(2000))"])
    }

    /// A loopback port nobody listens on now (bound and released).
    static func freePort() -> UInt16 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { p in
                _ = bind(fd, p, length)
                return getsockname(fd, p, &length)
            }
        }
        return UInt16(bigEndian: address.sin_port)
    }
}
