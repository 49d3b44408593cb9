import Foundation

/// The time as Sluice writes it into the state dir and its logs.
public enum WallClock {
    /// Now, as ISO 8601 in UTC with milliseconds: `2025-05-01T10:00:00.123Z`. Sortable as text.
    public static func now() -> String {
        Date.ISO8601FormatStyle(includingFractionalSeconds: true).format(Date())
    }
}
