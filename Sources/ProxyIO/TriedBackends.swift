/// The backends (snapshot indices) a request has tried, so that a retry picks another: a bit
/// each for indices below 64, a list for the rest, so that the common case never allocates.
/// Reset at every request; a request tries at most 11.
struct TriedBackends {
    private var low: UInt64 = 0
    private var high: [Int] = []

    mutating func insert(_ backend: Int) {
        if backend < 64 {
            low |= 1 << UInt64(backend)
        } else {
            high.append(backend)
        }
    }

    func contains(_ backend: Int) -> Bool {
        backend < 64 ? low & 1 << UInt64(backend) != 0 : high.contains(backend)
    }

    mutating func removeAll() {
        low = 0
        high.removeAll(keepingCapacity: true)
    }
}
