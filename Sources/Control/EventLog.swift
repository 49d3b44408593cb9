import ProxyIO
import Synchronization

/// Events and errors of the control side as JSON lines on stderr: `timestamp`, `level`,
/// `message`, then the fields, keys sorted. Called from the control and admin threads, never
/// from a loop (it writes to stderr directly, blocking).
public enum EventLog {
    public enum Level: String, Sendable { case info, warning, error }

    private static let silenced = Atomic<Bool>(false)

    /// Stops all further lines (the demo's live view owns the terminal).
    public static func silence() {
        silenced.store(true, ordering: .relaxed)
    }

    /// Writes one line now; a line that cannot be written (a NaN in the fields, a closed
    /// stderr) is dropped.
    public static func write(_ level: Level, _ message: String, _ fields: [String: JSONValue] = [:]) {
        guard !silenced.load(ordering: .relaxed) else { return }
        var object = fields
        object["timestamp"] = .string(Timestamp.now())
        object["level"] = .string(level.rawValue)
        object["message"] = .string(message)
        guard let line = try? JSONValue.object(object).encoded() else { return }
        try? FileSystem.write(2, line + [0x0A])
    }
}
