// The hook's versions of the interposed calls. The extern "C" interposers (interpose.cpp,
// interpose_threads.cpp) forward here; each decides between libc's behaviour and cooperating, so
// the interposers themselves stay one line each.
#pragma once

#include <netdb.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <time.h>

#include <cstdarg>

namespace fern::hook {

// Data transfer (transfer.cpp).
ssize_t hooked_read(int fd, void* buf, size_t n);
ssize_t hooked_readv(int fd, const iovec* iov, int count);
ssize_t hooked_write(int fd, const void* buf, size_t n);
ssize_t hooked_writev(int fd, const iovec* iov, int count);
ssize_t hooked_recv(int fd, void* buf, size_t n, int flags);
ssize_t hooked_recvfrom(int fd, void* buf, size_t n, int flags, sockaddr* from, socklen_t* len);
ssize_t hooked_recvmsg(int fd, msghdr* msg, int flags);
ssize_t hooked_send(int fd, const void* buf, size_t n, int flags);
ssize_t hooked_sendto(int fd, const void* buf, size_t n, int flags, const sockaddr* to, socklen_t len);
ssize_t hooked_sendmsg(int fd, const msghdr* msg, int flags);

// Descriptors: creation, connection, flags, closing (descriptors.cpp).
int hooked_socket(int domain, int type, int protocol);
int hooked_socketpair(int domain, int type, int protocol, int fds[2]);
int hooked_connect(int fd, const sockaddr* addr, socklen_t len);
int hooked_accept4(int fd, sockaddr* addr, socklen_t* len, int flags);
int hooked_close(int fd);
int hooked_dup(int fd);
int hooked_dup3(int fd, int target, int flags, bool is_dup2);
int hooked_fcntl(int fd, int cmd, va_list args, bool large);
int hooked_ioctl(int fd, unsigned long request, va_list args);
int hooked_setsockopt(int fd, int level, int name, const void* value, socklen_t len);

// Waiting on many descriptors, and sleeping (waits.cpp).
int hooked_poll(pollfd* fds, nfds_t n, int timeout_ms);
int hooked_ppoll(pollfd* fds, nfds_t n, const timespec* timeout, const sigset_t* mask);
int hooked_select(int nfds, fd_set* r, fd_set* w, fd_set* e, timeval* timeout);
int hooked_pselect(int nfds, fd_set* r, fd_set* w, fd_set* e, const timespec* timeout, const sigset_t* mask);
int hooked_epoll_wait(int epfd, epoll_event* events, int max, int timeout_ms, const sigset_t* mask,
                      bool pwait);
unsigned hooked_sleep(unsigned seconds);
int hooked_usleep(useconds_t usec);
int hooked_nanosleep(const timespec* req, timespec* rem);
int hooked_clock_nanosleep(clockid_t clock, int flags, const timespec* req, timespec* rem);

// Name resolution on the thread pool (resolve.cpp).
int hooked_getaddrinfo(const char* node, const char* service, const addrinfo* hints, addrinfo** res);
hostent* hooked_gethostbyname(const char* name);
int hooked_gethostbyname_r(const char* name, hostent* ret, char* buf, size_t len, hostent** result, int* err);

// pthreads as greenlets (green_threads.cpp).
int hooked_pthread_create(pthread_t* thread, const pthread_attr_t* attr, void* (*start)(void*), void* arg);
int hooked_pthread_join(pthread_t thread, void** result);
int hooked_pthread_detach(pthread_t thread);

}  // namespace fern::hook
