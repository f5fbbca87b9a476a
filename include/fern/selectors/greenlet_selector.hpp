// GreenletSelector: the cooperative form of the selectors. Same keys and semantics as
// EpollSelector, but select() parks only the calling greenlet on the hub (its epoll fd is itself
// waited on through the hub's driver), so other greenlets keep running while it waits. Use it
// inside greenlets; the plain selectors block the whole thread, as in the seeds.
#pragma once

#include "fern/selectors/epoll_selector.hpp"

namespace fern::selectors {

class GreenletSelector final : public EpollSelector {
 public:
  const char* name() const noexcept override { return "GreenletSelector"; }

 protected:
  std::error_code wait(std::optional<Duration> timeout, std::vector<FdEvents>& ready) override;
  void release_backend() noexcept override;
};

}  // namespace fern::selectors
