// Hub: the per-thread scheduler greenlet. Greenlets that block park on a Waiter and switch to the
// hub; the hub runs whatever is ready, fires due timers, and asks its Driver to sleep until I/O, a
// timer or another thread needs it, as gevent's hub does. One hub per thread, created on first use;
// its loop (Hub::loop) reads in one screen.
#pragma once

#include <atomic>
#include <coroutine>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "fern/base/clock.hpp"
#include "fern/base/intrusive_list.hpp"
#include "fern/greenlet/greenlet.hpp"
#include "fern/hub/driver.hpp"
#include "fern/hub/error_report.hpp"
#include "fern/hub/timer_heap.hpp"

namespace fern {

// Raised in the main greenlet when it waits for something that can never happen: nothing is
// ready, no timer is armed, no I/O or other thread can wake anyone (gevent's LoopExit).
class LoopExit : public std::runtime_error {
 public:
  LoopExit() : std::runtime_error("fern: this wait would block forever: the hub has nothing left to run") {}
};

// Something the hub must unwind if it is still alive when the hub goes away (a spawned greenlet).
class HubResident : public ListNode {
 public:
  virtual void unwind_at_shutdown() noexcept = 0;
  // Called by the hub, back on its own stack, after the greenlet's last switch: the dead
  // greenlet's scheduler_slot() holds the resident to notify.
  virtual void after_death() noexcept = 0;

 protected:
  ~HubResident() = default;
};

class Hub;

namespace detail {
// Counters the hub keeps as it runs (see fern/hub/stats.hpp). Written only by the hub's thread;
// `live_greenlets` is also read by the monitor thread, hence atomic (relaxed: a plain load and store).
struct HubCounters {
  std::uint64_t loop_turns = 0;
  std::uint64_t switches = 0;
  std::uint64_t polls = 0;
  std::uint64_t memory_releases = 0;  // times the hub gave a spike's cached memory back (see poll_io)
  std::size_t live_peak = 0;          // the most greenlets alive at once since the last such release
  std::atomic<std::size_t> live_greenlets{0};
};
// The deepest stack seen per spawn site: a small open-addressed table keyed by the site, updated
// when a greenlet finishes. A site that finds no free slot within a few probes is not recorded.
struct StackPeakTable {
  struct Entry {
    const char* file = nullptr;  // the SourceSite's file_name(): one pointer per site
    std::uint32_t line = 0;
    std::uint32_t peak = 0;
    std::uint32_t capacity = 0;
    std::uint64_t count = 0;
    std::string name;
  };
  static constexpr std::size_t kSize = 512;
  std::unique_ptr<Entry[]> entries;  // made on first use
  void note(const char* file, std::uint32_t line, std::size_t peak, std::size_t capacity,
            const std::string& name) noexcept;
};
// How many fork(2)s lie between the first process and this one (0 in a process that was not forked,
// as far as fern saw: counted by a pthread_atfork handler).
std::uint64_t fork_generation() noexcept;
// The cross-thread inbox of a hub, shared with the threads that post to it, so a post that races
// with the hub's end is dropped instead of touching freed memory.
struct HubInbox {
  std::mutex mutex;
  std::vector<std::function<void()>> calls;
  std::atomic<bool> pending{false};
  std::atomic<bool> dump_requested{false};  // set by install_dump_signal's handler
  Driver* driver = nullptr;                 // null once the hub is gone
  // An inbox from before a fork belongs to the parent: in the child its lock may be held forever
  // by a thread that is not there, so a post never touches it. Hub::reinit names its successor
  // (the owner is written before the pointer is published).
  const std::uint64_t generation = fork_generation();
  std::atomic<HubInbox*> successor{nullptr};
  std::shared_ptr<HubInbox> successor_owner;
};
// Prints the run info if a signal asked for it (run_info.cpp); the hub calls it with its inbox.
void answer_dump_request(HubInbox& inbox) noexcept;

// Work another thread does for a hub and reports back to it when done (a spawn_blocking job).
// While outstanding it keeps the hub from LoopExit; the hub lists it so that in a child after
// fork, where that thread does not exist, Hub::reinit can end it instead of leaving its waiter
// parked forever.
class OffloadedJob {
 public:
  virtual ~OffloadedJob() = default;
  // Hub thread, in the child after fork: the report will never come.
  virtual void lost_in_fork() noexcept = 0;

 private:
  friend class fern::Hub;
  std::size_t hub_slot_ = 0;  // its index in the hub's list
};
}  // namespace detail

// A handle other threads keep to post work to a hub; copyable, safe after the hub is gone. In a
// child after fork, one made before the fork reaches the forking thread's hub once Hub::reinit has
// run, and fails (returns false) for every other hub: their threads are not in the child.
class RemoteHub {
 public:
  RemoteHub() = default;
  explicit RemoteHub(std::shared_ptr<detail::HubInbox> inbox) : inbox_(std::move(inbox)) {}
  // Runs `fn` in the hub soon; false (and `fn` dropped) if the hub no longer exists.
  bool call(std::function<void()> fn) const;

 private:
  std::shared_ptr<detail::HubInbox> inbox_;
};

namespace detail {
extern constinit thread_local Hub* t_hub;  // the thread's hub, null until first use
}  // namespace detail

class Hub {
 public:
  // The calling thread's hub, created with default_driver_kind() on first use.
  static Hub& current();
  // The calling thread's hub if it exists.
  static Hub* current_if_exists() noexcept;
  // Replaces the thread's hub (only before it has run anything): chooses its driver.
  static Hub& install(DriverKind kind);

  explicit Hub(std::unique_ptr<Driver> driver);
  Hub(const Hub&) = delete;
  Hub& operator=(const Hub&) = delete;
  // Unwinds every greenlet still parked (GreenletExit), then closes the driver.
  ~Hub();

  // In a child after fork(2), on the forking thread, before the hub is used: gives the driver
  // kernel objects of its own, replaces the cross-thread inbox (what other threads posted before
  // the fork is dropped) and fails the offloaded jobs the fork cut off. Greenlets, timers and the
  // ready queue carry on as they were. fern::fork() calls it; see fern/hub/fork.hpp.
  void reinit();

  Driver& driver() noexcept { return *driver_; }
  TimerHeap& timers() noexcept { return timers_; }
  Greenlet& greenlet() noexcept { return greenlet_; }
  // The loop's clock, read once per iteration. Deadlines are computed from Clock::now() so a
  // timer never fires early.
  TimePoint now() const noexcept { return now_; }
  bool in_hub() const noexcept { return Greenlet::current() == &greenlet_; }
  bool shutting_down() const noexcept { return shutting_down_; }

  // Resumes `g` on a later turn of the loop. Hub thread only.
  void schedule(Greenlet& g) { ready_.push_back({&g, nullptr, nullptr}); }
  // Resumes the suspended coroutine `h` on a later turn of the loop, on the hub's own stack (the
  // wake path of fern::aio tasks; see docs/design/aio.md). Hub thread only.
  void schedule(std::coroutine_handle<> h) { ready_.push_back({nullptr, nullptr, h.address()}); }
  // Runs `fn` in the hub on a later turn of the loop. Hub thread only.
  void call_soon(std::function<void()> fn);
  // Runs `fn` in the hub soon; callable from any thread, wakes the hub if it sleeps.
  void run_callback_threadsafe(std::function<void()> fn) { remote().call(std::move(fn)); }
  // A handle for other threads (see RemoteHub).
  RemoteHub remote() const { return RemoteHub(inbox_); }
  // The inbox itself, for a signal handler that must reach the hub without locking.
  const std::shared_ptr<detail::HubInbox>& inbox() const noexcept { return inbox_; }

  // Work elsewhere that will come back to this hub (a thread-pool job): while any is outstanding
  // the hub is not idle, so LoopExit is not raised.
  void add_external_ref() noexcept { ++external_refs_; }
  void release_external_ref() noexcept { --external_refs_; }
  // The same for a job that reports back when done (see OffloadedJob), listed so that reinit()
  // can end it after a fork. end_offloaded_job is false when reinit() already ended it.
  void begin_offloaded_job(std::shared_ptr<detail::OffloadedJob> job);
  bool end_offloaded_job(detail::OffloadedJob& job) noexcept;

  // Switches away from the current greenlet, which has just parked; returns when something
  // resumes it. Goes straight to the greenlet the hub would resume next when the hub has nothing
  // else to do first (a direct handoff, see next_handoff), else to the hub. Waiter uses it.
  void switch_away();

  // Greenlets started by spawn() that have not finished; ~Hub unwinds them, run_info() lists them.
  void track(HubResident& r) noexcept { residents_.push_back(r); }
  template <class F>
  void for_each_resident(F&& f) {
    residents_.for_each(std::forward<F>(f));
  }
  // Numbers greenlets in the order they were made, from 1 (0 means "none").
  std::uint64_t next_greenlet_id() noexcept { return ++greenlet_ids_; }
  std::uint64_t greenlets_spawned() const noexcept { return greenlet_ids_; }
  detail::HubCounters& counters() noexcept { return counters_; }
  detail::StackPeakTable& stack_peaks() noexcept { return stack_peaks_; }
  std::size_t ready_count() const noexcept { return ready_.size() + (running_.size() - next_running_); }
  std::size_t external_refs() const noexcept { return external_refs_; }

  // Where errors nobody caught go (see ErrorReport); returns the handler it replaces. An empty
  // handler restores the default, print_error_report. Hub thread only.
  ErrorHandler set_error_handler(ErrorHandler handler);
  // Hands `report` to the handler; a handler that throws is reported on stderr, with the report.
  void report_error(const ErrorReport& report) noexcept;

 private:
  struct ReadyItem {
    Greenlet* greenlet;           // resume this one, or
    std::function<void()>* call;  // run this callback (owned), or
    void* coroutine;              // resume this coroutine (std::coroutine_handle<>::address())
  };

  void loop();
  void run_ready();
  Greenlet* next_handoff() noexcept;
  bool may_start_turn_directly() noexcept;
  void run_due_timers();
  void poll_io();
  void run_threadsafe_callbacks();
  bool idle() const noexcept;
  void raise_loop_exit();
  void resume(Greenlet& g);
  void resume(std::coroutine_handle<> h) noexcept;
  void unwind_remaining() noexcept;
  void release_after_spike(Duration& timeout);
  void release_cached_memory() noexcept;
  void replace_inbox();
  void end_jobs_lost_in_fork() noexcept;

  std::unique_ptr<Driver> driver_;
  TimerHeap timers_;
  Greenlet greenlet_;
  Greenlet* main_;
  TimePoint now_;
  std::vector<ReadyItem> ready_;
  std::vector<ReadyItem> running_;    // the batch being run; swapped with ready_ each turn
  std::size_t next_running_ = 0;      // the batch's next item, shared by the loop and handoffs
  Greenlet* last_resumed_ = nullptr;  // what the hub or a handoff switched to last
  bool hub_in_resume_ = false;        // the hub is switched out in resume()
  std::shared_ptr<detail::HubInbox> inbox_;
  std::size_t external_refs_ = 0;
  std::vector<std::shared_ptr<detail::OffloadedJob>> offloaded_jobs_;
  static constexpr unsigned kPollEveryBusyTurns = 61;
  unsigned busy_turns_ = 0;
  // After a spike: the count of greenlets alive last seen, and when the hub gives the spike's memory
  // back should the count stay where it is (release_after_spike).
  std::size_t live_seen_ = 0;
  TimePoint release_at_ = TimePoint::max();
  IntrusiveList<HubResident> residents_;
  std::uint64_t greenlet_ids_ = 0;
  detail::HubCounters counters_;
  detail::StackPeakTable stack_peaks_;
  ErrorHandler error_handler_;
  bool shutting_down_ = false;
};

inline Hub& Hub::current() {
  if (Hub* h = detail::t_hub) return *h;
  return install(default_driver_kind());
}

inline Hub* Hub::current_if_exists() noexcept { return detail::t_hub; }

}  // namespace fern
