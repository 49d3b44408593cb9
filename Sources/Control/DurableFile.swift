import Foundation
import Glibc

/// The few file operations the state dir needs, as plain syscalls with EINTR and short
/// reads/writes handled, each failure turned into a `StateError` naming the file and the
/// system's reason. Blocking: called from the control and admin threads, never from a loop.
enum DurableFile {
    /// Creates `path` and missing parents with mode 0700 (the state is Sluice's alone) and
    /// syncs the directories that received them, so a new state dir cannot vanish in a crash
    /// (which would look like "no state yet"); an existing directory is left as it is. Runs
    /// when a store is created.
    static func createDirectory(_ path: String) throws(StateError) {
        var created: [URL] = []
        var url = URL(fileURLWithPath: path)
        while !FileManager.default.fileExists(atPath: url.path) {
            created.append(url)
            url.deleteLastPathComponent()
        }
        do {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true,
                                                    attributes: [.posixPermissions: 0o700])
        } catch {
            throw StateError(file: path, message: "cannot create the state directory: \(error.localizedDescription)")
        }
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw StateError(file: path, message: "the state directory is not a directory")
        }
        for directory in created {
            try syncDirectory(directory.deletingLastPathComponent().path)
        }
    }

    /// The whole content of `path`, or nil when there is no such file. Any other failure to
    /// open or read it (a directory, no permission, an I/O error) throws.
    static func read(_ path: String) throws(StateError) -> [UInt8]? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        if fd < 0 {
            if errno == ENOENT { return nil }
            throw failure(path, "cannot open")
        }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65_536)
        while true {
            let count = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                throw failure(path, "cannot read")
            }
            if count == 0 { return bytes }
            bytes += chunk[..<count]
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

    /// Writes every byte (a short write is resumed), then `fsync`s, so that when this returns
    /// the bytes are on disk. On a file opened with O_APPEND each write lands at the end.
    static func writeAndSync(_ fd: Int32, _ bytes: [UInt8], file: String) throws(StateError) {
        var done = 0
        while done < bytes.count {
            let written = bytes.withUnsafeBytes { write(fd, $0.baseAddress! + done, bytes.count - done) }
            if written < 0 {
                if errno == EINTR { continue }
                throw failure(file, "cannot write")
            }
            done += written
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
        StateError(file: file, message: "\(what): \(String(cString: strerror(errno)))")
    }
}
