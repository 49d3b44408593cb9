import CLinuxShim
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// The store client's loop side, on its own thread: a queue of requests sent one at a time
/// over one keep-alive connection, and one connection per watch.
///
/// Failover: the loop talks to one member (`current`) until it fails. A request or watch
/// that cannot be connected (refused, unreachable, connect timeout) is tried on the next
/// member, each member once, then fails as `unreachable`; one sent on a kept-alive
/// connection that closes before any answer byte is sent again once on a fresh connection
/// (the member closed it while idle). Any other failure after sending (a timeout, a reset,
/// a broken answer) fails the request without repeating it — it may have taken effect —
/// and moves to the next member; so does a watch whose answer's head does not come.
final class StoreLoop {
    let eventLoop = EventLoop()
    private let endpoints: [SocketAddress]
    private let names: [String]
    private let timeoutMs: Int64
    /// The member used now.
    private var current = 0

    /// The request under way, with the failures of its attempts so far.
    private struct InFlight {
        var call: StoreCall
        var connectFailures: [String] = []
        var resentOnFreshConnection = false
        var body: [UInt8] = []
    }

    private var queue: [StoreCall] = []
    private var inFlight: InFlight?
    private var connection: StoreConnection?

    /// A watch under way.
    private struct Watch {
        let stream: StoreStream
        var connection: StoreConnection
        var connectFailures: [String] = []
        var headDelivered = false
    }

    private var watches: [Int: Watch] = [:]
    private var watchOfConnection: [ObjectIdentifier: Int] = [:]

    private let failovers: FailoverCount

    init(endpoints: [SocketAddress], timeoutMs: Int64, mailbox: Mailbox<StoreMessage>, failovers: FailoverCount) {
        self.endpoints = endpoints
        self.failovers = failovers
        names = endpoints.map { address in
            if case .v6 = address.ip { "[\(address.ip)]:\(address.port)" } else { "\(address.ip):\(address.port)" }
        }
        self.timeoutMs = timeoutMs
        eventLoop.register(MailboxHandler(mailbox: mailbox) { [unowned self] in self.receive($0) }, events: shim_EPOLLIN)
        // The next request starts after the event that finished the last one, not inside it.
        eventLoop.afterIteration = { [unowned self] in self.startNext() }
    }

    func run() { eventLoop.run() }

    private func receive(_ message: StoreMessage) {
        switch message {
        case .request(let call):
            queue.append(call)
        case .watch(let id, let stream):
            startWatch(id, stream, failures: [])
        case .cancel(let id):
            guard let watch = watches.removeValue(forKey: id) else { return }
            forget(watch.connection)
        case .shutdown:
            shutDown()
        }
    }

    // MARK: requests

    /// Sends the next queued request if none is under way.
    private func startNext() {
        guard inFlight == nil, !queue.isEmpty else { return }
        inFlight = InFlight(call: queue.removeFirst())
        send()
    }

    /// Sends the request under way on the kept-alive connection, or on a new one to the
    /// current member.
    private func send() {
        guard let call = inFlight?.call else { return }
        if connection == nil {
            let (opened, reason) = StoreConnection.connect(to: endpoints[current], endpoint: current, loop: self)
            guard let opened else { return connectFailed(current, reason) }
            connection = opened
        }
        connection?.send(requestBytes(call.path, call.body, endpoint: current), deadline: eventLoop.now + timeoutMs)
    }

    /// Member `endpoint` could not be connected to: the next one is tried, unless every
    /// member has been.
    private func connectFailed(_ endpoint: Int, _ reason: String) {
        guard var flight = inFlight else { return }
        flight.connectFailures.append("\(names[endpoint]): \(reason)")
        leave(endpoint)
        if flight.connectFailures.count < endpoints.count {
            inFlight = flight
            return send()
        }
        finish(.failure(.unreachable(flight.connectFailures)))
    }

    private func finish(_ result: Result<StoreAnswer, StoreError>) {
        let call = inFlight?.call
        inFlight = nil
        call?.completion(result)
    }

    /// Member `endpoint` failed: unless the loop already left it, the next one is used now.
    private func leave(_ endpoint: Int) {
        guard endpoint == current else { return }
        current = (current + 1) % endpoints.count
        failovers.count.add(1, ordering: .relaxed)
    }

    // MARK: watches

    private func startWatch(_ id: Int, _ stream: StoreStream, failures: [String]) {
        var failures = failures
        while failures.count < endpoints.count {
            let (opened, reason) = StoreConnection.connect(to: endpoints[current], endpoint: current, loop: self)
            if let opened {
                watches[id] = Watch(stream: stream, connection: opened, connectFailures: failures)
                watchOfConnection[ObjectIdentifier(opened)] = id
                opened.send(requestBytes(stream.path, stream.body, endpoint: current), deadline: eventLoop.now + timeoutMs)
                return
            }
            failures.append("\(names[current]): \(reason)")
            leave(current)
        }
        stream.onEnd(.unreachable(failures))
    }

    // MARK: connection events

    /// Answer bytes from `connection`: the head's status (0 before it is in), body data,
    /// whether the answer is complete, and if so whether the connection can carry another.
    func received(_ connection: StoreConnection, status: Int, data: [UInt8], complete: Bool, reusable: Bool) {
        if let id = watchOfConnection[ObjectIdentifier(connection)], var watch = watches[id] {
            guard status != 0 else { return }
            if !watch.headDelivered {
                watch.headDelivered = true
                watches[id] = watch
                connection.deadline = .max // a watch may stay silent for as long as nothing changes
                watch.stream.onHead(status)
            }
            if !data.isEmpty, watches[id] != nil { watch.stream.onData(data) }
            if complete, watches.removeValue(forKey: id) != nil {
                forget(connection)
                watch.stream.onEnd(nil)
            }
            return
        }
        guard connection === self.connection, var flight = inFlight else { return }
        flight.body += data
        inFlight = flight
        guard complete else { return }
        if !reusable { forget(connection) }
        finish(.success(StoreAnswer(status: status, body: flight.body)))
    }

    /// `connection` failed for `reason` (it is closed here).
    func failed(_ connection: StoreConnection, _ reason: String) {
        let neverConnected = connection.phase == .connecting
        let silentReuse = connection.reused && connection.answerBytes == 0
        let endpoint = connection.endpoint
        let watchID = watchOfConnection[ObjectIdentifier(connection)]
        let carriedRequests = connection === self.connection
        forget(connection)
        if let watchID {
            guard let watch = watches.removeValue(forKey: watchID) else { return }
            if neverConnected {
                leave(endpoint)
                return startWatch(watchID, watch.stream, failures: watch.connectFailures + ["\(names[endpoint]): \(reason)"])
            }
            // A member that took the watch but never answered its head is left like one
            // that could not be connected to: the next watch (or request) goes elsewhere.
            if !watch.headDelivered { leave(endpoint) }
            return watch.stream.onEnd(.failed(endpoint: names[endpoint], reason: reason))
        }
        guard carriedRequests, var flight = inFlight else { return }
        if neverConnected { return connectFailed(endpoint, reason) }
        if silentReuse && !flight.resentOnFreshConnection {
            flight.resentOnFreshConnection = true
            flight.body = []
            inFlight = flight
            return send()
        }
        leave(endpoint)
        finish(.failure(.failed(endpoint: names[endpoint], reason: reason)))
    }

    /// Closes `connection` and drops it from the tables.
    private func forget(_ connection: StoreConnection) {
        watchOfConnection[ObjectIdentifier(connection)] = nil
        if connection === self.connection { self.connection = nil }
        connection.close()
    }

    private func shutDown() {
        if let connection { forget(connection) }
        let pending = (inFlight.map { [$0.call] } ?? []) + queue
        inFlight = nil
        queue = []
        for call in pending { call.completion(.failure(.shutDown)) }
        let open = watches
        watches = [:]
        for (_, watch) in open {
            forget(watch.connection)
            watch.stream.onEnd(.shutDown)
        }
        eventLoop.stop()
    }

    private func requestBytes(_ path: String, _ body: [UInt8], endpoint: Int) -> [UInt8] {
        Array("POST \(path) HTTP/1.1\r\nHost: \(names[endpoint])\r\nContent-Type: application/json\r\nContent-Length: \(body.count)\r\n\r\n".utf8) + body
    }
}
