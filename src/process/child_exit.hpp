// How a child's exit is noticed and collected: a pidfd watched on the hub when the kernel has
// pidfd_open, else waitid(WNOHANG) polled on the hub's timers. Waiting and reaping are separate
// steps, so several greenlets may wait for one child and exactly one of them reaps it.
#pragma once

#include <sys/types.h>

#include <optional>

#include "fern/base/clock.hpp"

namespace fern::subprocess::detail {

// A pidfd for `pid` (close-on-exec, adopted by the hub's driver), or -1 when pidfd_open is not
// available (ENOSYS, FERN_PIDFD=off) or fails: the caller then polls.
int open_pidfd(pid_t pid) noexcept;

// Reaps `pid` if it has exited and returns its returncode (-N for death by signal N); nothing
// while it runs. A child someone else reaped counts as exited with 0. Throws std::system_error
// for any other waitid failure.
std::optional<int> try_reap(pid_t pid);

// Parks the calling greenlet until `pid` has exited (without reaping it): on `pidfd`, or by
// polling when it is -1. False when `deadline` passed first; true also when the pidfd was closed
// meanwhile (another greenlet reaped the child).
bool wait_exited(pid_t pid, int pidfd, TimePoint deadline);

// Sends `sig` through `pidfd` (or kill(2) when it is -1; the pid is still ours since it has not
// been reaped). A child that has exited but is not reaped yet is not an error.
void signal_child(pid_t pid, int pidfd, int sig);

// Hands an unreaped child to a greenlet that waits for it, reaps it and closes `pidfd`; without a
// live hub, only closes `pidfd` (the child stays a zombie once it exits). Never throws.
void reap_in_background(pid_t pid, int pidfd) noexcept;

}  // namespace fern::subprocess::detail
