#include "child_exit.hpp"

#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <string_view>
#include <system_error>

#include "fern/base/error.hpp"
#include "fern/hub/driver.hpp"
#include "fern/hub/hub.hpp"
#include "fern/hub/io_wait.hpp"
#include "fern/hub/sleep.hpp"
#include "fern/hub/spawn.hpp"

namespace fern::subprocess::detail {

namespace {

using namespace std::chrono_literals;

// FERN_PIDFD=off forces the polling path (a kernel without pidfd_open behaves the same way).
bool pidfd_disabled() noexcept {
  const char* setting = std::getenv("FERN_PIDFD");
  return setting != nullptr && std::string_view(setting) == "off";
}

int returncode_of(const siginfo_t& info) noexcept {
  return info.si_code == CLD_EXITED ? info.si_status : -info.si_status;
}

// waitid for `pid`: true with `info` filled once it has exited, false while it runs.
bool exited(pid_t pid, siginfo_t& info, int flags) {
  for (;;) {
    info = siginfo_t{};  // si_pid stays 0 when WNOHANG finds nothing
    if (::waitid(P_PID, static_cast<id_t>(pid), &info, WEXITED | WNOHANG | flags) == 0)
      return info.si_pid != 0;
    if (errno == EINTR) continue;
    if (errno == ECHILD) return true;  // reaped elsewhere (waitpid(-1), SIGCHLD ignored)
    throw_errno("fern: waitid");
  }
}

bool poll_exited(pid_t pid, TimePoint deadline) {
  Duration pause = 1ms;
  siginfo_t info;
  while (!exited(pid, info, WNOWAIT)) {
    TimePoint now = Clock::now();
    if (now >= deadline) return false;
    sleep_until(std::min(deadline, now + pause));
    pause = std::min<Duration>(pause * 2, 50ms);
  }
  return true;
}

}  // namespace

int open_pidfd(pid_t pid) noexcept {
  if (pidfd_disabled()) return -1;
  long fd = ::syscall(SYS_pidfd_open, pid, 0);  // always close-on-exec
  if (fd < 0) return -1;
  adopt_fd(static_cast<int>(fd));
  return static_cast<int>(fd);
}

std::optional<int> try_reap(pid_t pid) {
  siginfo_t info;
  if (!exited(pid, info, 0)) return std::nullopt;
  return info.si_pid == 0 ? 0 : returncode_of(info);  // si_pid 0 here: ECHILD, status lost
}

bool wait_exited(pid_t pid, int pidfd, TimePoint deadline) {
  if (pidfd < 0) return poll_exited(pid, deadline);
  std::error_code ec = wait_fd(pidfd, io_events::readable, deadline);
  if (ec == Errc::timed_out) return false;
  // Errc::closed: another greenlet reaped the child and closed the pidfd; the caller sees that.
  if (ec && ec != Errc::closed) throw_error(ec, "fern: waiting for a child process");
  return true;
}

void signal_child(pid_t pid, int pidfd, int sig) {
  int result = pidfd >= 0 ? static_cast<int>(::syscall(SYS_pidfd_send_signal, pidfd, sig, nullptr, 0))
                          : ::kill(pid, sig);
  if (result != 0 && errno != ESRCH) throw_errno("fern: signalling a child process");
}

void reap_in_background(pid_t pid, int pidfd) noexcept {
  Hub* hub = Hub::current_if_exists();
  if (hub != nullptr && !hub->shutting_down()) {
    try {
      SpawnOptions options;
      options.name = "fern child reaper";
      spawn_with(options, [pid, pidfd] {
        // Whatever ends this greenlet (the child's exit, the hub unwinding it), the pidfd goes.
        struct ClosePidfd {
          int fd;
          ~ClosePidfd() {
            if (fd >= 0) close_fd(fd);
          }
        } close_pidfd{pidfd};
        while (!try_reap(pid)) wait_exited(pid, pidfd, TimePoint::max());
      });
      return;
    } catch (...) {
      // No memory for a greenlet: fall through and leave the child be.
    }
  }
  if (pidfd >= 0) close_fd(pidfd);
}

}  // namespace fern::subprocess::detail
