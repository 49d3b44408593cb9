import Glibc

/// The state dir's `lock` file, held with `flock` by the one Sluice that uses the directory
/// (docs/operators.md, "One instance per port and state directory"). Taken at start, before
/// anything in the directory is touched, and released by the kernel when the process ends,
/// however it ends; the file holds the owner's pid for the operator.
public final class StateLock: Sendable {
    private let fd: Int32

    /// Takes the lock on `<directory>/lock` (the directory must exist). Throws, naming the
    /// directory and the pid of the holder, when another live process holds it.
    public init(directory: String) throws(StateError) {
        let path = FileSystem.path(directory, "lock")
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw DurableFile.failure(path, "cannot open the lock file") }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            let code = errno
            let holder = (try? FileSystem.read(path)).map { String(String(decoding: $0, as: UTF8.self).trimmingWhitespace()) } ?? ""
            close(fd)
            guard code == EWOULDBLOCK else {
                errno = code
                throw DurableFile.failure(path, "cannot lock")
            }
            throw StateError(file: directory, message: "another Sluice is using this state directory"
                             + (holder.isEmpty ? "" : " (pid \(holder))") + "; give each instance its own --state")
        }
        _ = ftruncate(fd, 0)
        try? FileSystem.write(fd, Array("\(getpid())\n".utf8))
        self.fd = fd
    }

    deinit { close(fd) }
}
