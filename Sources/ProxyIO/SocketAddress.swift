import CLinuxShim
public import Traffic
#if canImport(Glibc)
import Glibc
#endif

/// A socket address ready for bind/connect, built once at configuration time.
public struct SocketAddress: Sendable {
    var storage = sockaddr_storage()
    var length: socklen_t = 0
    public let ip: IPAddress
    public let port: UInt16

    public init(ip: IPAddress, port: UInt16) {
        self.ip = ip
        self.port = port
        switch ip {
        case .v4(let addr):
            var sin = sockaddr_in()
            sin.sin_family = sa_family_t(AF_INET)
            sin.sin_port = port.bigEndian
            sin.sin_addr.s_addr = addr.bigEndian
            withUnsafeBytes(of: sin) { src in
                withUnsafeMutableBytes(of: &storage) { $0.copyMemory(from: src) }
            }
            length = socklen_t(MemoryLayout<sockaddr_in>.size)
        case .v6(let high, let low):
            var sin6 = sockaddr_in6()
            sin6.sin6_family = sa_family_t(AF_INET6)
            sin6.sin6_port = port.bigEndian
            withUnsafeMutableBytes(of: &sin6.sin6_addr) { raw in
                raw.storeBytes(of: high.bigEndian, toByteOffset: 0, as: UInt64.self)
                raw.storeBytes(of: low.bigEndian, toByteOffset: 8, as: UInt64.self)
            }
            withUnsafeBytes(of: sin6) { src in
                withUnsafeMutableBytes(of: &storage) { $0.copyMemory(from: src) }
            }
            length = socklen_t(MemoryLayout<sockaddr_in6>.size)
        }
    }

    var family: Int32 { Int32(storage.ss_family) }

    /// `connect(2)` to this address (blocking or not, as `fd` is); 0 on success, else -1
    /// with errno set.
    public func connect(_ fd: Int32) -> Int32 {
        var s = storage
        return withUnsafePointer(to: &s) { p in
            p.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, length) }
        }
    }

    /// Reads the peer address the kernel filled in on accept.
    static func peerIP(_ storage: sockaddr_storage) -> IPAddress {
        var s = storage
        return withUnsafeBytes(of: &s) { raw -> IPAddress in
            if Int32(storage.ss_family) == AF_INET6 {
                let sin6 = raw.load(as: sockaddr_in6.self)
                return withUnsafeBytes(of: sin6.sin6_addr) { a in
                    .v6(UInt64(bigEndian: a.loadUnaligned(fromByteOffset: 0, as: UInt64.self)),
                        UInt64(bigEndian: a.loadUnaligned(fromByteOffset: 8, as: UInt64.self)))
                }
            }
            let sin = raw.load(as: sockaddr_in.self)
            return .v4(UInt32(bigEndian: sin.sin_addr.s_addr))
        }
    }
}
