// Linux headers and small helpers that Swift cannot use directly.
// `struct epoll_event` is packed on x86_64, so Swift never touches its fields: these
// helpers read and write them on the C side.
#ifndef CLINUXSHIM_H
#define CLINUXSHIM_H

// No _GNU_SOURCE here: the system headers must be seen exactly as Glibc's module sees
// them, or clang finds two different definitions of types such as fd_set.

#include <errno.h>
#include <malloc.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <sys/uio.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>
#include <pthread.h>

static const uint32_t shim_EPOLLIN = EPOLLIN;
static const uint32_t shim_EPOLLOUT = EPOLLOUT;
static const uint32_t shim_EPOLLERR = EPOLLERR;
static const uint32_t shim_EPOLLHUP = EPOLLHUP;
static const uint32_t shim_EPOLLRDHUP = EPOLLRDHUP;

/// Adds, modifies or removes `fd` in the epoll set, with `data` as the event's user data.
/* Gives the heap's free pages back to the kernel (glibc malloc_trim: the top of each arena
 * and, with MADV_DONTNEED, whole free pages inside it). */
static inline void shim_malloc_trim(void) {
    malloc_trim(0);
}

static inline int shim_epoll_ctl(int epfd, int op, int fd, uint32_t events, uint64_t data) {
    struct epoll_event ev;
    ev.events = events;
    ev.data.u64 = data;
    return epoll_ctl(epfd, op, fd, &ev);
}

/// An opaque array of `count` epoll events, allocated once per loop.
static inline void *shim_epoll_events_alloc(int count) {
    return calloc((size_t)count, sizeof(struct epoll_event));
}

static inline int shim_epoll_wait(int epfd, void *events, int count, int timeout_ms) {
    return epoll_wait(epfd, (struct epoll_event *)events, count, timeout_ms);
}

static inline uint32_t shim_epoll_event_flags(const void *events, int i) {
    return ((const struct epoll_event *)events)[i].events;
}

static inline uint64_t shim_epoll_event_data(const void *events, int i) {
    return ((const struct epoll_event *)events)[i].data.u64;
}

static inline int shim_errno(void) { return errno; }

/// Monotonic time in milliseconds.
static inline int64_t shim_monotonic_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/// Monotonic time in microseconds (request durations).
static inline int64_t shim_monotonic_us(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/// Wall-clock time in microseconds since the epoch.
static inline int64_t shim_realtime_us(void) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/// Blocks SIGINT, SIGTERM, SIGHUP in the calling thread (and the threads it starts later)
/// and ignores SIGPIPE for the process.
static inline void shim_block_signals(void) {
    signal(SIGPIPE, SIG_IGN);
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
}

/// Waits for one of the signals blocked by `shim_block_signals`; returns its number.
static inline int shim_wait_signal(void) {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGHUP);
    int sig = 0;
    while (sigwait(&set, &sig) != 0) {}
    return sig;
}

/// Waits up to `ms` milliseconds for one of the signals blocked by `shim_block_signals`;
/// returns its number, or 0 when none came in time.
static inline int shim_wait_signal_for(int ms) {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGHUP);
    struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };
    int sig = sigtimedwait(&set, NULL, &ts);
    return sig > 0 ? sig : 0;
}

/// accept4 with SOCK_NONBLOCK | SOCK_CLOEXEC (defined in shim.c, which needs _GNU_SOURCE).
int shim_accept(int fd, struct sockaddr_storage *addr, socklen_t *len);

static inline int shim_set_int_option(int fd, int level, int name, int value) {
    return setsockopt(fd, level, name, &value, sizeof(value));
}

static inline int shim_socket_error(int fd) {
    int err = 0;
    socklen_t len = sizeof(err);
    if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0) return errno;
    return err;
}

#endif
