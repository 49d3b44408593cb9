/// Something registered with an `EventLoop` under one file descriptor.
///
/// Subclasses override `handleEvent`, called on the loop's thread when epoll reports
/// readiness, and `tick`, called about every 250 ms so that deadlines can be enforced.
class EventHandler {
    let fd: Int32
    /// The events currently registered with epoll (kept to skip redundant epoll_ctl calls).
    var registeredEvents: UInt32 = 0
    /// A TLS handshake is under way: an event costs a handshake's CPU, so the loop serves it
    /// after every other ready event of its iteration, and only a few per iteration.
    var handshaking = false
    /// In the loop's flush queue (`EventLoop.flushLater`) for the end of this iteration.
    var flushQueued = false

    init(fd: Int32) { self.fd = fd }

    func handleEvent(_ events: UInt32) {}

    func tick(now: Int64) {}

    /// Called at the end of a loop iteration in which `EventLoop.flushLater(self)` was called
    /// (once, however many times it was): writes what the iteration's events produced.
    func flush() {}

    /// Called once when the worker starts shutting down: finish what is under way, then close.
    func drain() {}

    /// Called after a reload (SIGHUP, `POST /reload`), once the new routes are installed.
    func reloaded() {}
}
