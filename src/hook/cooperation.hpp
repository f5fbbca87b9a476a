// When and how a hooked call cooperates: the process is patched, the thread has a hub, and the
// caller is a greenlet other than the hub. Parking goes through fern's own waits; what interrupts a
// park (a Timeout scope, a kill) is turned into an errno and kept for rethrow_interruption().
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>

#include <fern/base/clock.hpp>
#include <fern/hub/hub.hpp>

namespace fern::hook {

extern std::atomic<bool> g_patched;
extern std::atomic<bool> g_green_threads;

inline bool patched() noexcept { return g_patched.load(std::memory_order_relaxed); }

// Set while the hook itself starts a thread (thread pool, watchdog), so pthread_create is real.
extern thread_local bool t_starting_internal_thread;

// The hub to cooperate with, or null when the call must behave as libc's.
Hub* cooperative_hub() noexcept;

// True (errno set) when the current greenlet was interrupted in an earlier hooked call: the C code
// above it should unwind, not carry on.
bool fail_if_interrupted() noexcept;
// Records what interrupted a park and sets errno for it (ETIMEDOUT or ECANCELED).
void record_interruption(std::exception_ptr error) noexcept;

enum class Readiness { ready, timed_out, closed, failed };
// Parks until `fd` has `events` (io_events), the deadline, or a close. `failed` leaves errno set
// (an interruption, or a descriptor the driver cannot watch).
Readiness wait_ready(int fd, std::uint32_t events, TimePoint deadline) noexcept;

// Runs `job` on the shared thread pool and parks until it has finished, whatever interrupts the
// park meanwhile (the job may write into the caller's buffers, so it is never abandoned). An
// interruption is recorded and the job's own result stands.
void run_on_pool(Hub& hub, const std::function<void()>& job) noexcept;

// A deadline `ns` from now, or never for 0.
TimePoint deadline_from_ns(std::int64_t ns) noexcept;
// Milliseconds left until `deadline` for poll(2): -1 for never, rounded up.
int poll_timeout_ms(TimePoint deadline) noexcept;

}  // namespace fern::hook
