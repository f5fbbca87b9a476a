// HubSignals: the signal state of one hub (one thread): the signalfd every registration shares,
// how many registrations each signal has, which signals this hub blocked, the handlers and the
// greenlets inside wait_signal, and the reader greenlet that turns what the descriptor yields into
// handler greenlets and wake-ups. Shared ownership: the registrations, the waiting greenlets and
// the reader each hold it, so whichever goes last (even after the hub, at thread exit) frees it.
#pragma once

#include <signal.h>

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include "fern/base/intrusive_list.hpp"

namespace fern {

class Hub;
class Waiter;

namespace detail {

struct SignalHandlerEntry {
  int signal = 0;
  std::function<void(int)> fn;
  bool active = true;
};

// A greenlet inside wait_signal: the signals it waits for and the first one that came.
struct SignalWaitEntry : ListNode {
  sigset_t signals;
  Waiter* waiter = nullptr;
  int received = 0;
};

// Throws std::system_error (Errc::invalid_argument) for a signal signalfd cannot deliver.
void check_signal(int sig);

class HubSignals : public std::enable_shared_from_this<HubSignals> {
 public:
  // This thread's, created on first use.
  static std::shared_ptr<HubSignals> current();

  explicit HubSignals(Hub& hub) noexcept;
  HubSignals(const HubSignals&) = delete;
  HubSignals& operator=(const HubSignals&) = delete;
  ~HubSignals();

  void add_handler(std::shared_ptr<SignalHandlerEntry> entry);
  void remove_handler(SignalHandlerEntry& entry) noexcept;
  // Watches every signal of `entry.signals` and links the entry; unlink_waiter undoes both.
  void link_waiter(SignalWaitEntry& entry);
  void unlink_waiter(SignalWaitEntry& entry) noexcept;

 private:
  void watch(int sig);
  void unwatch(int sig) noexcept;
  void open_descriptor();
  void close_descriptor() noexcept;
  void set_descriptor_mask();
  void read_pending() noexcept;
  void deliver(int sig) noexcept;
  void start_handler(const std::shared_ptr<SignalHandlerEntry>& entry, int sig) noexcept;
  static void read_until_closed(std::shared_ptr<HubSignals> self, std::uint64_t generation);

  Hub* hub_;
  int fd_ = -1;
  std::uint64_t generation_ = 0;  // changes whenever the descriptor is closed; ends its reader
  sigset_t watched_;              // signals with at least one registration
  sigset_t blocked_here_;         // those this hub blocked (they were not blocked before)
  std::array<unsigned, NSIG> registrations_{};
  std::vector<std::shared_ptr<SignalHandlerEntry>> handlers_;
  IntrusiveList<SignalWaitEntry> waiters_;
};

}  // namespace detail
}  // namespace fern
