import Glibc
import ProxyIO
import Synchronization

/// The audit log: every weight change, reload, health flip, rollout step, verdict and revert,
/// one JSON line each in `<state dir>/events.jsonl`, append-only, with the newest `capacity`
/// events also in memory for `GET /events?since=ID`. Thread-safe: the control thread and the
/// admin thread append and read concurrently. Appending blocks for a write and an fsync, so
/// it never runs on a proxy event loop. One Sluice per state dir.
public final class EventStore: Sendable {
    /// `<directory>/events.jsonl`.
    public let path: String
    /// How many of the newest events `events(since:limit:)` can serve.
    public let capacity: Int
    /// Byte offsets in the file of the lines skipped at start because they were not an event
    /// or broke the id order, oldest first; for a warning. A crash in the middle of an append
    /// leaves at most one such line, the last. Only the tail that was read is checked.
    public let skippedLineOffsets: [Int]
    /// Open with O_APPEND for the store's lifetime.
    private let fd: Int32
    private let ring: Mutex<EventRing>

    private static let fileName = "events.jsonl"
    private static let newline: UInt8 = 0x0A

    /// Runs at start: creates the state dir if missing (mode 0700) and opens or creates
    /// `events.jsonl` (mode 0600). Reads the file backwards from its end until `capacity`
    /// valid events are found or the file is exhausted, so start-up time does not grow with
    /// the log. A line that does not decode as an event, or whose id is not below the next
    /// valid line's, is skipped (and listed in `skippedLineOffsets`): a crash mid-append leaves a
    /// partial last line, and ids then continue after the last valid event. If the file does
    /// not end with a newline, one is added before any new event, so that the partial line
    /// stays a line of its own and the next event starts a fresh one. The file is never cut or
    /// rotated here. Throws if the directory or file cannot be created, read or repaired.
    public init(directory: String, capacity: Int = 10_000) throws(StateError) {
        precondition(capacity > 0, "the event store holds at least one event")
        try DurableFile.createDirectory(directory)
        let path = (directory.hasSuffix("/") ? directory : directory + "/") + Self.fileName
        let fd = open(path, O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw DurableFile.failure(path, "cannot open") }
        let loaded: (events: [Event], skipped: [Int])
        do throws(StateError) {
            try DurableFile.syncDirectory(directory)
            loaded = try Self.loadTail(fd, path: path, capacity: capacity)
        } catch {
            close(fd)
            throw error
        }
        self.path = path
        self.capacity = capacity
        self.fd = fd
        skippedLineOffsets = loaded.skipped
        ring = Mutex(EventRing(capacity: capacity, events: loaded.events))
    }

    deinit {
        close(fd)
    }

    /// The id of the newest event; 0 when the log is empty.
    public var latestID: Int {
        ring.withLock { $0.latestID }
    }

    /// Runs whenever something worth auditing happens. Gives the event the next id and the
    /// current time, writes it as one line and fsyncs it (events are rare, so the cost of
    /// durability is small), then makes it visible to `events(since:limit:)`; returns it.
    /// On failure (disk full, I/O error, a NaN in `details`) the file is cut back to where it
    /// was, the id is not used, and the error names the file.
    @discardableResult
    public func append(type: EventType, route: String? = nil, actor: String, reason: String? = nil,
                       details: [String: JSONValue] = [:]) throws(StateError) -> Event {
        try ring.withLock { (ring: inout EventRing) throws(StateError) -> Event in
            let event = Event(id: ring.latestID + 1, timestamp: Timestamp.now(), type: type, route: route,
                              actor: actor, reason: reason, details: details)
            let line: [UInt8]
            do {
                line = try event.json.encoded() + [Self.newline]
            } catch {
                throw StateError(file: path, message: "cannot encode the event: \(error)")
            }
            let size = lseek(fd, 0, SEEK_END)
            guard size >= 0 else { throw DurableFile.failure(path, "cannot find the end") }
            do throws(StateError) {
                try DurableFile.writeAndSync(fd, line, file: path)
            } catch {
                ftruncate(fd, size)
                throw error
            }
            ring.append(event)
            return event
        }
    }

    /// Runs for `GET /events?since=ID` and `sluice ctl events`: the events with an id above
    /// `id`, oldest first, at most `limit`. Serves from memory only; events older than the
    /// newest `capacity` are not returned (the first id is then above `id + 1`).
    public func events(since id: Int, limit: Int) -> [Event] {
        ring.withLock { $0.events(since: id, limit: limit) }
    }

    /// The newest valid events of the file (oldest first, ids strictly increasing) and the
    /// offsets of the lines skipped on the way; then adds the missing final newline, if any.
    private static func loadTail(_ fd: Int32, path: String, capacity: Int) throws(StateError)
        -> (events: [Event], skipped: [Int]) {
        let size = Int(lseek(fd, 0, SEEK_END))
        guard size >= 0 else { throw DurableFile.failure(path, "cannot find the end") }
        var events: [Event] = []  // newest first while reading backwards
        var skipped: [Int] = []
        var position = size  // file offset of `pending`'s first byte
        var pending: [UInt8] = []  // unread-as-lines bytes, from `position` up to a newline or the end
        func take(_ line: ArraySlice<UInt8>, at offset: Int) {
            guard !line.isEmpty else { return }
            if let json = try? JSONValue(parsing: Array(line)), let event = try? Event(json: json), event.id > 0,
               event.id < (events.last?.id ?? Int.max) {
                events.append(event)
            } else {
                skipped.append(offset)
            }
        }
        while events.count < capacity {
            if let newline = pending.lastIndex(of: Self.newline) {
                take(pending[(newline + 1)...], at: position + newline + 1)
                pending.removeSubrange(newline...)
            } else if position == 0 {
                take(pending[...], at: 0)
                break
            } else {
                let count = min(65_536, position)
                position -= count
                pending = try DurableFile.read(fd, at: position, count: count, file: path) + pending
            }
        }
        if size > 0, try DurableFile.read(fd, at: size - 1, count: 1, file: path) != [Self.newline] {
            try DurableFile.writeAndSync(fd, [Self.newline], file: path)
        }
        return (events.reversed(), skipped.reversed())
    }
}
