#include "fern/process/signal.hpp"

#include <signal.h>

#include <utility>

#include "fern/base/error.hpp"
#include "fern/hub/waiter.hpp"
#include "hub_signals.hpp"

namespace fern {

SignalHandler::SignalHandler() noexcept = default;

SignalHandler::SignalHandler(std::shared_ptr<detail::HubSignals> hub,
                             std::shared_ptr<detail::SignalHandlerEntry> entry) noexcept
    : hub_(std::move(hub)), entry_(std::move(entry)) {}

SignalHandler::SignalHandler(SignalHandler&& other) noexcept
    : hub_(std::move(other.hub_)), entry_(std::move(other.entry_)) {}

SignalHandler& SignalHandler::operator=(SignalHandler&& other) noexcept {
  if (this != &other) {
    cancel();
    hub_ = std::move(other.hub_);
    entry_ = std::move(other.entry_);
  }
  return *this;
}

SignalHandler::~SignalHandler() { cancel(); }

void SignalHandler::cancel() noexcept {
  if (!entry_) return;
  entry_->active = false;  // a handler greenlet already spawned for it will not call it
  hub_->remove_handler(*entry_);
  entry_.reset();
  hub_.reset();
}

bool SignalHandler::active() const noexcept { return entry_ != nullptr; }

int SignalHandler::signal() const noexcept { return entry_ ? entry_->signal : 0; }

SignalHandler signal_handler(int sig, std::function<void(int)> fn) {
  detail::check_signal(sig);
  if (!fn) throw_error(Errc::invalid_argument, "fern: signal_handler needs a function");
  auto hub = detail::HubSignals::current();
  auto entry = std::make_shared<detail::SignalHandlerEntry>();
  entry->signal = sig;
  entry->fn = std::move(fn);
  hub->add_handler(entry);
  return SignalHandler(std::move(hub), std::move(entry));
}

namespace {
// wait_signal's registration, undone however the wait ends (a signal, the deadline, a kill).
class WaitRegistration {
 public:
  WaitRegistration(std::shared_ptr<detail::HubSignals> hub, detail::SignalWaitEntry& entry)
      : hub_(std::move(hub)), entry_(entry) {
    hub_->link_waiter(entry_);
  }
  WaitRegistration(const WaitRegistration&) = delete;
  WaitRegistration& operator=(const WaitRegistration&) = delete;
  ~WaitRegistration() { hub_->unlink_waiter(entry_); }

 private:
  std::shared_ptr<detail::HubSignals> hub_;
  detail::SignalWaitEntry& entry_;
};
}  // namespace

int wait_signal(std::span<const int> signals, Duration timeout) {
  if (signals.empty()) throw_error(Errc::invalid_argument, "fern: wait_signal needs at least one signal");
  detail::SignalWaitEntry entry;
  sigemptyset(&entry.signals);
  for (int sig : signals) {
    detail::check_signal(sig);
    sigaddset(&entry.signals, sig);
  }
  TimePoint deadline = timeout == kForever ? TimePoint::max() : deadline_after(timeout);
  Waiter waiter;
  entry.waiter = &waiter;
  WaitRegistration registration(detail::HubSignals::current(), entry);
  while (entry.received == 0) {
    // A signal read in the same turn as the deadline still counts.
    if (!waiter.park(deadline) && entry.received == 0) {
      throw_error(Errc::timed_out, "fern: wait_signal timed out");
    }
  }
  return entry.received;
}

}  // namespace fern
