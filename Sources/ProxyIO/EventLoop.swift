import CLinuxShim
#if canImport(Glibc)
import Glibc
#endif

/// One epoll event loop, owned by one worker thread; never touched from another thread.
///
/// Handlers are found by fd in a loop-local table. The epoll user data carries the fd and
/// a generation number, so an event for a socket that was closed (and its fd reused) in
/// the same batch is dropped. Level-triggered.
///
/// Established connections go first: the events of handlers in a TLS handshake are served
/// after all the others of the same wake-up, at most `handshakesPerIteration` of them; the
/// rest stay ready (level-triggered) and come back at the next wake-up. During a reconnect
/// storm the requests of connections already open wait for a few handshakes at most, not
/// for every handshake that arrived with them.
///
/// After the events and ticks of an iteration, the handlers that asked (`flushLater`) write
/// what those events produced, once each.
final class EventLoop {
    private let epfd: Int32
    private var handlers: [EventHandler?] = []
    private var generations: [UInt32] = []
    private let events: UnsafeMutableRawPointer
    private let maxEvents: Int32 = 512
    private var nextTick: Int64 = 0
    /// Monotonic milliseconds, updated once per wake-up.
    private(set) var now: Int64
    private(set) var running = true
    /// Handlers to `flush` at the end of this iteration, in the order they asked.
    private var flushQueue: [EventHandler] = []
    private var flushing: [EventHandler] = []
    /// Work to run at the end of every iteration (log flushing), set by the owner.
    var afterIteration: () -> Void = {}

    static let tickInterval: Int64 = 250
    /// Handshake events served per wake-up, after every other event.
    static let handshakesPerIteration = 4

    init() {
        epfd = epoll_create1(Int32(EPOLL_CLOEXEC))
        precondition(epfd >= 0, "epoll_create1 failed")
        events = shim_epoll_events_alloc(maxEvents)!
        now = shim_monotonic_ms()
    }

    deinit {
        free(events)
        Glibc.close(epfd)
    }

    /// Adds `handler` for `events`; the loop keeps it alive until `deregister`.
    func register(_ handler: EventHandler, events: UInt32) {
        let fd = Int(handler.fd)
        if fd >= handlers.count {
            let newCount = max(fd + 1, handlers.count * 2, 64)
            handlers.append(contentsOf: repeatElement(nil, count: newCount - handlers.count))
            generations.append(contentsOf: repeatElement(0, count: newCount - generations.count))
        }
        generations[fd] &+= 1
        handlers[fd] = handler
        handler.registeredEvents = events
        let data = UInt64(generations[fd]) << 32 | UInt64(UInt32(fd))
        let rc = shim_epoll_ctl(epfd, EPOLL_CTL_ADD, handler.fd, events, data)
        precondition(rc == 0, "epoll_ctl ADD failed: \(shim_errno())")
    }

    /// Changes the events `handler` waits for; a no-op when they are unchanged.
    @inline(__always)
    func setEvents(_ handler: EventHandler, _ events: UInt32) {
        guard handler.registeredEvents != events else { return }
        handler.registeredEvents = events
        let fd = Int(handler.fd)
        let data = UInt64(generations[fd]) << 32 | UInt64(UInt32(fd))
        _ = shim_epoll_ctl(epfd, EPOLL_CTL_MOD, handler.fd, events, data)
    }

    /// Puts `new` in the place of `old` for the same fd: same epoll registration and events,
    /// and `old` is no longer called.
    func replace(_ old: EventHandler, with new: EventHandler) {
        precondition(old.fd == new.fd && handlers[Int(old.fd)] === old, "replace: not the registered handler of this fd")
        new.registeredEvents = old.registeredEvents
        handlers[Int(old.fd)] = new
    }

    /// Has `handler.flush()` called once at the end of this iteration, after every event and
    /// tick (and before `afterIteration`): output that many events add to goes out in one write.
    @inline(__always)
    func flushLater(_ handler: EventHandler) {
        guard !handler.flushQueued else { return }
        handler.flushQueued = true
        flushQueue.append(handler)
    }

    /// Flushes every queued handler, including ones queued by another's flush.
    private func flushQueued() {
        while !flushQueue.isEmpty {
            swap(&flushQueue, &flushing)
            for handler in flushing {
                handler.flushQueued = false
                handler.flush()
            }
            flushing.removeAll(keepingCapacity: true)
        }
    }

    /// Removes `handler` and closes its fd.
    func close(_ handler: EventHandler) {
        let fd = Int(handler.fd)
        _ = shim_epoll_ctl(epfd, EPOLL_CTL_DEL, handler.fd, 0, 0)
        if fd < handlers.count, handlers[fd] === handler {
            handlers[fd] = nil
            generations[fd] &+= 1
        }
        Syscall.close(handler.fd)
    }

    /// Runs until `stop()`: waits for events, dispatches them, ticks deadlines.
    func run() {
        nextTick = now + Self.tickInterval
        while running {
            let timeout = Int32(max(0, min(Self.tickInterval, nextTick - now)))
            let n = shim_epoll_wait(epfd, events, maxEvents, timeout)
            now = shim_monotonic_ms()
            var handshakes = 0
            for i in 0..<Int(max(n, 0)) {
                guard let handler = handler(ofEvent: i) else { continue }
                if handler.handshaking {
                    handshakes += 1
                } else {
                    handler.handleEvent(shim_epoll_event_flags(events, Int32(i)))
                }
            }
            if handshakes > 0 {
                var budget = Self.handshakesPerIteration
                for i in 0..<Int(n) where budget > 0 {
                    guard let handler = handler(ofEvent: i), handler.handshaking else { continue }
                    budget -= 1
                    handler.handleEvent(shim_epoll_event_flags(events, Int32(i)))
                }
            }
            if now >= nextTick {
                nextTick = now + Self.tickInterval
                for handler in handlers { handler?.tick(now: now) }
            }
            if !flushQueue.isEmpty { flushQueued() }
            afterIteration()
        }
    }

    /// The handler event `i` of the last wait is for; nil when its socket was closed since
    /// (and its fd perhaps reused: the generation differs).
    @inline(__always)
    private func handler(ofEvent i: Int) -> EventHandler? {
        let data = shim_epoll_event_data(events, Int32(i))
        let fd = Int(UInt32(truncatingIfNeeded: data))
        guard fd < handlers.count, generations[fd] == UInt32(truncatingIfNeeded: data >> 32) else { return nil }
        return handlers[fd]
    }

    func stop() { running = false }

    /// Every registered handler (for shutdown).
    var allHandlers: [EventHandler] { handlers.compactMap { $0 } }
}
