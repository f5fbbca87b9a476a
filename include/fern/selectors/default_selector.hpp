// DefaultSelector: the best selector this platform has, as Python's selectors.DefaultSelector
// (EpollSelector on Linux, PollSelector elsewhere), plus factories for code that picks one at run
// time.
//
// How it blocks: as the selector it names (see selector.hpp).
#pragma once

#include <memory>
#include <string_view>

#include "fern/selectors/epoll_selector.hpp"
#include "fern/selectors/poll_selector.hpp"
#include "fern/selectors/select_selector.hpp"

namespace fern::selectors {

#if defined(__linux__)
using DefaultSelector = EpollSelector;
#else
using DefaultSelector = PollSelector;
#endif

std::unique_ptr<BaseSelector> make_default_selector();

// "epoll", "poll", "select", "greenlet" (GreenletSelector: parks the greenlet, not the thread) or
// "default"; anything else throws std::invalid_argument.
std::unique_ptr<BaseSelector> make_selector(std::string_view kind);

}  // namespace fern::selectors
