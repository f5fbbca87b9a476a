// SelectSelector: a selector on select(2), the oldest and most portable multiplexer. It can watch
// only fds below FD_SETSIZE (1024 on Linux): registering a larger one throws std::system_error
// (fern::Errc::limit_exceeded) instead of writing past the fd_set. Each select() copies both sets to
// the kernel and scans every registered fd afterwards.
//
// How it blocks: select() blocks the thread in select(2) (see selector.hpp).
#pragma once

#include <sys/select.h>

#include "fern/selectors/selector.hpp"

namespace fern::selectors {

class SelectSelector : public BaseSelector {
 public:
  SelectSelector();
  ~SelectSelector() override;

  const char* name() const noexcept override { return "SelectSelector"; }

 protected:
  void add_fd(int fd, Events events) override;
  void modify_fd(int fd, Events old_events, Events new_events) override;
  void remove_fd(int fd, Events events) noexcept override;
  std::error_code wait(std::optional<Duration> timeout, std::vector<FdEvents>& ready) override;

 private:
  void set_bits(int fd, Events events) noexcept;

  fd_set readers_;
  fd_set writers_;
};

}  // namespace fern::selectors
