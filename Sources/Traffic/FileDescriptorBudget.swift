/// How many client connections Sluice takes at once so that it never runs out of file
/// descriptors (docs/proxy.md, "Limits"). Each client connection may hold a backend
/// connection as well (and a backend's idle keep-alive pool holds at most what was busy at
/// once), so it counts for two descriptors; a reserve is kept for everything else: the
/// listeners, each loop's epoll and event descriptors, admin connections, health probes, the
/// state and event files, the webhook sender.
public enum FileDescriptorBudget {
    /// The default cap per worker when descriptors are plentiful.
    public static let defaultPerWorker = 10_000

    /// Descriptors kept out of the client connections' share of `limit` (RLIMIT_NOFILE): an
    /// eighth, at least 256.
    public static func reserved(limit: Int) -> Int {
        max(256, limit / 8)
    }

    /// The client connections one of `workers` workers serves at once by default: its share
    /// of what `limit` leaves after the reserve, two descriptors each, at most
    /// `defaultPerWorker`, at least 1. With `prlimit --nofile=1024` and 2 workers: 192 each.
    public static func clientConnectionsPerWorker(limit: Int, workers: Int) -> Int {
        let share = (limit - reserved(limit: limit)) / 2 / max(1, workers)
        return max(1, min(defaultPerWorker, share))
    }

    /// Whether `perWorker` client connections on each of `workers` workers may exhaust
    /// `limit`: more than the default budget allows.
    public static func exceeds(perWorker: Int, workers: Int, limit: Int) -> Bool {
        perWorker > clientConnectionsPerWorker(limit: limit, workers: workers) && perWorker > 1
    }
}
