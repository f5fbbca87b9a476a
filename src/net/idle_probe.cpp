#include "fern/net/idle_probe.hpp"

#include <poll.h>
#include <sys/socket.h>

#include <cerrno>

namespace fern::net {

IdleState probe_idle(int fd) noexcept {
  char byte;
  const ssize_t n = ::recv(fd, &byte, 1, MSG_PEEK | MSG_DONTWAIT);
  if (n > 0) return IdleState::data;
  if (n == 0) return IdleState::closed;
  return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR ? IdleState::quiet : IdleState::closed;
}

bool peer_hung_up(int fd) noexcept {
  pollfd p{fd, POLLRDHUP, 0};
  if (::poll(&p, 1, 0) < 0) return errno != EINTR;
  return (p.revents & (POLLRDHUP | POLLHUP | POLLERR | POLLNVAL)) != 0;
}

}  // namespace fern::net
