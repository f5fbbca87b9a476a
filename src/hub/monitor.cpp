#include "fern/hub/monitor.hpp"

#include <execinfo.h>
#include <pthread.h>
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <mutex>
#include <set>
#include <thread>

#include "fern/greenlet/greenlet.hpp"
#include "fern/hub/hub.hpp"
#include "fern/hub/spawn.hpp"

namespace fern {

namespace detail {
thread_local bool t_creating_runtime_thread = false;
}  // namespace detail

namespace {

constexpr int kMaxFrames = 48;
constexpr std::size_t kNameSize = 64;

int capture_signal() noexcept { return SIGRTMAX - 3; }

// One watched thread. Its own thread creates and destroys it; the monitor thread reads it under the
// registry mutex; the capture signal's handler fills the capture fields on the watched thread.
struct Watched {
  pthread_t handle{};
  long tid = 0;
  Greenlet* const* current_slot = nullptr;  // that thread's fern::detail::t_current
  const Greenlet* hub_greenlet = nullptr;
  const Greenlet* main_greenlet = nullptr;
  const std::atomic<std::size_t>* live_greenlets = nullptr;
  RemoteHub remote;
  MonitorOptions options;
  // Sampling state, monitor thread only.
  std::shared_ptr<std::atomic<std::uint64_t>> answered = std::make_shared<std::atomic<std::uint64_t>>(0);
  std::uint64_t sent = 0;
  TimePoint sent_at{};
  const Greenlet* sent_for = nullptr;
  bool reported = false;
  TimePoint next_parked_look{};
  // Parked greenlets already reported, hub thread only (shared so a late look never dangles).
  std::shared_ptr<std::set<std::uint64_t>> parked_reported = std::make_shared<std::set<std::uint64_t>>();
  // Capture: 0 idle, 1 asked, 2 filled by the handler.
  std::atomic<int> capture{0};
  void* frames[kMaxFrames] = {};
  int frame_count = 0;
  char name[kNameSize] = {};
  std::uint64_t greenlet_id = 0;
  const char* site_file = nullptr;
  std::uint32_t site_line = 0;
  const char* site_function = nullptr;
};

struct Registry {
  std::mutex mutex;
  std::condition_variable changed;
  std::vector<Watched*> threads;
  BlockReporter block_reporter;
  ParkedReporter parked_reporter;
  bool started = false;
  bool signal_ready = false;
};

// Never destroyed: the monitor thread and exiting threads use it while the process ends.
Registry& registry() {
  static auto* r = new Registry();
  return *r;
}

thread_local Watched* t_watched = nullptr;

struct Unwatch {
  ~Unwatch() { stop_monitor(); }
};
thread_local Unwatch t_unwatch;

void on_capture_signal(int) {
  int saved = errno;
  Watched* w = t_watched;
  if (w && w->capture.load(std::memory_order_acquire) == 1) {
    w->frame_count = backtrace(w->frames, kMaxFrames);
    Greenlet* g = Greenlet::current();
    const char* name = g->is_main() ? "main" : g->name().c_str();
    std::size_t n = std::min(std::strlen(name), kNameSize - 1);
    std::memcpy(w->name, name, n);
    w->name[n] = '\0';
    w->greenlet_id = 0;
    w->site_file = nullptr;
    if (auto* spawned = dynamic_cast<HubGreenlet*>(g)) {
      w->greenlet_id = spawned->id();
      w->site_file = spawned->spawn_site().file_name();
      w->site_line = spawned->spawn_site().line();
      w->site_function = spawned->spawn_site().function_name();
    }
    w->capture.store(2, std::memory_order_release);
  }
  errno = saved;
}

// The handler is installed only if the program left the signal alone.
bool install_signal_handler() noexcept {
  struct sigaction old {};
  if (sigaction(capture_signal(), nullptr, &old) != 0) return false;
  if (old.sa_handler != SIG_DFL && old.sa_handler != SIG_IGN && old.sa_handler != on_capture_signal)
    return false;
  struct sigaction sa {};
  sa.sa_handler = on_capture_signal;
  sa.sa_flags = SA_RESTART;
  sigemptyset(&sa.sa_mask);
  void* warm[1];
  backtrace(warm, 1);  // loads the unwinder now, not inside the handler
  return sigaction(capture_signal(), &sa, nullptr) == 0;
}

std::vector<std::string> symbolize(Watched& w) {
  std::vector<std::string> out;
  char** names = backtrace_symbols(w.frames, w.frame_count);
  for (int i = 0; i < w.frame_count; ++i) out.emplace_back(names ? names[i] : "?");
  std::free(names);
  return out;
}

void report_block(Watched& w, Duration held, bool with_signal) {
  BlockReport rep;
  rep.thread_id = w.tid;
  rep.held = std::chrono::duration_cast<std::chrono::milliseconds>(held);
  w.capture.store(1, std::memory_order_release);
  if (with_signal && pthread_kill(w.handle, capture_signal()) == 0) {
    for (int i = 0; i < 200 && w.capture.load(std::memory_order_acquire) != 2; ++i)
      std::this_thread::sleep_for(std::chrono::microseconds(500));
  }
  if (w.capture.load(std::memory_order_acquire) == 2) {
    rep.greenlet = w.name;
    rep.greenlet_id = w.greenlet_id;
    if (w.site_file) {
      rep.spawned_at = std::string(w.site_file) + ":" + std::to_string(w.site_line);
      if (w.site_function && *w.site_function) rep.spawned_at += std::string(" in ") + w.site_function;
    }
    rep.stack = symbolize(w);
  }
  w.capture.store(0, std::memory_order_release);
  Registry& r = registry();
  if (r.block_reporter) {
    r.block_reporter(rep);
  } else {
    std::fputs(format_block_report(rep).c_str(), stderr);
  }
  if (w.options.strict) {
    std::fputs("fern: the hub monitor is strict: aborting on a blocked hub\n", stderr);
    std::abort();
  }
}

// One look at one thread for a block (registry mutex held).
void sample_block(Watched& w, bool with_signal) {
  const Duration threshold = w.options.max_blocking_time;
  if (threshold == Duration::zero()) return;
  const Greenlet* running = __atomic_load_n(w.current_slot, __ATOMIC_RELAXED);
  TimePoint now = Clock::now();
  const bool answered = w.answered->load(std::memory_order_acquire) >= w.sent;
  if (!running || running == w.hub_greenlet) {
    w.reported = false;
    return;
  }
  if (answered) {
    w.reported = false;
    auto slot = w.answered;
    std::uint64_t seq = w.sent + 1;
    // A probe that could not be posted is not outstanding (in a child after fork the hub's inbox
    // is refused until Hub::reinit replaces it): the next look tries again.
    if (!w.remote.call([slot, seq] { slot->store(seq, std::memory_order_release); })) return;
    w.sent = seq;
    w.sent_at = now;
    w.sent_for = running;
    return;
  }
  if (running != w.sent_for) {
    // Another greenlet runs while the probe waits: the hub switched to it straight from its ready
    // queue, without reading its inbox. The clock restarts for the one now running; the probe stays
    // outstanding, so a greenlet that then blocks is still caught.
    w.reported = false;
    w.sent_at = now;
    w.sent_for = running;
    return;
  }
  if (w.reported || now - w.sent_at < threshold) return;
  if (running == w.main_greenlet && w.live_greenlets->load(std::memory_order_relaxed) == 0) return;
  w.reported = true;
  report_block(w, now - w.sent_at, with_signal);
}

// Whether a parked greenlet looks stuck: parked long, with no deadline, on something other than
// I/O (an idle connection parked on its descriptor is normal).
bool looks_stuck(const GreenletInfo& g, Duration limit) {
  return g.state == GreenletState::parked && !g.has_deadline && g.waited >= limit &&
         g.waits_on.rfind("fd ", 0) != 0 && g.waits_on != "thread-pool job";
}

// Asks the hub to look at its own parked greenlets (run_info must run on the hub's thread).
void sample_parked(Watched& w) {
  const Duration limit = w.options.max_parked_time;
  if (limit == Duration::zero()) return;
  TimePoint now = Clock::now();
  if (now < w.next_parked_look) return;
  w.next_parked_look = now + std::max<Duration>(limit / 2, std::chrono::milliseconds(10));
  long tid = w.tid;
  auto reported = w.parked_reported;
  w.remote.call([tid, limit, reported] {
    ParkedReport rep;
    rep.thread_id = tid;
    for (GreenletInfo& g : run_info()) {
      if (looks_stuck(g, limit) && reported->insert(g.id).second) rep.greenlets.push_back(std::move(g));
    }
    if (rep.greenlets.empty()) return;
    ParkedReporter reporter;
    {
      std::lock_guard lock(registry().mutex);
      reporter = registry().parked_reporter;
    }
    if (reporter) {
      reporter(rep);
    } else {
      std::fputs(format_parked_report(rep).c_str(), stderr);
    }
  });
}

Duration sample_period(const std::vector<Watched*>& threads) {
  Duration period = std::chrono::milliseconds(250);
  for (const Watched* w : threads) {
    if (w->options.max_blocking_time > Duration::zero())
      period = std::min(period,
                        std::max<Duration>(w->options.max_blocking_time / 4, std::chrono::milliseconds(2)));
    if (w->options.max_parked_time > Duration::zero())
      period =
          std::min(period, std::max<Duration>(w->options.max_parked_time / 4, std::chrono::milliseconds(2)));
  }
  return period;
}

void monitor_main() {
  Registry& r = registry();
  std::unique_lock lock(r.mutex);
  for (;;) {
    r.changed.wait_for(lock, sample_period(r.threads));
    for (Watched* w : r.threads) {
      sample_block(*w, r.signal_ready);
      sample_parked(*w);
    }
  }
}

// Registry mutex held.
void ensure_started(Registry& r) {
  if (r.started) return;
  r.signal_ready = install_signal_handler();
  detail::t_creating_runtime_thread = true;
  try {
    std::thread(monitor_main).detach();
    r.started = true;
  } catch (...) {
    // No thread: nothing is watched, everything else works.
  }
  detail::t_creating_runtime_thread = false;
}

void reset_after_fork() {
  // Only the forking thread exists in the child; its record stays, the monitor thread is gone.
  Registry& r = registry();
  new (&r.mutex) std::mutex();
  new (&r.changed) std::condition_variable();
  r.threads.clear();
  if (t_watched) {
    r.threads.push_back(t_watched);
    t_watched->tid = static_cast<long>(syscall(SYS_gettid));
    t_watched->handle = pthread_self();
    // A probe in flight was posted to the inbox the child's hub drops (Hub::reinit): waiting for
    // its answer would report the hub as held. Sampling starts over.
    t_watched->sent = t_watched->answered->load(std::memory_order_acquire);
    t_watched->reported = false;
    t_watched->capture.store(0, std::memory_order_relaxed);
  }
  r.started = false;
  if (t_watched) ensure_started(r);
}

std::string format_duration_ms(std::chrono::milliseconds ms) { return std::to_string(ms.count()) + " ms"; }

}  // namespace

void start_monitor(const MonitorOptions& options) {
  Hub& hub = Hub::current();
  Registry& r = registry();
  std::lock_guard lock(r.mutex);
  static const bool fork_handler = pthread_atfork(nullptr, nullptr, reset_after_fork) == 0;
  (void)fork_handler;
  if (!t_watched) {
    t_watched = new Watched();
    try {
      r.threads.push_back(t_watched);
    } catch (...) {
      delete std::exchange(t_watched, nullptr);
      throw;
    }
    (void)&t_unwatch;  // constructs the thread-local whose destructor unregisters
  }
  Watched& w = *t_watched;
  w.handle = pthread_self();
  w.tid = static_cast<long>(syscall(SYS_gettid));
  w.current_slot = &detail::t_current;
  w.hub_greenlet = &hub.greenlet();
  const Greenlet* main = Greenlet::current();
  while (main && !main->is_main()) main = main->parent();
  w.main_greenlet = main;
  w.live_greenlets = &hub.counters().live_greenlets;
  w.remote = hub.remote();
  w.options = options;
  w.sent = w.answered->load();
  w.reported = false;
  ensure_started(r);
  r.changed.notify_all();
}

void stop_monitor() noexcept {
  if (!t_watched) return;
  Registry& r = registry();
  std::lock_guard lock(r.mutex);
  std::erase(r.threads, t_watched);
  delete t_watched;
  t_watched = nullptr;
}

bool monitoring() noexcept { return t_watched != nullptr; }

void set_block_reporter(BlockReporter reporter) {
  std::lock_guard lock(registry().mutex);
  registry().block_reporter = std::move(reporter);
}

void set_parked_reporter(ParkedReporter reporter) {
  std::lock_guard lock(registry().mutex);
  registry().parked_reporter = std::move(reporter);
}

std::string format_block_report(const BlockReport& report) {
  std::string who = report.greenlet.empty() ? std::string("?") : report.greenlet;
  if (report.greenlet_id != 0) who += " (#" + std::to_string(report.greenlet_id) + ")";
  std::string out = "fern: greenlet '" + who + "' held the hub of thread " +
                    std::to_string(report.thread_id) + " for " + format_duration_ms(report.held) +
                    " without switching (a busy loop, or a blocking call the hook does not cover?)\n";
  if (!report.spawned_at.empty()) out += "  spawned at " + report.spawned_at + "\n";
  if (report.stack.empty()) out += "  (stack unavailable)\n";
  for (const std::string& frame : report.stack) out += "  " + frame + "\n";
  return out;
}

std::string format_parked_report(const ParkedReport& report) {
  std::string out = "fern: greenlets of thread " + std::to_string(report.thread_id) +
                    " parked with no deadline on something only another greenlet can wake (a leak or a "
                    "deadlock?):\n";
  out += format_run_info(report.greenlets);
  return out;
}

}  // namespace fern
