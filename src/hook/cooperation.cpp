#include "cooperation.hpp"

#include <time.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <memory>

#include <fern/base/error.hpp>
#include <fern/greenlet/greenlet_local.hpp>
#include <fern/hook/monkey.hpp>
#include <fern/hub/io_wait.hpp>
#include <fern/hub/thread_pool.hpp>
#include <fern/hub/timeout.hpp>
#include <fern/hub/waiter.hpp>

#include "real_calls.hpp"
#include "watch_registry.hpp"

namespace fern::hook {

std::atomic<bool> g_patched{false};
std::atomic<bool> g_green_threads{false};
thread_local bool t_starting_internal_thread = false;

namespace {

// Greenlets of this thread holding an interruption; when zero, no greenlet-local lookup is made.
thread_local int t_pending_interruptions = 0;

struct PendingInterruption {
  std::exception_ptr error;
  int err = 0;
  PendingInterruption() = default;
  PendingInterruption(const PendingInterruption&) = delete;
  PendingInterruption& operator=(const PendingInterruption&) = delete;
  ~PendingInterruption() {
    if (error) --t_pending_interruptions;
  }
};

GreenletLocal<PendingInterruption>& pending() {
  static auto* local = new GreenletLocal<PendingInterruption>();  // outlives every greenlet
  return *local;
}

int errno_for(const std::exception_ptr& error) noexcept {
  try {
    std::rethrow_exception(error);
  } catch (const TimeoutError&) {
    return ETIMEDOUT;
  } catch (...) {
    return ECANCELED;
  }
}

std::atomic<int> g_file_io{-1};  // -1: not read from the environment yet

}  // namespace

Hub* cooperative_hub() noexcept {
  if (!patched()) return nullptr;
  Hub* hub = Hub::current_if_exists();
  if (!hub || hub->in_hub() || hub->shutting_down()) return nullptr;
  watch_current_thread(*hub);
  return hub;
}

bool fail_if_interrupted() noexcept {
  if (t_pending_interruptions == 0) return false;
  PendingInterruption& p = pending().get();
  if (!p.error) return false;
  errno = p.err;
  return true;
}

void record_interruption(std::exception_ptr error) noexcept {
  int err = errno_for(error);
  try {
    PendingInterruption& p = pending().get();
    if (!p.error) {
      p.error = std::move(error);
      p.err = err;
      ++t_pending_interruptions;
    }
  } catch (...) {
    // No memory for the record: the call still fails with the errno below.
  }
  errno = err;
}

Readiness wait_ready(int fd, std::uint32_t events, TimePoint deadline) noexcept {
  try {
    std::error_code ec = wait_fd(fd, events, deadline);
    if (!ec) return Readiness::ready;
    if (ec == Errc::timed_out) return Readiness::timed_out;
    if (ec == Errc::closed) return Readiness::closed;
    errno = EIO;
    return Readiness::failed;
  } catch (const TimeoutError&) {
    record_interruption(std::current_exception());
  } catch (const std::system_error& e) {
    if (e.code().category() != std::system_category()) {
      record_interruption(std::current_exception());
    } else {
      errno = e.code().value();  // the driver cannot watch this descriptor
    }
  } catch (...) {
    record_interruption(std::current_exception());
  }
  return Readiness::failed;
}

void run_on_pool(Hub& hub, const std::function<void()>& job) noexcept {
  struct State {
    bool done = false;                  // hub thread only
    std::atomic<bool> finished{false};  // set by the pool thread, for the shutdown fallback
    Waiter* waiter = nullptr;
  };
  auto state = std::make_shared<State>();
  RemoteHub remote = hub.remote();
  hub.add_external_ref();
  try {
    t_starting_internal_thread = true;
    ThreadPool::shared().submit([state, remote, &hub, &job] {
      job();
      state->finished.store(true, std::memory_order_release);
      remote.call([state, &hub] {
        state->done = true;
        hub.release_external_ref();
        if (state->waiter) state->waiter->wake();
      });
    });
    t_starting_internal_thread = false;
  } catch (...) {
    t_starting_internal_thread = false;
    hub.release_external_ref();
    job();  // no pool thread to be had: do it here, blocking, as libc would
    return;
  }
  while (!state->done) {
    if (hub.shutting_down()) {
      // The hub is unwinding and will not run again; the job may still write into our buffers.
      timespec tick{0, 1000000};
      while (!state->finished.load(std::memory_order_acquire)) real().nanosleep(&tick, nullptr);
      return;
    }
    try {
      Waiter waiter;
      state->waiter = &waiter;
      struct Clear {
        State& s;
        ~Clear() { s.waiter = nullptr; }
      } clear{*state};
      waiter.park();
    } catch (...) {
      record_interruption(std::current_exception());
    }
  }
}

TimePoint deadline_from_ns(std::int64_t ns) noexcept {
  if (ns <= 0) return TimePoint::max();
  return deadline_after(std::chrono::nanoseconds(ns));
}

int poll_timeout_ms(TimePoint deadline) noexcept {
  if (deadline == TimePoint::max()) return -1;
  auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - Clock::now()).count();
  if (left <= 0) return 0;
  return left > (1 << 30) ? (1 << 30) : static_cast<int>(left);
}

}  // namespace fern::hook

namespace fern::monkey {

bool patched() noexcept { return hook::patched(); }

bool interrupted() noexcept {
  if (hook::t_pending_interruptions == 0) return false;
  return static_cast<bool>(hook::pending().get().error);
}

void rethrow_interruption() {
  if (hook::t_pending_interruptions == 0) return;
  hook::PendingInterruption& p = hook::pending().get();
  if (!p.error) return;
  std::exception_ptr error = std::exchange(p.error, nullptr);
  --hook::t_pending_interruptions;
  std::rethrow_exception(error);
}

void set_file_io(FileIo mode) noexcept {
  hook::g_file_io.store(static_cast<int>(mode), std::memory_order_relaxed);
}

FileIo file_io() noexcept {
  int mode = hook::g_file_io.load(std::memory_order_relaxed);
  if (mode < 0) {
    const char* env = std::getenv("FERN_HOOK_FILES");
    mode = static_cast<int>(env && std::strcmp(env, "direct") == 0 ? FileIo::direct : FileIo::thread_pool);
    int expected = -1;
    if (!hook::g_file_io.compare_exchange_strong(expected, mode, std::memory_order_relaxed)) mode = expected;
  }
  return static_cast<FileIo>(mode);
}

}  // namespace fern::monkey
