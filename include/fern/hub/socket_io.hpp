// Socket system calls that park only the calling greenlet, done the way the hub's driver does I/O
// best. On a readiness driver (epoll, poll, select) the call is made at once and, on EAGAIN, made
// again when the descriptor turns ready. On a completion driver (io_uring) the kernel performs it
// as a ring operation into the caller's buffer while the greenlet is parked: no readiness round
// trip and no system call of its own. Everything above the hub that moves bytes on a socket (net,
// and through it TLS, HTTP and the clients) calls these, so a program switches models by switching
// drivers (FERN_DRIVER) without changing a line.
//
// Each returns what the system call would (bytes, a descriptor, 0) or -1 with `ec` set: the
// kernel's error, Errc::timed_out when `timeout` passed first, Errc::closed when close_fd() closed
// the descriptor meanwhile. Nothing is lost to a timeout: an operation the kernel completed as the
// timeout fired is reported as completed. A kill (or a fern::Timeout scope) raises through them once
// the kernel has let go of the caller's buffer; what the operation did then is unknown.
#pragma once

#include <sys/socket.h>
#include <sys/types.h>

#include <cstddef>
#include <system_error>

#include "fern/base/clock.hpp"

namespace fern::io {

ssize_t recv(int fd, void* data, std::size_t size, int flags, Duration timeout, std::error_code& ec);
ssize_t send(int fd, const void* data, std::size_t size, int flags, Duration timeout, std::error_code& ec);
ssize_t sendmsg(int fd, const msghdr* message, int flags, Duration timeout, std::error_code& ec);
ssize_t recvmsg(int fd, msghdr* message, int flags, Duration timeout, std::error_code& ec);
// Datagrams: sendmsg and recvmsg with the peer's address (`address_size` in and out).
ssize_t sendto(int fd, const void* data, std::size_t size, int flags, const sockaddr* address,
               socklen_t length, Duration timeout, std::error_code& ec);
ssize_t recvfrom(int fd, void* data, std::size_t size, int flags, sockaddr* address, socklen_t* address_size,
                 Duration timeout, std::error_code& ec);
// accept4(2): `flags` are SOCK_NONBLOCK, SOCK_CLOEXEC. The new descriptor is the caller's to adopt.
int accept(int fd, sockaddr* address, socklen_t* address_size, int flags, Duration timeout,
           std::error_code& ec);
// connect(2) on a non-blocking socket, to the end of the handshake: `ec` empty when connected.
void connect(int fd, const sockaddr* address, socklen_t length, Duration timeout, std::error_code& ec);

// True when the calling thread's hub has a completion driver (io_uring), which performs these calls
// itself: a call then parks until the kernel has done it, so waiting for readiness before it only
// adds a round trip, and a plain system call first costs one more than the ring operation.
bool performed_by_driver() noexcept;

}  // namespace fern::io
