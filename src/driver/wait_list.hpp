// WaitList: the parked IoWaits of one fd, shared by the level-triggered drivers (poll, select,
// io_uring). Each driver keeps one per descriptor next to its own bookkeeping (a pollfd slot, an
// fd_set bit, the io_uring polls in flight) and recomputes that bookkeeping from wanted() whenever
// the list changes, so the kernel is only asked about what some greenlet waits for.
#pragma once

#include <poll.h>

#include <cstddef>
#include <cstdint>
#include <system_error>

#include "fern/hub/driver.hpp"
#include "fern/hub/waiter.hpp"

namespace fern::detail {

struct WaitList {
  IoWait* head = nullptr;

  bool empty() const noexcept { return head == nullptr; }

  void link(IoWait& w) noexcept {
    w.prev = nullptr;
    w.next = head;
    if (head) head->prev = &w;
    head = &w;
    w.linked = true;
    w.result.clear();
  }

  void unlink(IoWait& w) noexcept {
    if (!w.linked) return;
    if (w.prev) {
      w.prev->next = w.next;
    } else {
      head = w.next;
    }
    if (w.next) w.next->prev = w.prev;
    w.prev = w.next = nullptr;
    w.linked = false;
  }

  // The union of the io_events every linked wait asks for.
  std::uint32_t wanted() const noexcept {
    std::uint32_t events = 0;
    for (const IoWait* w = head; w; w = w->next) events |= w->events;
    return events;
  }

  // Unlinks and wakes every wait that asked for one of `ready`, giving it `result`; returns how many.
  std::size_t complete(std::uint32_t ready, std::error_code result) noexcept {
    std::size_t woken = 0;
    for (IoWait* w = head; w;) {
      IoWait* next = w->next;
      if (w->events & ready) {
        unlink(*w);
        w->result = result;
        w->waiter->wake();
        ++woken;
      }
      w = next;
    }
    return woken;
  }
};

// What poll(2)-style revents mean for fern's waits: a hang-up or an error wakes both directions, so
// the woken greenlet retries its I/O and sees the condition itself.
inline std::uint32_t ready_from_revents(unsigned revents) noexcept {
  std::uint32_t ready = 0;
  if (revents & (POLLIN | POLLRDHUP | POLLHUP | POLLERR | POLLPRI)) ready |= io_events::readable;
  if (revents & (POLLOUT | POLLHUP | POLLERR)) ready |= io_events::writable;
  return ready;
}

inline constexpr std::uint32_t kAllEvents = io_events::readable | io_events::writable;

}  // namespace fern::detail
