// Signals as greenlet events. signal_handler(sig, fn) runs fn(sig) in a new greenlet on the
// calling thread's hub each time `sig` arrives; wait_signal({...}) parks the calling greenlet until
// one of the signals arrives. Nothing runs in an asynchronous signal handler: the signals are
// blocked in the hub's thread and read from one signalfd per hub, which the hub watches like a
// socket. Waiting parks only the calling greenlet, so kills and fern::Timeout scopes reach it.
//
// Each hub owns one signalfd shared by every registration (a handler, or a greenlet inside
// wait_signal) on its thread; its mask is the union of the registered signals. A signal is blocked
// in the hub's thread (pthread_sigmask) from its first registration until its last one goes; then
// its earlier blocked/unblocked state is restored. Any instance still pending at that moment is
// read and delivered to the registrations that remain (or dropped), never left to kill the
// process.
//
// Traps, in order of how often they bite:
//  * Other threads. A signal sent to the process (kill, Ctrl-C, systemd's SIGTERM) goes to any
//    thread that does not block it, and only the hub thread blocks it here. Every other thread
//    must block it too: block the signals in main() before starting any thread (threads inherit
//    the mask of the thread that creates them; fern's thread pool starts its threads from a hub
//    thread, so it inherits the mask when the handler was registered first). A signal sent to the
//    thread itself (raise(), pthread_kill) has no such trap.
//  * Children inherit the mask across exec. fern::subprocess clears it in the child by default
//    (Options::restore_signals); a child started another way (plain posix_spawn, system()) starts
//    with these signals blocked.
//  * Between two wait_signal calls the signal is not watched, and its default action (usually:
//    terminate) applies. Code that must not miss one keeps a signal_handler registered, e.g. one
//    that puts the signal in a fern::Queue.
//  * Signals are not counted: two instances of a standard signal that arrive before the hub reads
//    the descriptor are delivered once, as with sigaction. Real-time signals are queued and each
//    is delivered.
//  * A registered handler, like a socket being watched, keeps the hub from declaring LoopExit: a
//    signal may still come.
//  * A handler installed with sigaction stops running in the hub thread while its signal is
//    registered here (the signal is blocked there): leave install_dump_signal's SIGQUIT alone.
//
// SIGKILL and SIGSTOP cannot be caught; SIGSEGV, SIGBUS, SIGILL and SIGFPE raised by a fault are
// delivered to the faulting thread at once and cannot be read from a descriptor: all six are
// refused (Errc::invalid_argument), as are the signals glibc reserves for itself.
//
// Costs: the first registration of a signal on a hub is one pthread_sigmask and one signalfd call
// (the hub's first registration creates the descriptor and its reader greenlet instead); the last
// one going adds a read of the descriptor. A delivery is one read per batch of signals (and the
// read that finds it empty) and one greenlet per handler. See docs/design/process.md. Everything
// here must be used from the hub's own thread.
#pragma once

#include <functional>
#include <initializer_list>
#include <memory>
#include <span>

#include "fern/base/clock.hpp"

namespace fern {

namespace detail {
class HubSignals;
struct SignalHandlerEntry;
}  // namespace detail

// The registration signal_handler() returns: the handler stays registered while this lives (or
// until cancel()). Move-only.
class SignalHandler {
 public:
  SignalHandler() noexcept;
  SignalHandler(SignalHandler&& other) noexcept;
  SignalHandler& operator=(SignalHandler&& other) noexcept;
  SignalHandler(const SignalHandler&) = delete;
  SignalHandler& operator=(const SignalHandler&) = delete;
  ~SignalHandler();

  // Removes the handler: it is not started again (a run already started finishes). When it was
  // the signal's last registration on this hub, the signal's earlier mask state is restored.
  // Idempotent.
  void cancel() noexcept;
  bool active() const noexcept;
  // The signal handled, or 0 once cancelled.
  int signal() const noexcept;

 private:
  friend SignalHandler signal_handler(int sig, std::function<void(int)> fn);
  SignalHandler(std::shared_ptr<detail::HubSignals> hub,
                std::shared_ptr<detail::SignalHandlerEntry> entry) noexcept;

  std::shared_ptr<detail::HubSignals> hub_;
  std::shared_ptr<detail::SignalHandlerEntry> entry_;
};

// Runs fn(sig) in a new greenlet on this thread's hub every time `sig` arrives, until the
// returned registration goes. Several handlers may share a signal; each runs in its own greenlet,
// so one that blocks (a graceful server stop) delays nothing else. An exception escaping fn is
// reported (report_handler_failure in signal.cpp, stderr today) and delivery goes on. Throws
// std::system_error: Errc::invalid_argument for a signal that cannot be handled this way (see
// above), the kernel's error when signalfd fails.
[[nodiscard]] SignalHandler signal_handler(int sig, std::function<void(int)> fn);

// Parks the calling greenlet until one of `signals` arrives and returns it. Throws
// std::system_error with Errc::timed_out when `timeout` passes first, Errc::invalid_argument for
// an empty set or a signal refused above, and whatever a kill or a fern::Timeout scope throws
// into the greenlet. The signals are watched only while the call waits.
int wait_signal(std::span<const int> signals, Duration timeout = kForever);
inline int wait_signal(std::initializer_list<int> signals, Duration timeout = kForever) {
  return wait_signal(std::span<const int>(signals.begin(), signals.size()), timeout);
}

}  // namespace fern
