// Heap allocation counter for the bench's cost mode (run.py builds it; see bench/README.md).
//
//   cc -shared -fPIC -O2 -pthread -o mallocount.so mallocount.c
//   LD_PRELOAD=./mallocount.so MALLOCOUNT_DIR=/some/dir  nginx ...
//
// Counts calls to malloc, calloc, realloc, aligned_alloc, posix_memalign and memalign made
// through the dynamic symbols (the program's and its libraries' calls; glibc's own internal
// allocations are not seen) and forwards them to glibc's allocator. A background thread
// writes the running total, in decimal, to MALLOCOUNT_DIR/<pid> every 100 ms (written to a
// temporary file and renamed, so a reader never sees half a number); a forked child (NGINX's
// workers) starts its own thread and file. The harness reads the files of the proxy's
// processes before and after the measured window. Without MALLOCOUNT_DIR it only counts.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void *__libc_memalign(size_t, size_t);

static unsigned long long count;  // allocation calls in this process
static char dir[4096];            // MALLOCOUNT_DIR, copied at load (NGINX's workers clear the environment)

#define COUNT() __atomic_fetch_add(&count, 1, __ATOMIC_RELAXED)

void *malloc(size_t n) { COUNT(); return __libc_malloc(n); }
void *calloc(size_t k, size_t n) { COUNT(); return __libc_calloc(k, n); }
void *realloc(void *p, size_t n) { COUNT(); return __libc_realloc(p, n); }
void *memalign(size_t a, size_t n) { COUNT(); return __libc_memalign(a, n); }
void *aligned_alloc(size_t a, size_t n) { COUNT(); return __libc_memalign(a, n); }

int posix_memalign(void **out, size_t a, size_t n) {
    COUNT();
    if (a < sizeof(void *) || (a & (a - 1)) != 0) return EINVAL;
    void *p = __libc_memalign(a, n);
    if (p == NULL) return ENOMEM;
    *out = p;
    return 0;
}

// Writes the count to dir/<pid> every 100 ms. No malloc and no stdio here: only a stack
// buffer and system calls, so a fork while this thread runs cannot inherit a held lock.
static void *writer(void *unused) {
    (void)unused;
    char path[4200], tmp[4210], num[32];
    snprintf(path, sizeof path, "%s/%d", dir, (int)getpid());
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    for (;;) {
        unsigned long long v = __atomic_load_n(&count, __ATOMIC_RELAXED);
        int i = sizeof num;
        num[--i] = '\n';
        do { num[--i] = (char)('0' + v % 10); v /= 10; } while (v);
        int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (fd >= 0) {
            ssize_t w = write(fd, num + i, sizeof num - i);
            close(fd);
            if (w == (ssize_t)(sizeof num - i)) rename(tmp, path);
        }
        usleep(100 * 1000);
    }
    return NULL;
}

static void start_writer(void) {
    pthread_t t;
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    pthread_create(&t, &attr, writer, NULL);
    pthread_attr_destroy(&attr);
}

__attribute__((constructor)) static void init(void) {
    const char *d = getenv("MALLOCOUNT_DIR");
    if (d == NULL || *d == '\0' || strlen(d) >= sizeof dir) return;
    strcpy(dir, d);
    pthread_atfork(NULL, NULL, start_writer);  // threads do not survive fork
    start_writer();
}
