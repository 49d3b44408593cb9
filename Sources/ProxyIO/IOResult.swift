import CLinuxShim
#if canImport(Glibc)
import Glibc
#endif

/// The outcome of one non-blocking syscall on a socket.
enum IOResult {
    /// This many bytes (or, for accept, this fd).
    case done(Int)
    /// The kernel has nothing for us now (EAGAIN); wait for the next readiness event.
    case wouldBlock
    /// The peer closed (read returned 0).
    case eof
    /// Any other error, with errno.
    case failed(Int32)
}

/// Every socket syscall goes through these wrappers: EINTR is retried, EAGAIN becomes
/// `.wouldBlock`, and nothing here ever blocks (the sockets are non-blocking).
enum Syscall {
    /// Whether `error` (of accept, socket or connect) means the process or the system is
    /// short of descriptors or memory: a reason to pause and retry, never a verdict on a peer.
    static func isResourceShortage(_ error: Int32) -> Bool {
        error == EMFILE || error == ENFILE || error == ENOBUFS || error == ENOMEM
    }

    @inline(__always)
    static func read(_ fd: Int32, _ buf: UnsafeMutableRawBufferPointer) -> IOResult {
        while true {
            let n = Glibc.read(fd, buf.baseAddress, buf.count)
            if n > 0 { return .done(n) }
            if n == 0 { return .eof }
            let e = shim_errno()
            if e == EINTR { continue }
            if e == EAGAIN || e == EWOULDBLOCK { return .wouldBlock }
            return .failed(e)
        }
    }

    @inline(__always)
    static func write(_ fd: Int32, _ buf: UnsafeRawBufferPointer) -> IOResult {
        sending { Glibc.send(fd, buf.baseAddress, buf.count, Int32(MSG_NOSIGNAL)) }
    }

    /// Writes `pieces` in order, in one `sendmsg` (one `send` when there is one); the result
    /// counts the bytes of all of them.
    static func write(_ fd: Int32, _ pieces: UnsafeBufferPointer<UnsafeRawBufferPointer>) -> IOResult {
        if pieces.count == 1 { return write(fd, pieces[0]) }
        return withUnsafeTemporaryAllocation(of: iovec.self, capacity: pieces.count) { iov in
            for (i, piece) in pieces.enumerated() {
                iov[i] = iovec(iov_base: UnsafeMutableRawPointer(mutating: piece.baseAddress), iov_len: piece.count)
            }
            var message = msghdr()
            message.msg_iov = iov.baseAddress
            message.msg_iovlen = pieces.count
            return sending { Glibc.sendmsg(fd, &message, Int32(MSG_NOSIGNAL)) }
        }
    }

    /// Runs a send call until it is not interrupted: the bytes it took, or why none went.
    @inline(__always)
    private static func sending(_ call: () -> Int) -> IOResult {
        while true {
            let n = call()
            if n >= 0 { return .done(n) }
            let e = shim_errno()
            if e == EINTR { continue }
            if e == EAGAIN || e == EWOULDBLOCK { return .wouldBlock }
            return .failed(e)
        }
    }

    static func close(_ fd: Int32) {
        _ = Glibc.close(fd)
    }
}
