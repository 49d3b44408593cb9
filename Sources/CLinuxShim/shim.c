// The one shim function that needs _GNU_SOURCE (accept4); everything else is inline in
// the header.
#define _GNU_SOURCE
#include <sys/socket.h>
#include "CLinuxShim.h"

int shim_accept(int fd, struct sockaddr_storage *addr, socklen_t *len) {
    return accept4(fd, (struct sockaddr *)addr, len, SOCK_NONBLOCK | SOCK_CLOEXEC);
}
