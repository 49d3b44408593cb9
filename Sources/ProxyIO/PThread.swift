#if canImport(Glibc)
import Glibc
#endif

/// Starts `body` on a new detached-or-joinable POSIX thread (event loops, the log writer).
/// Returns the thread handle for `pthread_join`.
@discardableResult
func startThread(_ body: @escaping @Sendable () -> Void) -> pthread_t {
    final class Box: @unchecked Sendable { // only handed to the new thread once
        let body: @Sendable () -> Void
        init(_ body: @escaping @Sendable () -> Void) { self.body = body }
    }
    let box = Unmanaged.passRetained(Box(body)).toOpaque()
    var thread = pthread_t()
    let rc = pthread_create(&thread, nil, { arg in
        let box = Unmanaged<Box>.fromOpaque(arg!).takeRetainedValue()
        box.body()
        return nil
    }, box)
    precondition(rc == 0, "pthread_create failed: \(rc)")
    return thread
}

/// Starts `body` on a new POSIX thread that nobody joins (it is detached, so it frees its
/// resources when it ends): the demo's backends and load generator.
public func startDetachedThread(_ body: @escaping @Sendable () -> Void) {
    pthread_detach(startThread(body))
}
