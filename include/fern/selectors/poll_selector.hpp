// PollSelector: a selector on poll(2). No FD_SETSIZE limit, but every select() hands the kernel the
// whole pollfd array and scans it back: the cost grows with the number of registered fds.
//
// How it blocks: select() blocks the thread in poll(2) (see selector.hpp).
#pragma once

#include <poll.h>

#include <unordered_map>
#include <vector>

#include "fern/selectors/selector.hpp"

namespace fern::selectors {

class PollSelector : public BaseSelector {
 public:
  PollSelector() = default;
  ~PollSelector() override;

  const char* name() const noexcept override { return "PollSelector"; }

 protected:
  void add_fd(int fd, Events events) override;
  void modify_fd(int fd, Events old_events, Events new_events) override;
  void remove_fd(int fd, Events events) noexcept override;
  std::error_code wait(std::optional<Duration> timeout, std::vector<FdEvents>& ready) override;
  void release_backend() noexcept override;

 private:
  // A dense array for poll(2) plus each fd's slot, so modify and remove are O(1) (remove swaps the
  // last slot into the hole).
  std::vector<pollfd> pollfds_;
  std::unordered_map<int, std::size_t> slot_of_;
};

}  // namespace fern::selectors
