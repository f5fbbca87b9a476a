#include "fern/hub/hub.hpp"

#include <pthread.h>

#if defined(__GLIBC__)
#include <malloc.h>
#endif

#include <cstdio>
#include <exception>
#include <new>
#include <system_error>
#include <utility>

#include "fern/base/error.hpp"
#include "fern/context/dense_stack_pool.hpp"
#include "fern/context/stack.hpp"
#include "fern/hub/waiter.hpp"

namespace fern {
namespace detail {
constinit thread_local Hub* t_hub = nullptr;

namespace {
std::atomic<std::uint64_t> g_fork_generation{0};
void count_fork_in_child() noexcept { g_fork_generation.fetch_add(1, std::memory_order_relaxed); }
}  // namespace

// Relaxed: the count changes only in the child's atfork handler, on its one thread, before any
// thread that could read it there exists.
std::uint64_t fork_generation() noexcept { return g_fork_generation.load(std::memory_order_relaxed); }
}  // namespace detail

namespace {

// Registered before the first inbox exists, so every fork after it is counted, and ahead of the
// monitor's handler (start_monitor makes a hub first), whose thread may post at once.
void count_forks() noexcept {
  static const bool counting = pthread_atfork(nullptr, nullptr, &detail::count_fork_in_child) == 0;
  (void)counting;
}

// The inbox a post to `inbox` goes to in this process: itself, or, for one made before a fork, the
// one that replaced it in the forking thread's hub; null if none did (that hub's thread is not here).
detail::HubInbox* current_inbox(detail::HubInbox* inbox) noexcept {
  const std::uint64_t generation = detail::fork_generation();
  while (inbox && inbox->generation != generation) inbox = inbox->successor.load(std::memory_order_acquire);
  return inbox;
}

// What threads of the parent posted before the fork: dropped. One that was posting at that moment
// left the lock held and the vector perhaps half-updated; that vector is then abandoned, not freed.
void drop_posts_from_before_fork(detail::HubInbox& retired) noexcept {
  if (!retired.mutex.try_lock()) {
    new (&retired.calls) std::vector<std::function<void()>>();
    return;
  }
  std::vector<std::function<void()>> dropped;
  dropped.swap(retired.calls);
  retired.mutex.unlock();
}

// Declared after the greenlet layer's thread state is touched (see hub_slot), so the hub is
// destroyed first at thread exit, while its greenlets can still be unwound.
std::unique_ptr<Hub>& hub_slot() {
  Greenlet::current();
  static thread_local std::unique_ptr<Hub> hub;
  return hub;
}

// Reports the exception being handled to the current thread's hub.
void report_uncaught(Hub& hub, ErrorReport::Source source, std::string name = {}) noexcept {
  ErrorReport report{source, std::current_exception()};
  report.greenlet_name = std::move(name);
  hub.report_error(report);
}

}  // namespace

Hub& Hub::install(DriverKind kind) {
  std::unique_ptr<Hub>& slot = hub_slot();
  if (slot) {
    if (slot->driver().kind() == kind) return *slot;
    detail::t_hub = nullptr;
    slot.reset();
  }
  slot = std::make_unique<Hub>(make_driver(kind));
  detail::t_hub = slot.get();
  return *slot;
}

Hub::Hub(std::unique_ptr<Driver> driver)
    : driver_(std::move(driver)),
      greenlet_([this] { loop(); }, nullptr, GreenletOptions{context::kDefaultStackSize, StackMode::guarded}),
      main_(Greenlet::current()),
      now_(Clock::now()),
      inbox_(std::make_shared<detail::HubInbox>()) {
  count_forks();
  inbox_->driver = driver_.get();
  greenlet_.set_name("hub");
  ready_.reserve(64);
  running_.reserve(64);
}

Hub::~Hub() {
  {
    std::lock_guard lock(inbox_->mutex);
    inbox_->driver = nullptr;
  }
  // A greenlet killed before it ever ran keeps its last reference in its ready-queue entry, which
  // the hub drops on reaching it; a hub going away first drops it here (or the greenlet leaks).
  // Before unwind_remaining(), while every entry still points at a live object.
  for (std::vector<ReadyItem>* queue : {&running_, &ready_}) {
    for (std::size_t i = queue == &running_ ? next_running_ : 0; i < queue->size(); ++i) {
      Greenlet* g = (*queue)[i].greenlet;
      if (!g || !g->dead() || !g->scheduler_slot()) continue;
      (*queue)[i].greenlet = nullptr;
      static_cast<HubResident*>(std::exchange(g->scheduler_slot(), nullptr))->after_death();
    }
  }
  unwind_remaining();
  detail::t_hub = nullptr;
  if (greenlet_.active()) {
    greenlet_.set_parent(Greenlet::current());
    try {
      greenlet_.throw_in(GreenletExit());
    } catch (...) {
    }
  }
  for (ReadyItem& item : ready_) delete item.call;
  for (std::size_t i = next_running_; i < running_.size(); ++i) delete running_[i].call;
}

void Hub::reinit() {
  driver_->reinit_after_fork();
  replace_inbox();
  end_jobs_lost_in_fork();
}

// The old inbox may be locked for good by a thread that did not survive the fork: a fresh one takes
// over, and handles to the old one follow it (current_inbox), so the child's own RemoteHubs, the
// monitor's among them, keep working.
void Hub::replace_inbox() {
  auto fresh = std::make_shared<detail::HubInbox>();
  fresh->driver = driver_.get();
  std::shared_ptr<detail::HubInbox> retired = std::exchange(inbox_, fresh);
  retired->driver = nullptr;  // ~Hub clears only the current inbox's
  retired->successor_owner = fresh;
  retired->successor.store(fresh.get(), std::memory_order_release);
  drop_posts_from_before_fork(*retired);
}

// The threads that ran these jobs are not in the child: their reports (queued in the pool, running,
// or posted to the old inbox) will never come.
void Hub::end_jobs_lost_in_fork() noexcept {
  std::vector<std::shared_ptr<detail::OffloadedJob>> lost;
  lost.swap(offloaded_jobs_);
  external_refs_ -= lost.size();
  for (const auto& job : lost) job->lost_in_fork();
}

void Hub::begin_offloaded_job(std::shared_ptr<detail::OffloadedJob> job) {
  job->hub_slot_ = offloaded_jobs_.size();
  offloaded_jobs_.push_back(std::move(job));
  add_external_ref();
}

bool Hub::end_offloaded_job(detail::OffloadedJob& job) noexcept {
  const std::size_t slot = job.hub_slot_;
  if (slot >= offloaded_jobs_.size() || offloaded_jobs_[slot].get() != &job) return false;
  std::swap(offloaded_jobs_[slot], offloaded_jobs_.back());
  offloaded_jobs_[slot]->hub_slot_ = slot;
  offloaded_jobs_.pop_back();
  release_external_ref();
  return true;
}

// The loop: run what is ready, fire due timers, then sleep in the driver until I/O, the next timer
// or another thread. While greenlets stay ready the driver is only polled every few turns: each
// poll is a system call, and a busy hub would otherwise pay one per turn. When nothing at all can
// happen, the waiting main greenlet gets LoopExit.
void Hub::loop() {
  for (;;) {
    ++counters_.loop_turns;
    run_ready();
    if (!timers_.empty()) {
      now_ = Clock::now();
      run_due_timers();
    }
    if (ready_.empty() && idle()) {
      raise_loop_exit();
      continue;
    }
    if (ready_.empty() || ++busy_turns_ >= kPollEveryBusyTurns) {
      busy_turns_ = 0;
      poll_io();
    }
    run_threadsafe_callbacks();
  }
}

void Hub::run_ready() {
  // Only what was ready when the turn began: a greenlet that yields again waits for the next turn,
  // so I/O and timers are never starved. A direct handoff may have begun this turn, or run part of
  // it, while the hub was switched out: the hub carries on from the batch's next item.
  if (next_running_ == running_.size()) {
    running_.clear();
    running_.swap(ready_);
    next_running_ = 0;
  }
  while (next_running_ < running_.size()) {
    ReadyItem item = running_[next_running_++];
    if (item.greenlet) {
      resume(*item.greenlet);
    } else if (item.coroutine) {
      resume(std::coroutine_handle<>::from_address(item.coroutine));
    } else {
      try {
        (*item.call)();
      } catch (...) {
        report_uncaught(*this, ErrorReport::Source::hub_callback);
      }
      delete item.call;
    }
  }
}

void Hub::switch_away() {
  if (Greenlet* next = next_handoff()) {
    last_resumed_ = next;
    ++counters_.switches;
    next->switch_to();
  } else {
    greenlet_.switch_to();
  }
}

// A direct handoff: the greenlet the hub would resume next, taken by the greenlet that parks, so
// the two switches through the hub become one. Only when the hub would do nothing else first:
// the next item of this turn's batch, or at the turn's end the next batch's head if no timer is
// due, no poll is due and no other thread posted anything (what loop() checks between turns).
// What runs, and in which order, is unchanged. Callbacks, coroutines and greenlets not yet started
// (or already dead) are left to the hub, which runs them on its own stack.
Greenlet* Hub::next_handoff() noexcept {
  // The hub must be switched out in resume(), where it handles what switches back (not fresh, not
  // in a callback, not in raise_loop_exit()'s throw into the main greenlet).
  if (!hub_in_resume_) return nullptr;
  if (next_running_ == running_.size() && !may_start_turn_directly()) return nullptr;
  Greenlet* next = running_[next_running_].greenlet;
  if (!next || !next->active()) return nullptr;
  ++next_running_;
  return next;
}

bool Hub::may_start_turn_directly() noexcept {
  if (ready_.empty() || shutting_down_) return false;
  if (busy_turns_ + 1 >= kPollEveryBusyTurns) return false;  // the hub's turn to poll
  if (inbox_->pending.load(std::memory_order_seq_cst)) return false;
  if (!timers_.empty()) {
    now_ = Clock::now();
    if (timers_.next_deadline() <= now_) return false;
  }
  ++busy_turns_;
  running_.clear();
  running_.swap(ready_);
  next_running_ = 0;
  return true;
}

void Hub::run_due_timers() {
  while (Timer* t = timers_.pop_expired(now_)) t->on_expire(*t);
}

void Hub::poll_io() {
  Duration timeout = Duration::zero();
  if (ready_.empty()) {
    TimePoint next = timers_.next_deadline();
    timeout = next == TimePoint::max() ? kForever : std::max(next - Clock::now(), Duration::zero());
  }
  if (ready_.empty()) release_after_spike(timeout);
  if (inbox_->pending.load(std::memory_order_seq_cst)) timeout = Duration::zero();
  ++counters_.polls;
  driver_->poll(timeout);
  now_ = Clock::now();
  timers_.settle();  // the waits this poll did not end keep their timers: onto the heap with them
}

// A spike (ten thousand connections, a million greenlets) leaves its memory with the process once it
// is over: stacks cached for reuse keep the pages their greenlets touched, and glibc keeps freed heap
// pages resident unless they sit at the top of the heap. Worse, the next spike touches other pages
// of the same free heap, so a server's RSS grows from wave to wave towards the spike's whole heap.
// So when the greenlets alive have fallen to a quarter of their peak (at least kSpikeGreenlets) and
// the count has then stayed put for kSpikeQuiet while the hub had nothing to run, the hub hands the
// caches, the spike-sized tables and the free heap back to the kernel, once per spike. A steady
// program (the count near its peak) never pays for it; the check costs one load per idle poll.
void Hub::release_after_spike(Duration& timeout) {
  constexpr std::size_t kSpikeGreenlets = 1024;
  constexpr Duration kSpikeQuiet = std::chrono::milliseconds(250);
  const std::size_t live = counters_.live_greenlets.load(std::memory_order_relaxed);
  const std::size_t peak = counters_.live_peak;
  if (peak < kSpikeGreenlets || live > peak / 4) {
    release_at_ = TimePoint::max();
    return;
  }
  const TimePoint now = Clock::now();
  if (live != live_seen_ || release_at_ == TimePoint::max()) {
    live_seen_ = live;
    release_at_ = now + kSpikeQuiet;  // greenlets still finishing: wait until they are done
  }
  if (now < release_at_) {
    timeout = std::min(timeout, std::chrono::duration_cast<Duration>(release_at_ - now));
    return;
  }
  release_cached_memory();
  counters_.live_peak = live;
  release_at_ = TimePoint::max();
}

void Hub::release_cached_memory() noexcept {
  ++counters_.memory_releases;
  context::StackPool::local().trim();
  context::DenseStackPool::trim_local();
  // The ready queues keep the capacity of the spike's longest turn (24 bytes a greenlet).
  if (ready_.empty() && next_running_ == running_.size()) {
    running_ = {};
    next_running_ = 0;
    ready_.shrink_to_fit();
  }
  // The timer heap keeps the capacity of the most timers armed at once (24 bytes each: a server's
  // idle timeouts, one per connection). Only an empty heap gives it back.
  timers_.release_memory();
  // The driver's tables indexed by descriptor number keep the spike's highest number.
  driver_->release_unused_memory();
#if defined(__GLIBC__)
  ::malloc_trim(0);  // the free heap pages, wherever they are, not only the top of the heap
#endif
}

void Hub::run_threadsafe_callbacks() {
  // A plain load first: the locked exchange is paid only when another thread posted something.
  if (!inbox_->pending.load(std::memory_order_seq_cst)) return;
  if (!inbox_->pending.exchange(false, std::memory_order_seq_cst)) return;
  std::vector<std::function<void()>> batch;
  {
    std::lock_guard lock(inbox_->mutex);
    batch.swap(inbox_->calls);
  }
  for (auto& fn : batch) {
    try {
      fn();
    } catch (...) {
      report_uncaught(*this, ErrorReport::Source::threadsafe_callback);
    }
  }
  detail::answer_dump_request(*inbox_);
}

bool Hub::idle() const noexcept {
  return timers_.empty() && driver_->waiting() == 0 && external_refs_ == 0 &&
         !inbox_->pending.load(std::memory_order_seq_cst);
}

void Hub::raise_loop_exit() {
  if (Waiter* w = Waiter::of(*main_)) {
    w->fail(std::make_exception_ptr(LoopExit()));
  } else {
    main_->throw_in(LoopExit());
  }
}

void Hub::resume(Greenlet& g) {
  last_resumed_ = &g;
  ++counters_.switches;
  hub_in_resume_ = true;
  try {
    g.switch_to();
  } catch (const GreenletExit&) {
    if (shutting_down_) throw;  // ~Hub is unwinding the hub's own greenlet
  } catch (...) {
    // Only a raw greenlet whose parent is the hub can end here; spawned ones catch their own.
    report_uncaught(*this, ErrorReport::Source::raw_greenlet, last_resumed_->name());
  }
  hub_in_resume_ = false;
  // Direct handoffs may have moved on from `g`: what switched back here is the last one resumed.
  Greenlet& back = *last_resumed_;
  if (back.dead() && back.scheduler_slot()) {
    auto* resident = static_cast<HubResident*>(std::exchange(back.scheduler_slot(), nullptr));
    resident->after_death();
  }
}

void Hub::resume(std::coroutine_handle<> h) noexcept {
  // fern::aio's promises keep what their body throws; anything else escaping is reported here.
  try {
    h.resume();
  } catch (...) {
    report_uncaught(*this, ErrorReport::Source::coroutine);
  }
}

ErrorHandler Hub::set_error_handler(ErrorHandler handler) {
  return std::exchange(error_handler_, std::move(handler));
}

void Hub::report_error(const ErrorReport& report) noexcept {
  if (!error_handler_) return print_error_report(report);
  try {
    error_handler_(report);
  } catch (...) {
    print_error_report(report);
    std::fprintf(stderr, "fern: the hub's error handler threw while handling it: %s\n",
                 describe_exception(std::current_exception()).c_str());
  }
}

void Hub::call_soon(std::function<void()> fn) {
  auto* call = new std::function<void()>(std::move(fn));
  try {
    ready_.push_back({nullptr, call, nullptr});
  } catch (...) {
    delete call;
    throw;
  }
}

bool RemoteHub::call(std::function<void()> fn) const {
  detail::HubInbox* inbox = current_inbox(inbox_.get());
  if (!inbox) return false;
  std::lock_guard lock(inbox->mutex);
  if (!inbox->driver) return false;
  inbox->calls.push_back(std::move(fn));
  // seq_cst, as every access to `pending`: with the driver's WakeSignal it is one half of a
  // store-buffering pair (see fern/driver/wake_signal.hpp).
  inbox->pending.store(true, std::memory_order_seq_cst);
  inbox->driver->wake();  // under the lock: the driver cannot go away meanwhile
  return true;
}

void Hub::unwind_remaining() noexcept {
  shutting_down_ = true;
  while (!residents_.empty()) {
    HubResident* r = residents_.pop_front();
    r->unwind_at_shutdown();
  }
}

}  // namespace fern
