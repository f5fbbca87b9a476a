// EpollSelector: a selector on Linux epoll(7), level-triggered like Python's: an fd stays ready in
// every select() until the caller reads or writes enough to change that. The cost of select() grows
// with the number of ready fds, not the number registered.
//
// How it blocks: select() blocks the thread in epoll_wait(2) (see selector.hpp). The epoll fd itself
// is pollable (fileno()), which is what a cooperative form waits on before harvesting with
// wait_kernel(0, ...).
#pragma once

#include <sys/epoll.h>

#include <vector>

#include "fern/selectors/selector.hpp"

namespace fern::selectors {

class EpollSelector : public BaseSelector {
 public:
  // Throws std::system_error if the kernel refuses an epoll instance (EMFILE, ENOMEM).
  EpollSelector();
  ~EpollSelector() override;

  // The epoll fd (-1 after close()), readable when some registered fd is ready.
  int fileno() const noexcept { return epoll_fd_; }
  const char* name() const noexcept override { return "EpollSelector"; }

 protected:
  void add_fd(int fd, Events events) override;
  void modify_fd(int fd, Events old_events, Events new_events) override;
  void remove_fd(int fd, Events events) noexcept override;
  std::error_code wait(std::optional<Duration> timeout, std::vector<FdEvents>& ready) override;
  void release_backend() noexcept override;

  // One epoll_wait(2) with a timeout in milliseconds (-1 forever, 0 poll).
  std::error_code wait_kernel(int timeout_ms, std::vector<FdEvents>& ready);

 private:
  int epoll_fd_ = -1;
  std::vector<epoll_event> events_;  // epoll_wait's output buffer, one slot per registered fd
};

}  // namespace fern::selectors
