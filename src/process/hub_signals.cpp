#include "hub_signals.hpp"

#include <pthread.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <exception>
#include <string>
#include <system_error>
#include <utility>

#include "fern/base/error.hpp"
#include "fern/hub/driver.hpp"
#include "fern/hub/error_report.hpp"
#include "fern/hub/hub.hpp"
#include "fern/hub/io_wait.hpp"
#include "fern/hub/spawn.hpp"
#include "fern/hub/waiter.hpp"

namespace fern::detail {

namespace {

std::weak_ptr<HubSignals>& signals_slot() {
  static thread_local std::weak_ptr<HubSignals> slot;
  return slot;
}

sigset_t just(int sig) noexcept {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, sig);
  return set;
}

// Where a handler's exception goes. One function so that it can be routed to a hub-wide error
// handler once the hub has one; stderr until then, as spawn reports a failed greenlet.
// To the hub's error handler, as every uncaught failure (fern/hub/error_report.hpp).
void report_handler_failure(int sig, std::exception_ptr error) noexcept {
  const char* name = sigabbrev_np(sig);
  try {
    std::rethrow_exception(error);
  } catch (...) {
    report_callback_failure("signal " + std::to_string(sig) + " (SIG" + (name ? name : "?") + ") handler");
  }
}

void report_read_failure(int error) noexcept {
  std::fprintf(stderr, "fern: reading the signal descriptor failed: %s\n", std::strerror(error));
}

}  // namespace

void check_signal(int sig) {
  switch (sig) {
    case SIGKILL:
    case SIGSTOP:
    case SIGSEGV:
    case SIGBUS:
    case SIGILL:
    case SIGFPE: throw_error(Errc::invalid_argument, "fern: this signal cannot be handled through signalfd");
    default: break;
  }
  sigset_t probe;
  sigemptyset(&probe);
  // Rejects numbers out of range and the signals glibc keeps for its threads.
  if (sig <= 0 || sig >= NSIG || sigaddset(&probe, sig) != 0) {
    throw_error(Errc::invalid_argument, "fern: not a signal number that can be handled");
  }
}

std::shared_ptr<HubSignals> HubSignals::current() {
  std::weak_ptr<HubSignals>& slot = signals_slot();
  if (auto existing = slot.lock()) return existing;
  auto created = std::make_shared<HubSignals>(Hub::current());
  slot = created;
  return created;
}

HubSignals::HubSignals(Hub& hub) noexcept : hub_(&hub) {
  sigemptyset(&watched_);
  sigemptyset(&blocked_here_);
}

HubSignals::~HubSignals() {
  // Every registration holds this object, so none is left; a descriptor still open here would
  // mean one was lost.
  if (fd_ >= 0) close_descriptor();
}

void HubSignals::add_handler(std::shared_ptr<SignalHandlerEntry> entry) {
  handlers_.reserve(handlers_.size() + 1);  // after this, nothing below can throw past watch()
  watch(entry->signal);
  handlers_.push_back(std::move(entry));
}

void HubSignals::remove_handler(SignalHandlerEntry& entry) noexcept {
  auto it =
      std::find_if(handlers_.begin(), handlers_.end(), [&](const auto& h) { return h.get() == &entry; });
  if (it == handlers_.end()) return;
  int sig = entry.signal;  // the erase may drop the last reference to `entry`
  handlers_.erase(it);
  unwatch(sig);
}

void HubSignals::link_waiter(SignalWaitEntry& entry) {
  int watched = 0;
  try {
    for (int sig = 1; sig < NSIG; ++sig) {
      if (sigismember(&entry.signals, sig) != 1) continue;
      watch(sig);
      watched = sig;
    }
  } catch (...) {
    for (int sig = 1; sig <= watched; ++sig) {
      if (sigismember(&entry.signals, sig) == 1) unwatch(sig);
    }
    throw;
  }
  waiters_.push_back(entry);
}

void HubSignals::unlink_waiter(SignalWaitEntry& entry) noexcept {
  entry.unlink();
  for (int sig = 1; sig < NSIG; ++sig) {
    if (sigismember(&entry.signals, sig) == 1) unwatch(sig);
  }
}

// One more registration of `sig`. The first one blocks it in this thread (so it stays pending for
// the descriptor instead of running its default action) and adds it to the descriptor's mask.
void HubSignals::watch(int sig) {
  if (registrations_[sig]++ > 0) return;
  sigset_t one = just(sig);
  sigset_t before;
  if (int error = ::pthread_sigmask(SIG_BLOCK, &one, &before); error != 0) {
    --registrations_[sig];
    throw std::system_error(error, std::system_category(), "fern: pthread_sigmask");
  }
  bool was_blocked = sigismember(&before, sig) == 1;
  if (!was_blocked) sigaddset(&blocked_here_, sig);
  sigaddset(&watched_, sig);
  try {
    if (fd_ < 0) {
      open_descriptor();
    } else {
      set_descriptor_mask();
    }
  } catch (...) {
    sigdelset(&watched_, sig);
    --registrations_[sig];
    if (!was_blocked) {
      sigdelset(&blocked_here_, sig);
      ::pthread_sigmask(SIG_UNBLOCK, &one, nullptr);
    }
    throw;
  }
}

// One fewer registration of `sig`. The last one takes it out of the descriptor and restores its
// earlier mask state; an instance still pending is read first (and delivered to the registrations
// that remain), so unblocking it cannot run its default action on a signal that came while it
// was handled here.
void HubSignals::unwatch(int sig) noexcept {
  if (registrations_[sig] == 0 || --registrations_[sig] > 0) return;
  if (fd_ >= 0) read_pending();
  sigdelset(&watched_, sig);
  if (sigisemptyset(&watched_)) {
    close_descriptor();
  } else {
    try {
      set_descriptor_mask();
    } catch (...) {
      // Only EINVAL or EBADF are possible here, and neither for a valid descriptor and mask.
    }
  }
  if (sigismember(&blocked_here_, sig) == 1) {
    sigdelset(&blocked_here_, sig);
    sigset_t one = just(sig);
    ::pthread_sigmask(SIG_UNBLOCK, &one, nullptr);
  }
}

void HubSignals::open_descriptor() {
  int fd = ::signalfd(-1, &watched_, SFD_NONBLOCK | SFD_CLOEXEC);
  if (fd < 0) throw_errno("fern: signalfd");
  adopt_fd(fd);
  fd_ = fd;
  try {
    SpawnOptions options;
    options.name = "fern signal reader";
    spawn_with(options, &HubSignals::read_until_closed, shared_from_this(), generation_);
  } catch (...) {
    close_descriptor();
    throw;
  }
}

void HubSignals::close_descriptor() noexcept {
  // close_fd wakes the reader parked on the descriptor (Errc::closed); the new generation tells
  // a reader that has not started yet that its descriptor is gone.
  ++generation_;
  close_fd(std::exchange(fd_, -1));
}

void HubSignals::set_descriptor_mask() {
  if (::signalfd(fd_, &watched_, 0) < 0) throw_errno("fern: signalfd");
}

// The reader greenlet: everything the descriptor holds, then a park until it holds more. The
// driver may be edge-triggered, so each wake-up reads until EAGAIN.
void HubSignals::read_until_closed(std::shared_ptr<HubSignals> self, std::uint64_t generation) {
  while (self->generation_ == generation) {
    self->read_pending();
    if (self->generation_ != generation) return;
    if (wait_fd(self->fd_, io_events::readable, TimePoint::max())) return;  // closed under us
  }
}

void HubSignals::read_pending() noexcept {
  signalfd_siginfo batch[16];
  for (;;) {
    ssize_t n = ::read(fd_, batch, sizeof batch);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno != EAGAIN) report_read_failure(errno);
      return;
    }
    for (std::size_t i = 0; i < static_cast<std::size_t>(n) / sizeof batch[0]; ++i) {
      deliver(static_cast<int>(batch[i].ssi_signo));
    }
  }
}

// A waiting greenlet takes the first of its signals that comes; every handler of the signal gets
// a greenlet of its own. Nothing here switches, so the lists cannot change under the loops.
void HubSignals::deliver(int sig) noexcept {
  waiters_.for_each([sig](SignalWaitEntry& w) {
    if (w.received == 0 && sigismember(&w.signals, sig) == 1) {
      w.received = sig;
      w.waiter->wake();
    }
  });
  // A registration outliving its hub (thread exit) must not create a new hub to run handlers in.
  Hub* hub = Hub::current_if_exists();
  if (hub != hub_ || hub->shutting_down()) return;
  for (const auto& entry : handlers_) {
    if (entry->signal == sig && entry->active) start_handler(entry, sig);
  }
}

void HubSignals::start_handler(const std::shared_ptr<SignalHandlerEntry>& entry, int sig) noexcept {
  try {
    SpawnOptions options;
    options.name = "fern signal handler";
    spawn_with(options, [entry, sig] {
      if (!entry->active) return;  // cancelled after the signal was read
      try {
        entry->fn(sig);
      } catch (const GreenletExit&) {
        throw;
      } catch (...) {
        report_handler_failure(sig, std::current_exception());
      }
    });
  } catch (...) {
    report_handler_failure(sig, std::current_exception());  // could not even start it
  }
}

}  // namespace fern::detail
