import Glibc
import Synchronization

/// The state dir's `state.json`: weights, stable pool and rollout state per route. Loaded once
/// at start (it wins over the route files' `weights`), saved on every change. Blocking (file
/// I/O and fsync): used from the control and admin threads, never from an event loop.
/// One Sluice per state dir, held by the dir's `StateLock`: a second one would delete the
/// first one's temporary files and write duplicate event ids.
public final class StateStore: Sendable {
    /// The state dir, as given.
    public let directory: String
    /// `<directory>/state.json`.
    public let path: String

    /// The state file's path in the state dir `directory`.
    public static func file(in directory: String) -> String { FileSystem.path(directory, fileName) }
    /// Numbers the temporary files of this process; held for the whole of a save, so saves
    /// from several threads run one after the other.
    private let saves = Mutex<Int>(0)
    /// This process's hold on the directory, for as long as the store lives.
    private let lock: StateLock

    static let fileName = "state.json"
    private static let tempPrefix = ".state.json."
    private static let tempSuffix = ".tmp"

    /// Runs at start: creates the state dir if missing (mode 0700), takes its lock, and
    /// removes the temporary files a crashed save may have left (`.state.json.*.tmp`; never
    /// read, since only a rename makes one the state). Throws if the directory cannot be
    /// created or listed, or another live Sluice holds it.
    public init(directory: String) throws(StateError) {
        self.directory = directory
        path = FileSystem.path(directory, Self.fileName)
        try DurableFile.createDirectory(directory)
        lock = try StateLock(directory: directory)
        let names: [String]
        do throws(FileSystem.Failure) {
            names = try FileSystem.names(in: directory)
        } catch {
            throw StateError(file: directory, message: "cannot list the state directory: \(error)")
        }
        for name in names where name.hasPrefix(Self.tempPrefix) && name.hasSuffix(Self.tempSuffix) {
            unlink(FileSystem.path(directory, name))
        }
    }

    /// Runs at start. Returns the saved state, or nil when nothing was ever saved (no
    /// `state.json`). Anything else that keeps the state from being read whole — an unreadable,
    /// empty, truncated or invalid file, another version, a value out of range — throws an
    /// error naming the file and, where there is one, the key path; the caller must not carry
    /// on as if there were no state unless the operator said so (`--reset-state`).
    public func load() throws(StateError) -> StateFile? {
        try Self.load(file: path)
    }

    /// Reads the state file at `path` as `load()` does, without taking the directory (for
    /// `sluice check`, which may look while a Sluice runs).
    public static func load(file path: String) throws(StateError) -> StateFile? {
        guard let bytes = try DurableFile.read(path) else { return nil }
        guard !bytes.isEmpty else {
            throw StateError(file: path, message: "the state file is empty")
        }
        guard let json = try? JSONValue(parsing: bytes) else {
            throw StateError(file: path, message: "the state file is not valid JSON (truncated or corrupt)")
        }
        guard case .object = json else {
            throw StateError(file: path, message: "the state file is not a JSON object")
        }
        do throws(JSONNode.Mismatch) {
            return try StateFile(json: json)
        } catch {
            throw StateError(file: path, message: error.description)
        }
    }

    /// Runs on every change of weights, stable pool or rollout state; returns once the new
    /// state is on disk. Replaces `state.json` atomically:
    ///
    /// 1. the JSON is written to a new temporary file in the same directory (a unique name,
    ///    created with O_EXCL, so no other save and no leftover shares it), then `fsync`ed;
    /// 2. `rename` puts it in place of `state.json`;
    /// 3. the directory is `fsync`ed, which makes the rename itself durable.
    ///
    /// Why no reader ever sees a partial file: `state.json` is never opened for writing. The
    /// name only ever moves, by `rename(2)`, which swaps it atomically from one complete file
    /// (the old inode) to another (the new one); a reader that opened the old one keeps reading
    /// it whole. Because the new file's data is fsynced before the rename, a crash after it
    /// cannot leave the name on a file whose blocks were never written (the empty-file-after-
    /// crash problem of delayed allocation); because the directory is fsynced, the rename is
    /// not lost either. A crash at any earlier point leaves the old `state.json` and a stray
    /// temporary file, which the next start removes. On an error the old `state.json` is
    /// untouched, except when only the final directory sync fails: then the new state is in
    /// place but may not survive a power loss.
    public func save(_ file: StateFile) throws(StateError) {
        let bytes: [UInt8]
        do {
            bytes = try file.json.encodedPretty() + [0x0A]
        } catch {
            throw StateError(file: path, message: "cannot encode the state: \(error)")
        }
        try saves.withLock { (count: inout Int) throws(StateError) in
            let (temp, fd) = try createTemporaryFile(&count)
            do throws(StateError) {
                defer { close(fd) }
                try DurableFile.writeAndSync(fd, bytes, file: temp)
            } catch {
                unlink(temp)
                throw error
            }
            guard rename(temp, path) == 0 else {
                let error = DurableFile.failure(path, "cannot rename \(temp) to it")
                unlink(temp)
                throw error
            }
            try DurableFile.syncDirectory(directory)
        }
    }

    /// A new temporary file `.state.json.<pid>-<n>.tmp`, opened for writing, mode 0600.
    private func createTemporaryFile(_ count: inout Int) throws(StateError) -> (String, Int32) {
        while true {
            count += 1
            let temp = FileSystem.path(directory, Self.tempPrefix + "\(getpid())-\(count)" + Self.tempSuffix)
            let fd = open(temp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
            if fd >= 0 { return (temp, fd) }
            if errno != EEXIST { throw DurableFile.failure(temp, "cannot create") }
        }
    }
}
