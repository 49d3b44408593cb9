import Control
import Glibc
import ProxyIO
import Synchronization

/// The demo's load generator: a few keep-alive connections through the proxy sending
/// `GET /` at a steady total rate until stopped, counting answers and lost requests (a
/// connection error or timeout: what "nothing lost" is about).
final class DemoLoad: Sendable {
    private let stopped = Atomic<Bool>(false)
    private let sent = Atomic<Int>(0)
    private let failed = Atomic<Int>(0)
    private let lost = Atomic<Int>(0)
    private let running = Atomic<Int>(0)

    /// Starts `connections` threads sending `rate` requests a second in all to 127.0.0.1:`port`.
    init(port: UInt16, rate: Int, connections: Int = 8) {
        let interval = Double(connections) / Double(max(rate, 1))
        for index in 0..<connections {
            running.add(1, ordering: .relaxed)
            startDetachedThread { [self] in
                run(port: port, interval: interval, offset: interval * Double(index) / Double(connections))
            }
        }
    }

    /// Requests answered, answered with a 5xx, and lost so far.
    var counts: (sent: Int, failed: Int, lost: Int) {
        (sent.load(ordering: .relaxed), failed.load(ordering: .relaxed), lost.load(ordering: .relaxed))
    }

    /// Stops sending and returns once every connection finished its last request.
    func stop() {
        stopped.store(true, ordering: .relaxed)
        while running.load(ordering: .relaxed) > 0 { usleep(10_000) }
    }

    private func run(port: UInt16, interval: Double, offset: Double) {
        defer { running.subtract(1, ordering: .relaxed) }
        var next = ContinuousClock.now + .seconds(offset)
        var connection: HTTPConnection?
        while !stopped.load(ordering: .relaxed) {
            let wait = next - .now
            if wait > .zero { usleep(UInt32(wait / .microseconds(1))) }
            next = max(next + .seconds(interval), .now - .seconds(1))
            do {
                if connection == nil { connection = try HTTPConnection(host: "127.0.0.1", port: port, timeoutSeconds: 10) }
                let response = try connection!.request("GET", "/")
                sent.add(1, ordering: .relaxed)
                if response.status >= 500 { failed.add(1, ordering: .relaxed) }
            } catch {
                lost.add(1, ordering: .relaxed)
                connection = nil
            }
        }
    }
}
