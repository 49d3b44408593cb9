import Foundation
import Synchronization

/// Events and errors of the control side as JSON lines on stderr: `timestamp`, `level`,
/// `message`, then the fields. Called from the main (control) thread, never from a loop.
public enum EventLog {
    public enum Level: String, Sendable { case info, warning, error }

    private static let silenced = Atomic<Bool>(false)

    /// Stops all further lines (the demo's live view owns the terminal).
    public static func silence() {
        silenced.store(true, ordering: .relaxed)
    }

    public static func write(_ level: Level, _ message: String, _ fields: [String: any Sendable] = [:]) {
        guard !silenced.load(ordering: .relaxed) else { return }
        var object: [String: Any] = fields
        object["timestamp"] = timestamp()
        object["level"] = level.rawValue
        object["message"] = message
        guard let data = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes]),
              var line = String(data: data, encoding: .utf8) else { return }
        line += "\n"
        FileHandle.standardError.write(Data(line.utf8))
    }

    private static func timestamp() -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.string(from: Date())
    }
}
