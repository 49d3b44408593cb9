import Control
import Foundation
import Glibc

/// A real etcd for a test — one member, or a cluster of several — on free loopback ports
/// in a temporary directory; stopped and removed when the test lets go of it. Throws when
/// `etcd` is not installed (scripts/setup.sh installs Debian's etcd-server): a missing etcd
/// fails the test.
final class EtcdProcess {
    /// Each member's client port, in member order.
    let clientPorts: [UInt16]
    let directory: URL
    private let processes: [Process]

    /// The first member's client port.
    var clientPort: UInt16 { clientPorts[0] }

    struct Missing: Error, CustomStringConvertible {
        var description: String { "etcd is not installed: run scripts/setup.sh (Debian package etcd-server)" }
    }

    init(members: Int = 1) throws {
        guard let binary = ["/usr/bin/etcd", "/usr/local/bin/etcd"].first(where: { FileManager.default.isExecutableFile(atPath: $0) })
        else { throw Missing() }
        clientPorts = (0..<members).map { _ in Self.freePort() }
        let peerPorts = (0..<members).map { _ in Self.freePort() }
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("sluice-etcd-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let cluster = (0..<members).map { "m\($0)=http://127.0.0.1:\(peerPorts[$0])" }.joined(separator: ",")
        var processes: [Process] = []
        for m in 0..<members {
            let client = "http://127.0.0.1:\(clientPorts[m])", peer = "http://127.0.0.1:\(peerPorts[m])"
            let process = Process()
            process.executableURL = URL(fileURLWithPath: binary)
            process.arguments = ["--name", "m\(m)", "--data-dir", directory.appendingPathComponent("m\(m)").path,
                                 "--listen-client-urls", client, "--advertise-client-urls", client,
                                 "--listen-peer-urls", peer, "--initial-advertise-peer-urls", peer,
                                 "--initial-cluster", cluster, "--initial-cluster-state", "new",
                                 "--initial-cluster-token", directory.lastPathComponent]
            let log = directory.appendingPathComponent("m\(m).log")
            _ = FileManager.default.createFile(atPath: log.path, contents: nil)
            process.standardOutput = try FileHandle(forWritingTo: log)
            process.standardError = process.standardOutput
            try process.run()
            processes.append(process)
        }
        self.processes = processes
        for m in 0..<members { try waitUntilServing(m) }
    }

    deinit {
        for m in processes.indices { stop(member: m) }
        try? FileManager.default.removeItem(at: directory)
    }

    /// Kills every member (SIGKILL).
    func stop() {
        for m in processes.indices { stop(member: m) }
    }

    /// Kills member `m` (SIGKILL) and waits for it to be gone.
    func stop(member m: Int) {
        guard processes[m].isRunning else { return }
        kill(processes[m].processIdentifier, SIGKILL)
        processes[m].waitUntilExit()
    }

    /// Polls member `m` until it answers `/health` healthy (15 s at most: a cluster needs
    /// its quorum first).
    private func waitUntilServing(_ m: Int) throws {
        for _ in 0..<300 {
            if let answer = try? HTTPClient(host: "127.0.0.1", port: clientPorts[m], timeoutSeconds: 1).send("GET", "/health"),
               String(decoding: answer.body, as: UTF8.self).contains("true") { return }
            usleep(50_000)
        }
        let log = (try? String(contentsOf: directory.appendingPathComponent("m\(m).log"), encoding: .utf8)) ?? ""
        throw StoreTestFailure("etcd member m\(m) did not start:\n\(log.suffix(2000))")
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
