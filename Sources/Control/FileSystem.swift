import Glibc

/// The file operations of the control side and the command line, as plain syscalls with EINTR
/// and short reads and writes handled; paths are `String`s. Blocking: called from the control
/// and admin threads and from commands, never from an event loop. (`DurableFile` adds what the
/// state dir needs on top: fsyncs and `StateError`s.)
public enum FileSystem {
    /// A failed system call: what was tried and the system's reason, from `errno`.
    public struct Failure: Error, Sendable, CustomStringConvertible {
        /// `cannot open`, `cannot read`, ...
        public let operation: String
        public let code: Int32

        /// The failure of the call that just set `errno`.
        init(_ operation: String) {
            self.operation = operation
            code = errno
        }

        /// `cannot read: Is a directory`.
        public var description: String {
            "\(operation): \(String(cString: strerror(code)))"
        }
    }

    /// `name` inside `directory` (which may end with a slash or not).
    public static func path(_ directory: String, _ name: String) -> String {
        directory.hasSuffix("/") ? directory + name : directory + "/" + name
    }

    /// The whole content of the file at `path`.
    public static func read(_ path: String) throws(Failure) -> [UInt8] {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw Failure("cannot open") }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65_536)
        while true {
            let count = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                throw Failure("cannot read")
            }
            if count == 0 { return bytes }
            bytes += chunk[..<count]
        }
    }

    /// Creates or truncates the file at `path` (mode 0644 when new) and writes `bytes` to it.
    public static func write(_ path: String, _ bytes: [UInt8]) throws(Failure) {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw Failure("cannot create") }
        defer { close(fd) }
        try write(fd, bytes)
    }

    /// Writes every byte of `bytes` to `fd`, resuming short writes. On a file opened with
    /// O_APPEND each write lands at the end.
    public static func write(_ fd: Int32, _ bytes: [UInt8]) throws(Failure) {
        var done = 0
        while done < bytes.count {
            let written = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + done, bytes.count - done) }
            if written < 0 {
                if errno == EINTR { continue }
                throw Failure("cannot write")
            }
            done += written
        }
    }

    /// The names in `directory`, dot files included, without `.` and `..`, in no particular order.
    public static func names(in directory: String) throws(Failure) -> [String] {
        guard let stream = opendir(directory) else { throw Failure("cannot open the directory") }
        defer { closedir(stream) }
        var names: [String] = []
        while true {
            errno = 0
            guard let entry = readdir(stream) else {
                if errno != 0 { throw Failure("cannot read the directory") }
                return names
            }
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(cString: $0.bindMemory(to: CChar.self).baseAddress!) }
            if name != "." && name != ".." { names.append(name) }
        }
    }

    /// Whether something (a file, a directory, ...) is at `path`; a dangling symbolic link is nothing.
    public static func exists(_ path: String) -> Bool {
        var info = stat()
        return stat(path, &info) == 0
    }

    /// Whether `path` is a directory (or a symbolic link to one).
    public static func isDirectory(_ path: String) -> Bool {
        var info = stat()
        return stat(path, &info) == 0 && info.st_mode & S_IFMT == S_IFDIR
    }

    /// Creates the directory `path` with the permission bits `mode` (`0o700`; less the
    /// umask); its parent must exist.
    public static func makeDirectory(_ path: String, mode: UInt32) throws(Failure) {
        guard mkdir(path, mode_t(mode)) == 0 else { throw Failure("cannot create the directory") }
    }

    /// Removes `path` and, for a directory, everything in it; symbolic links are removed, not
    /// followed. Best effort: what cannot be removed stays.
    public static func removeTree(_ path: String) {
        var info = stat()
        guard lstat(path, &info) == 0 else { return }
        if info.st_mode & S_IFMT == S_IFDIR {
            for name in (try? names(in: path)) ?? [] { removeTree(self.path(path, name)) }
            rmdir(path)
        } else {
            unlink(path)
        }
    }

    /// The directory for temporary files: `$TMPDIR`, else `/tmp`.
    public static var temporaryDirectory: String {
        getenv("TMPDIR").map { String(cString: $0) }.flatMap { $0.isEmpty ? nil : $0 } ?? "/tmp"
    }
}
