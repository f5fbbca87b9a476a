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
#include <thread>

#include <fern/greenlet/greenlet.hpp>
#include <fern/hook/block_watchdog.hpp>
#include <fern/hub/hub.hpp>

#include "cooperation.hpp"
#include "watch_registry.hpp"

namespace fern::hook {

namespace {

constexpr int kMaxFrames = 48;
constexpr std::size_t kNameSize = 64;

int capture_signal() noexcept { return SIGRTMAX - 3; }

// One watched thread. The owning thread creates and destroys it; the watchdog thread reads it under
// the registry mutex; the signal handler fills the capture fields on the owning thread.
struct WatchedThread {
  pthread_t handle{};
  long tid = 0;
  Greenlet* const* current_slot = nullptr;  // that thread's fern::detail::t_current
  const Hub* hub = nullptr;
  const Greenlet* hub_greenlet = nullptr;
  const Greenlet* main_greenlet = nullptr;
  RemoteHub remote;
  // Sampling state, watchdog thread only.
  std::shared_ptr<std::atomic<std::uint64_t>> answered = std::make_shared<std::atomic<std::uint64_t>>(0);
  std::uint64_t sent = 0;
  TimePoint sent_at{};
  const Greenlet* sent_for = nullptr;
  bool reported = false;
  std::atomic<int> parked{0};  // greenlets of this thread parked in a hooked call
  // Call-site capture: 0 idle, 1 asked, 2 filled by the handler.
  std::atomic<int> capture{0};
  void* frames[kMaxFrames] = {};
  int frame_count = 0;
  char name[kNameSize] = {};
};

struct Registry {
  std::mutex mutex;
  std::condition_variable changed;
  std::vector<WatchedThread*> threads;
  monkey::BlockReporter reporter;
  bool started = false;
  bool signal_ready = false;
};

// Never destroyed: the watchdog thread and exiting threads use it while the process ends.
Registry& registry() {
  static auto* r = new Registry();
  return *r;
}

std::atomic<std::int64_t> g_threshold_ns{-1};  // -1: not read from the environment yet

thread_local WatchedThread* t_watched = nullptr;

struct Unwatch {
  ~Unwatch() {
    if (!t_watched) return;
    Registry& r = registry();
    std::lock_guard lock(r.mutex);
    std::erase(r.threads, t_watched);
    delete t_watched;
    t_watched = nullptr;
  }
};
thread_local Unwatch t_unwatch;

void on_capture_signal(int) {
  int saved = errno;
  WatchedThread* w = t_watched;
  if (w && w->capture.load(std::memory_order_acquire) == 1) {
    w->frame_count = backtrace(w->frames, kMaxFrames);
    const std::string& name = Greenlet::current()->name();
    std::size_t n = std::min(name.size(), kNameSize - 1);
    std::memcpy(w->name, name.data(), n);
    w->name[n] = '\0';
    w->capture.store(2, std::memory_order_release);
  }
  errno = saved;
}

// The handler is installed only if the program left the signal alone.
bool install_signal_handler() noexcept {
  struct sigaction old {};
  if (sigaction(capture_signal(), nullptr, &old) != 0) return false;
  if (old.sa_handler != SIG_DFL && old.sa_handler != SIG_IGN) return false;
  struct sigaction sa {};
  sa.sa_handler = on_capture_signal;
  sa.sa_flags = SA_RESTART;
  sigemptyset(&sa.sa_mask);
  void* warm[1];
  backtrace(warm, 1);  // loads the unwinder now, not inside the handler
  return sigaction(capture_signal(), &sa, nullptr) == 0;
}

std::vector<std::string> symbolize(WatchedThread& w) {
  std::vector<std::string> out;
  char** names = backtrace_symbols(w.frames, w.frame_count);
  for (int i = 0; i < w.frame_count; ++i) out.emplace_back(names ? names[i] : "?");
  std::free(names);
  return out;
}

void report(WatchedThread& w, Duration held, bool with_signal) {
  monkey::BlockReport rep;
  rep.thread_id = w.tid;
  rep.held = std::chrono::duration_cast<std::chrono::milliseconds>(held);
  w.capture.store(1, std::memory_order_release);
  if (with_signal && pthread_kill(w.handle, capture_signal()) == 0) {
    for (int i = 0; i < 200 && w.capture.load(std::memory_order_acquire) != 2; ++i)
      std::this_thread::sleep_for(std::chrono::microseconds(500));
  }
  if (w.capture.load(std::memory_order_acquire) == 2) {
    rep.greenlet = w.name;
    rep.call_site = symbolize(w);
  }
  w.capture.store(0, std::memory_order_release);
  if (registry().reporter) {
    registry().reporter(rep);
  } else {
    std::fputs(monkey::format_block_report(rep).c_str(), stderr);
  }
}

// One look at one thread (registry mutex held).
void sample(WatchedThread& w, Duration threshold, bool with_signal) {
  const Greenlet* running = __atomic_load_n(w.current_slot, __ATOMIC_RELAXED);
  TimePoint now = Clock::now();
  const bool answered = w.answered->load(std::memory_order_acquire) >= w.sent;
  if (!running || running == w.hub_greenlet) {
    w.reported = false;
    return;
  }
  if (answered) {
    w.reported = false;
    ++w.sent;
    w.sent_at = now;
    w.sent_for = running;
    auto slot = w.answered;
    std::uint64_t seq = w.sent;
    w.remote.call([slot, seq] { slot->store(seq, std::memory_order_release); });
    return;
  }
  if (w.reported || running != w.sent_for || now - w.sent_at < threshold) return;
  if (running == w.main_greenlet && w.parked.load(std::memory_order_relaxed) == 0) return;
  w.reported = true;
  report(w, now - w.sent_at, with_signal);
}

void watchdog_main() {
  Registry& r = registry();
  std::unique_lock lock(r.mutex);
  for (;;) {
    Duration threshold = monkey::block_threshold();
    Duration period = threshold == Duration::zero()
                          ? Duration(std::chrono::milliseconds(200))
                          : std::clamp<Duration>(threshold / 4, std::chrono::milliseconds(2),
                                                 std::chrono::milliseconds(250));
    r.changed.wait_for(lock, period);
    if (threshold == Duration::zero()) continue;
    for (WatchedThread* w : r.threads) sample(*w, threshold, r.signal_ready);
  }
}

// Registry mutex held.
void ensure_started(Registry& r) {
  if (r.started || monkey::block_threshold() == Duration::zero()) return;
  r.signal_ready = install_signal_handler();
  t_starting_internal_thread = true;
  try {
    std::thread(watchdog_main).detach();
    r.started = true;
  } catch (...) {
    // No thread: nothing is watched, everything else works.
  }
  t_starting_internal_thread = false;
}

void reset_after_fork() {
  // Only the forking thread exists in the child; its record stays, the watchdog thread is gone.
  Registry& r = registry();
  new (&r.mutex) std::mutex();
  new (&r.changed) std::condition_variable();
  r.threads.clear();
  if (t_watched) r.threads.push_back(t_watched);
  r.started = false;
}

}  // namespace

ParkedInHook::ParkedInHook() noexcept {
  if (t_watched) t_watched->parked.fetch_add(1, std::memory_order_relaxed);
}

ParkedInHook::~ParkedInHook() {
  if (t_watched) t_watched->parked.fetch_sub(1, std::memory_order_relaxed);
}

void watch_current_thread(Hub& hub) noexcept {
  if (t_watched && t_watched->hub == &hub) return;
  Registry& r = registry();
  std::lock_guard lock(r.mutex);
  static const bool fork_handler = pthread_atfork(nullptr, nullptr, reset_after_fork) == 0;
  (void)fork_handler;
  try {
    if (!t_watched) {
      t_watched = new WatchedThread();
      r.threads.push_back(t_watched);
      (void)&t_unwatch;  // constructs the thread-local whose destructor unregisters
    }
    WatchedThread& w = *t_watched;
    w.handle = pthread_self();
    w.tid = static_cast<long>(syscall(SYS_gettid));
    w.current_slot = &detail::t_current;
    w.hub = &hub;
    w.hub_greenlet = &hub.greenlet();
    const Greenlet* main = Greenlet::current();
    while (main && !main->is_main()) main = main->parent();
    w.main_greenlet = main;
    w.remote = hub.remote();
    w.sent = w.answered->load();
    w.reported = false;
    ensure_started(r);
  } catch (...) {
  }
}

}  // namespace fern::hook

namespace fern::monkey {

void set_block_reporter(BlockReporter reporter) {
  hook::Registry& r = hook::registry();
  std::lock_guard lock(r.mutex);
  r.reporter = std::move(reporter);
}

void set_block_threshold(Duration threshold) {
  hook::g_threshold_ns.store(std::chrono::duration_cast<std::chrono::nanoseconds>(threshold).count(),
                             std::memory_order_relaxed);
  hook::Registry& r = hook::registry();
  std::lock_guard lock(r.mutex);
  if (!r.threads.empty()) hook::ensure_started(r);
  r.changed.notify_all();
}

Duration block_threshold() noexcept {
  std::int64_t ns = hook::g_threshold_ns.load(std::memory_order_relaxed);
  if (ns < 0) {
    const char* env = std::getenv("FERN_BLOCK_WARN_MS");
    long ms = env ? std::atol(env) : 100;
    ns = std::max(ms, 0L) * 1000000;
    std::int64_t expected = -1;
    if (!hook::g_threshold_ns.compare_exchange_strong(expected, ns, std::memory_order_relaxed)) ns = expected;
  }
  return std::chrono::nanoseconds(ns);
}

std::string format_block_report(const BlockReport& report) {
  std::string out = "fern: greenlet '" + (report.greenlet.empty() ? std::string("?") : report.greenlet) +
                    "' held the hub of thread " + std::to_string(report.thread_id) + " for " +
                    std::to_string(report.held.count()) +
                    " ms without switching (an unhooked blocking call?)\n";
  if (report.call_site.empty()) out += "  (call site unavailable)\n";
  for (const std::string& frame : report.call_site) out += "  " + frame + "\n";
  return out;
}

}  // namespace fern::monkey
