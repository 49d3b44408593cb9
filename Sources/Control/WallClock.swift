import ProxyIO

/// The time as Sluice writes it into the state dir and its logs.
public enum WallClock {
    /// Now, as RFC 3339 in UTC with milliseconds: `2025-05-01T10:00:00.123Z`. Sortable as text.
    public static func now() -> String {
        Timestamp.now()
    }
}
