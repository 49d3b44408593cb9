import CLinuxShim
import Traffic

/// Active health checks for every backend of the current snapshot, on a loop of its own
/// (never on a worker's). Each backend is probed every `health.interval`; when a
/// backend's `HealthTracker` flips, every worker gets the new health of all backends
/// through its mailbox, and the flip is logged.
final class HealthChecker {
    let loop = EventLoop()
    private var snapshot: RoutingSnapshot
    private var trackers: [HealthTracker]
    private var nextProbe: [Int64]
    private var probing: [Bool]
    private var requests: [[UInt8]]
    private let workers: [Mailbox<LoopMessage>]
    private var nextBroadcast: Int64 = 0
    /// TLS for probes of `https://` backends.
    let backendTLS: TLSClientContext?

    private let onChange: @Sendable (String, Bool) -> Void

    init(snapshot: RoutingSnapshot, mailbox: Mailbox<LoopMessage>, workers: [Mailbox<LoopMessage>],
         backendTLS: TLSClientContext?, onChange: @escaping @Sendable (String, Bool) -> Void) {
        self.workers = workers
        self.backendTLS = backendTLS
        self.onChange = onChange
        self.snapshot = snapshot
        trackers = []
        nextProbe = []
        probing = []
        requests = []
        reset(to: snapshot)
        loop.register(MailboxHandler(mailbox: mailbox) { [unowned self] in self.receive($0) }, events: shim_EPOLLIN)
        loop.afterIteration = { [unowned self] in self.startDueProbes() }
    }

    func run() { loop.run() }

    private func receive(_ message: LoopMessage) {
        switch message {
        case .install(let snapshot, _):
            reset(to: snapshot)
        case .health, .certificates, .reloaded:
            break
        case .shutdown:
            loop.stop()
        }
    }

    /// A new snapshot: backends it shares with the old one (by address) keep their health,
    /// new ones start healthy; all are probed at once. Probes still in flight for the old
    /// snapshot are ignored when they report.
    private func reset(to snapshot: RoutingSnapshot) {
        var previous: [[UInt8]: HealthTracker] = [:]
        for (i, label) in self.snapshot.backendLabels.enumerated() where i < trackers.count { previous[label] = trackers[i] }
        self.snapshot = snapshot
        let n = snapshot.backends.count
        trackers = snapshot.backendLabels.map { previous[$0] ?? HealthTracker() }
        nextProbe = Array(repeating: 0, count: n)
        probing = Array(repeating: false, count: n)
        requests = (0..<n).map { b in
            Array("GET \(snapshot.backendHealth[b].path) HTTP/1.1\r\nHost: \(String(decoding: snapshot.backendLabels[b], as: UTF8.self))\r\nUser-Agent: sluice-health\r\nConnection: close\r\n\r\n".utf8)
        }
    }

    /// Runs after every loop iteration (at least every 250 ms). Besides starting probes, it
    /// repeats the whole health view to the workers every 2 s, so a worker that missed a
    /// flip while switching snapshots catches up.
    private func startDueProbes() {
        let now = loop.now
        if now >= nextBroadcast {
            nextBroadcast = now + 2_000
            broadcast()
        }
        for b in 0..<nextProbe.count where !probing[b] && now >= nextProbe[b] {
            probing[b] = true
            nextProbe[b] = now + Int64(snapshot.backendHealth[b].intervalMs)
            HealthProbe.start(backend: b, generation: snapshot.generation, address: snapshot.backends[b],
                              tlsHost: snapshot.backendTLSHosts[b], request: requests[b],
                              timeoutMs: Int64(snapshot.backendHealth[b].timeoutMs), checker: self)
        }
    }

    /// Called by a probe when it ends; a probe of an older snapshot is ignored. `success`
    /// nil: no verdict (Sluice could not open a socket), the tracker is left as it is and
    /// the backend probed again in a second. `failure` says why a TLS probe failed (logged
    /// when the backend turns unhealthy).
    func report(backend b: Int, generation: Int, success: Bool?, failure: String? = nil) {
        guard generation == snapshot.generation else { return }
        probing[b] = false
        guard let success else {
            nextProbe[b] = min(nextProbe[b], loop.now + 1_000)
            return
        }
        let config = snapshot.backendHealth[b]
        guard trackers[b].observe(success: success, unhealthyAfter: config.unhealthyAfter, healthyAfter: config.healthyAfter) else { return }
        broadcast()
        let label = String(decoding: snapshot.backendLabels[b], as: UTF8.self)
        var fields = [("backend", label), ("check", config.path)]
        if let failure, !trackers[b].healthy { fields.append(("tls_error", failure)) }
        let line = EventLine.make(level: "warning", message: trackers[b].healthy ? "backend healthy" : "backend unhealthy",
                                  fields: fields)
        line.withUnsafeBytes { LogSink.stderr.write($0) }
        onChange(label, trackers[b].healthy)
    }

    /// Sends the health of every backend to every worker.
    private func broadcast() {
        let healthy = trackers.map(\.healthy)
        for m in workers { m.send(.health(generation: snapshot.generation, healthy: healthy)) }
    }
}
