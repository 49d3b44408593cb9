// store-bench: the store client's round trips to a real etcd and how long a change takes to
// reach a watcher (the floor under SPEC section 8's "every instance applies it within 1 s").
// Usage: swift run -c release store-bench --port PORT [--count N]   (bench/store/run.sh starts etcd)
#if canImport(Glibc)
import Glibc
#endif
import Control
import ProxyIO
import Synchronization

/// The value after `flag` on the command line, or `fallback`.
func option(_ flag: String, _ fallback: Int) -> Int {
    let arguments = CommandLine.arguments
    guard let index = arguments.firstIndex(of: flag) else { return fallback }
    guard index + 1 < arguments.count, let value = Int(arguments[index + 1]), value > 0 else {
        print("usage: store-bench --port PORT [--count N]")
        exit(2)
    }
    return value
}

/// A semaphore the store's thread signals and the main thread waits on.
final class Signal: @unchecked Sendable { // sem_t is thread-safe; the pointer never changes
    private let semaphore = UnsafeMutablePointer<sem_t>.allocate(capacity: 1)
    init() { sem_init(semaphore, 0, 0) }
    func signal() { sem_post(semaphore) }
    func wait() { while sem_wait(semaphore) != 0 {} }
}

/// The measurement, off the main actor: the store's callbacks run on its own thread.
enum StoreBench {
    static func run(port: Int, count: Int) {
        let address = SocketAddress(ip: .v4(0x7F00_0001), port: UInt16(port))
        let client = StoreClient(endpoints: [address])
        let watcher = StoreClient(endpoints: [address])
        let clock = ContinuousClock()

        @Sendable func micros(_ d: Duration) -> Double { Double(d.components.seconds) * 1e6 + Double(d.components.attoseconds) / 1e12 }

        /// p50 and p99 of `samples` in milliseconds, as a table row.
        func row(_ name: String, _ samples: [Double]) -> String {
            let sorted = samples.sorted()
            func q(_ p: Double) -> Double { sorted[min(sorted.count - 1, Int(p * Double(sorted.count)))] / 1_000 }
            let p50 = q(0.5), p99 = q(0.99)
            return "| \(name) | \(sorted.count) | \((p50 * 1000).rounded() / 1000) | \((p99 * 1000).rounded() / 1000) |"
        }

        /// Sends `request` and waits for its answer; the round trip in microseconds.
        func roundTrip(_ request: EtcdRequest) -> Double {
            let done = Signal()
            let started = clock.now
            client.request(request.path, body: request.bodyBytes) { result in
                if case .failure(let error) = result { print("failed: \(error)"); exit(1) }
                done.signal()
            }
            done.wait()
            return micros(clock.now - started)
        }

        let key = Array("/bench/weights/api".utf8)
        _ = roundTrip(.put(key, Array("0".utf8)))
        let puts = (1...count).map { roundTrip(.put(key, Array(String($0).utf8))) }
        let ranges = (1...count).map { _ in roundTrip(.range(key)) }

        // A watcher on its own connection; each put's value is its sequence number.
        let sentAt = Mutex<[Int: ContinuousClock.Instant]>([:])
        let delays = Mutex<[Double]>([])
        let arrived = Signal()
        let parser = Mutex(WatchStreamParser())
        let created = Signal()
        let watch = EtcdRequest.watch(Array("/bench/".utf8), end: EtcdRequest.prefixEnd(Array("/bench/".utf8)))
        let watchID = watcher.watch(watch.path, body: watch.bodyBytes, onHead: { _ in }, onData: { data in
            let now = clock.now
            let messages = parser.withLock { (try? $0.feed(data)) ?? [] }
            for message in messages {
                guard let answer = try? EtcdWatchAnswer(json: message) else { continue }
                if answer.created { created.signal() }
                for event in answer.events {
                    guard let n = Int(String(decoding: event.kv.value, as: UTF8.self)), let sent = sentAt.withLock({ $0[n] }) else { continue }
                    delays.withLock { $0.append(micros(now - sent)) }
                    arrived.signal()
                }
            }
        }, onEnd: { error in print("watch ended: \(String(describing: error))"); exit(1) })
        created.wait()
        for n in 1...count {
            sentAt.withLock { $0[n] = clock.now }
            let request = EtcdRequest.put(key, Array(String(n).utf8))
            client.request(request.path, body: request.bodyBytes) { _ in }
            arrived.wait()
        }
        print("store-bench: \(count) sequential operations each, one etcd member on loopback")
        print("| operation | n | p50 ms | p99 ms |")
        print("|---|---|---|---|")
        print(row("put (round trip)", puts))
        print(row("range (round trip)", ranges))
        print(row("put sent -> watch event received", delays.withLock { $0 }))
        watcher.cancel(watch: watchID)
        client.shutdown()
        watcher.shutdown()
    }
}

let port = option("--port", 0)
let count = option("--count", 1_000)
guard port > 0, port < 65_536 else {
    print("usage: store-bench --port PORT [--count N]")
    exit(2)
}
StoreBench.run(port: port, count: count)
