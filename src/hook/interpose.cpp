// The interposers: libc's names, defined here so the dynamic linker binds the program's calls (and
// those of every shared library it loads) to them. Each forwards to the hook's version of the call.
// This file is the whole of libfern_monkey.a (the static form) and the entry of libfern_hook.so;
// patch_all() lives here so that calling it is what links the interposers into a program.
#undef _FORTIFY_SOURCE

#include <fcntl.h>
#include <sys/ioctl.h>

#include <cstdarg>
#include <cstdlib>
#include <cstring>

#include <fern/hook/monkey.hpp>

#include "cooperation.hpp"
#include "hooked_calls.hpp"
#include "real_calls.hpp"

namespace hook = fern::hook;

namespace fern::monkey {

void patch_all(PatchOptions options) {
  hook::real();  // resolve libc's functions before anything depends on them
  if (options.threads) hook::g_green_threads.store(true, std::memory_order_relaxed);
  hook::g_patched.store(true, std::memory_order_release);
}

}  // namespace fern::monkey

namespace {

bool env_is_one(const char* name) {
  const char* value = std::getenv(name);
  return value && std::strcmp(value, "1") == 0;
}

// FERN_PATCH=1: patched from the start, for programs that never call patch_all() (LD_PRELOAD).
[[gnu::constructor]] void patch_from_environment() {
  if (env_is_one("FERN_PATCH")) fern::monkey::patch_all({.threads = env_is_one("FERN_GREEN_THREADS")});
}

}  // namespace

extern "C" {

// _FORTIFY_SOURCE builds call these checked forms instead of the plain names.
[[noreturn]] void __chk_fail(void);

int socket(int domain, int type, int protocol) noexcept {
  return hook::hooked_socket(domain, type, protocol);
}
int socketpair(int domain, int type, int protocol, int fds[2]) noexcept {
  return hook::hooked_socketpair(domain, type, protocol, fds);
}
int connect(int fd, const sockaddr* addr, socklen_t len) { return hook::hooked_connect(fd, addr, len); }
int accept(int fd, sockaddr* addr, socklen_t* len) { return hook::hooked_accept4(fd, addr, len, 0); }
int accept4(int fd, sockaddr* addr, socklen_t* len, int flags) {
  return hook::hooked_accept4(fd, addr, len, flags);
}

ssize_t read(int fd, void* buf, size_t n) { return hook::hooked_read(fd, buf, n); }
ssize_t __read_chk(int fd, void* buf, size_t n, size_t buflen) {
  if (n > buflen) __chk_fail();
  return hook::hooked_read(fd, buf, n);
}
ssize_t readv(int fd, const iovec* iov, int count) { return hook::hooked_readv(fd, iov, count); }
ssize_t write(int fd, const void* buf, size_t n) { return hook::hooked_write(fd, buf, n); }
ssize_t writev(int fd, const iovec* iov, int count) { return hook::hooked_writev(fd, iov, count); }

ssize_t recv(int fd, void* buf, size_t n, int flags) { return hook::hooked_recv(fd, buf, n, flags); }
ssize_t __recv_chk(int fd, void* buf, size_t n, size_t buflen, int flags) {
  if (n > buflen) __chk_fail();
  return hook::hooked_recv(fd, buf, n, flags);
}
ssize_t recvfrom(int fd, void* buf, size_t n, int flags, sockaddr* from, socklen_t* len) {
  return hook::hooked_recvfrom(fd, buf, n, flags, from, len);
}
ssize_t __recvfrom_chk(int fd, void* buf, size_t n, size_t buflen, int flags, sockaddr* from,
                       socklen_t* len) {
  if (n > buflen) __chk_fail();
  return hook::hooked_recvfrom(fd, buf, n, flags, from, len);
}
ssize_t recvmsg(int fd, msghdr* msg, int flags) { return hook::hooked_recvmsg(fd, msg, flags); }
ssize_t send(int fd, const void* buf, size_t n, int flags) { return hook::hooked_send(fd, buf, n, flags); }
ssize_t sendto(int fd, const void* buf, size_t n, int flags, const sockaddr* to, socklen_t len) {
  return hook::hooked_sendto(fd, buf, n, flags, to, len);
}
ssize_t sendmsg(int fd, const msghdr* msg, int flags) { return hook::hooked_sendmsg(fd, msg, flags); }

int poll(pollfd* fds, nfds_t n, int timeout) { return hook::hooked_poll(fds, n, timeout); }
int __poll_chk(pollfd* fds, nfds_t n, int timeout, size_t fdslen) {
  if (fdslen / sizeof(pollfd) < n) __chk_fail();
  return hook::hooked_poll(fds, n, timeout);
}
int ppoll(pollfd* fds, nfds_t n, const timespec* timeout, const sigset_t* mask) {
  return hook::hooked_ppoll(fds, n, timeout, mask);
}
int __ppoll_chk(pollfd* fds, nfds_t n, const timespec* timeout, const sigset_t* mask, size_t fdslen) {
  if (fdslen / sizeof(pollfd) < n) __chk_fail();
  return hook::hooked_ppoll(fds, n, timeout, mask);
}
int select(int nfds, fd_set* r, fd_set* w, fd_set* e, timeval* timeout) {
  return hook::hooked_select(nfds, r, w, e, timeout);
}
int pselect(int nfds, fd_set* r, fd_set* w, fd_set* e, const timespec* timeout, const sigset_t* mask) {
  return hook::hooked_pselect(nfds, r, w, e, timeout, mask);
}
int epoll_wait(int epfd, epoll_event* events, int max, int timeout) {
  return hook::hooked_epoll_wait(epfd, events, max, timeout, nullptr, false);
}
int epoll_pwait(int epfd, epoll_event* events, int max, int timeout, const sigset_t* mask) {
  return hook::hooked_epoll_wait(epfd, events, max, timeout, mask, true);
}

unsigned sleep(unsigned seconds) { return hook::hooked_sleep(seconds); }
int usleep(useconds_t usec) { return hook::hooked_usleep(usec); }
int nanosleep(const timespec* req, timespec* rem) { return hook::hooked_nanosleep(req, rem); }
int clock_nanosleep(clockid_t clock, int flags, const timespec* req, timespec* rem) {
  return hook::hooked_clock_nanosleep(clock, flags, req, rem);
}

int getaddrinfo(const char* node, const char* service, const addrinfo* hints, addrinfo** res) {
  return hook::hooked_getaddrinfo(node, service, hints, res);
}
hostent* gethostbyname(const char* name) { return hook::hooked_gethostbyname(name); }
int gethostbyname_r(const char* name, hostent* ret, char* buf, size_t len, hostent** result, int* err) {
  return hook::hooked_gethostbyname_r(name, ret, buf, len, result, err);
}

int fcntl(int fd, int cmd, ...) {
  va_list args;
  va_start(args, cmd);
  int r = hook::hooked_fcntl(fd, cmd, args, false);
  va_end(args);
  return r;
}
int fcntl64(int fd, int cmd, ...) {
  va_list args;
  va_start(args, cmd);
  int r = hook::hooked_fcntl(fd, cmd, args, true);
  va_end(args);
  return r;
}
int ioctl(int fd, unsigned long request, ...) noexcept {
  va_list args;
  va_start(args, request);
  int r = hook::hooked_ioctl(fd, request, args);
  va_end(args);
  return r;
}
int setsockopt(int fd, int level, int name, const void* value, socklen_t len) noexcept {
  return hook::hooked_setsockopt(fd, level, name, value, len);
}

int close(int fd) { return hook::hooked_close(fd); }
int dup(int fd) noexcept { return hook::hooked_dup(fd); }
int dup2(int fd, int target) noexcept { return hook::hooked_dup3(fd, target, 0, true); }
int dup3(int fd, int target, int flags) noexcept { return hook::hooked_dup3(fd, target, flags, false); }

}  // extern "C"
