#include "fern/selectors/default_selector.hpp"

#include <stdexcept>
#include <string>

#include "fern/selectors/greenlet_selector.hpp"

namespace fern::selectors {

std::unique_ptr<BaseSelector> make_default_selector() { return std::make_unique<DefaultSelector>(); }

std::unique_ptr<BaseSelector> make_selector(std::string_view kind) {
  if (kind == "default") return make_default_selector();
  if (kind == "epoll") return std::make_unique<EpollSelector>();
  if (kind == "greenlet") return std::make_unique<GreenletSelector>();
  if (kind == "poll") return std::make_unique<PollSelector>();
  if (kind == "select") return std::make_unique<SelectSelector>();
  throw std::invalid_argument("make_selector: unknown selector \"" + std::string(kind) +
                              "\" (want epoll, poll, select, greenlet or default)");
}

}  // namespace fern::selectors
