import Glibc

/// The few file operations the state dir needs beyond `FileSystem`'s: fsyncs of files and
/// directories, each failure turned into a `StateError` naming the file and the system's
/// reason. Blocking: called from the control and admin threads, never from a loop.
enum DurableFile {
    /// Creates `path` and missing parents with mode 0700 (the state is Sluice's alone) and
    /// syncs the directories that received them, so a new state dir cannot vanish in a crash
    /// (which would look like "no state yet"); an existing directory is left as it is. Runs
    /// when a store is created.
    static func createDirectory(_ path: String) throws(StateError) {
        var missing: [String] = []  // deepest first
        var directory = path
        while !directory.isEmpty && !FileSystem.exists(directory) {
            missing.append(directory)
            directory = parent(of: directory)
        }
        for directory in missing.reversed() {
            do throws(FileSystem.Failure) {
                try FileSystem.makeDirectory(directory, mode: 0o700)
            } catch where error.code == EEXIST {
                continue  // made meanwhile by someone else
            } catch {
                throw StateError(file: path, message: "cannot create the state directory: \(error)")
            }
        }
        guard FileSystem.isDirectory(path) else {
            throw StateError(file: path, message: "the state directory is not a directory")
        }
        for directory in missing {
            try syncDirectory(parent(of: directory))
        }
    }

    /// The directory that holds `path`: `a/b` for `a/b/c` (and `a/b/c/`), `/` for `/a`, `.` for `a`.
    private static func parent(of path: String) -> String {
        var trimmed = Substring(path)
        while trimmed.count > 1 && trimmed.hasSuffix("/") { trimmed = trimmed.dropLast() }
        guard let slash = trimmed.lastIndex(of: "/") else { return "." }
        return slash == trimmed.startIndex ? "/" : String(trimmed[..<slash])
    }

    /// The whole content of `path`, or nil when there is no such file. Any other failure to
    /// open or read it (a directory, no permission, an I/O error) throws.
    static func read(_ path: String) throws(StateError) -> [UInt8]? {
        do throws(FileSystem.Failure) {
            return try FileSystem.read(path)
        } catch where error.code == ENOENT && error.operation == "cannot open" {
            return nil
        } catch {
            throw StateError(file: path, message: error.description)
        }
    }

    /// `count` bytes of `fd` from `offset` (fewer only at the end of the file).
    static func read(_ fd: Int32, at offset: Int, count: Int, file: String) throws(StateError) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: count)
        var done = 0
        while done < count {
            let got = bytes.withUnsafeMutableBytes { pread(fd, $0.baseAddress! + done, count - done, off_t(offset + done)) }
            if got < 0 {
                if errno == EINTR { continue }
                throw failure(file, "cannot read")
            }
            if got == 0 { break }
            done += got
        }
        return Array(bytes[..<done])
    }

    /// Writes every byte (`FileSystem.write`), then `fsync`s, so that when this returns the
    /// bytes are on disk. On a file opened with O_APPEND each write lands at the end.
    static func writeAndSync(_ fd: Int32, _ bytes: [UInt8], file: String) throws(StateError) {
        do throws(FileSystem.Failure) {
            try FileSystem.write(fd, bytes)
        } catch {
            throw StateError(file: file, message: error.description)
        }
        guard fsync(fd) == 0 else { throw failure(file, "cannot sync") }
    }

    /// `fsync`s the directory itself, which makes the names created, renamed or removed in it
    /// durable (a file's own fsync does not cover its directory entry).
    static func syncDirectory(_ path: String) throws(StateError) {
        let fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw failure(path, "cannot open the directory to sync it") }
        defer { close(fd) }
        guard fsync(fd) == 0 else { throw failure(path, "cannot sync the directory") }
    }

    /// The error for a failed syscall, from `errno`: `cannot write: No space left on device`.
    static func failure(_ file: String, _ what: String) -> StateError {
        StateError(file: file, message: FileSystem.Failure(what).description)
    }
}
