import Traffic

/// A keep-alive client connection that has been idle for a second, parked: it holds only
/// what the connection must keep between requests (socket, TLS session, peer, idle
/// deadline) in one small object, no other allocation: the `ClientConnection` is freed with
/// all its buffers (and the peer's address text, made again on waking).
///
/// Made by `ClientConnection.park()`, which hands it the socket in the loop's table. The
/// next event on the socket, or a shutdown, makes a new `ClientConnection` for it and hands
/// the event on; the idle deadline closes it. The worker's client count is unchanged by
/// parking and waking; it drops when the parked connection closes.
final class ParkedClient: EventHandler {
    unowned(unsafe) let worker: Worker
    let tls: TLSStream?
    let peer: IPAddress
    /// When the connection is closed unless a request starts (monotonic ms).
    let deadline: Int64

    init(fd: Int32, worker: Worker, tls: TLSStream?, peer: IPAddress, deadline: Int64) {
        self.worker = worker
        self.tls = tls
        self.peer = peer
        self.deadline = deadline
        super.init(fd: fd)
    }

    override func handleEvent(_ events: UInt32) {
        wake().handleEvent(events)
    }

    override func tick(now: Int64) {
        if now >= deadline { close() }
    }

    /// Shutdown: woken to read what may have arrived, like any idle connection.
    override func drain() {
        wake().drain()
    }

    /// A `ClientConnection` for the socket, in this handler's place.
    private func wake() -> ClientConnection {
        let connection = ClientConnection(waking: self)
        worker.loop.replace(self, with: connection)
        return connection
    }

    private func close() {
        worker.loop.close(self)
        worker.clientClosed()
    }
}
