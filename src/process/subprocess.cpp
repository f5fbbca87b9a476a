#include "fern/process/subprocess.hpp"

#include <signal.h>

#include <utility>

#include "child_exit.hpp"
#include "fern/base/error.hpp"
#include "fern/hub/driver.hpp"
#include "fern/hub/fd_watch.hpp"
#include "fern/hub/io_wait.hpp"
#include "fern/hub/waiter.hpp"
#include "spawn_child.hpp"

namespace fern::subprocess {

namespace {
TimePoint deadline_of(Duration timeout) noexcept {
  return timeout == kForever ? TimePoint::max() : deadline_after(timeout);
}
}  // namespace

Popen::Popen(std::vector<std::string> argv, Options options) : args_(std::move(argv)) {
  detail::SpawnedChild child = detail::spawn_child(args_, options);
  pid_ = child.pid;
  pidfd_ = detail::open_pidfd(pid_);
  stdin_ = std::move(child.in);
  stdout_ = std::move(child.out);
  stderr_ = std::move(child.err);
}

Popen::Popen(Popen&& other) noexcept
    : args_(std::move(other.args_)),
      pid_(std::exchange(other.pid_, -1)),
      pidfd_(std::exchange(other.pidfd_, -1)),
      returncode_(std::exchange(other.returncode_, std::nullopt)),
      stdin_(std::move(other.stdin_)),
      stdout_(std::move(other.stdout_)),
      stderr_(std::move(other.stderr_)),
      communicating_(std::exchange(other.communicating_, false)),
      unsent_input_(std::move(other.unsent_input_)),
      out_(std::move(other.out_)),
      err_(std::move(other.err_)) {}

Popen& Popen::operator=(Popen&& other) noexcept {
  Popen taken(std::move(other));
  swap(taken);
  return *this;  // what this held goes with `taken`, as its destructor would take it
}

void Popen::swap(Popen& other) noexcept {
  using std::swap;
  swap(args_, other.args_);
  swap(pid_, other.pid_);
  swap(pidfd_, other.pidfd_);
  swap(returncode_, other.returncode_);
  swap(stdin_, other.stdin_);
  swap(stdout_, other.stdout_);
  swap(stderr_, other.stderr_);
  swap(communicating_, other.communicating_);
  swap(unsent_input_, other.unsent_input_);
  swap(out_, other.out_);
  swap(err_, other.err_);
}

Popen::~Popen() {
  stdin_.close();
  stdout_.close();
  stderr_.close();
  if (pid_ > 0 && !returncode_) {
    detail::reap_in_background(pid_, std::exchange(pidfd_, -1));
  } else if (pidfd_ >= 0) {
    close_fd(std::exchange(pidfd_, -1));
  }
}

// Reaps the child if it has exited; the pidfd goes with it (the pid is no longer ours).
bool Popen::reap_now() {
  if (returncode_) return true;
  if (pid_ <= 0) throw_error(Errc::invalid_argument, "fern: this Popen has no child (moved from)");
  returncode_ = detail::try_reap(pid_);
  if (!returncode_) return false;
  // Closing wakes any other greenlet waiting on the pidfd; it finds the returncode set.
  if (pidfd_ >= 0) close_fd(std::exchange(pidfd_, -1));
  return true;
}

std::optional<int> Popen::poll() {
  reap_now();
  return returncode_;
}

int Popen::wait(Duration timeout) { return wait_until(deadline_of(timeout)); }

int Popen::wait_until(TimePoint deadline) {
  while (!reap_now()) {
    if (!detail::wait_exited(pid_, pidfd_, deadline) && !reap_now()) {
      throw TimeoutExpired("fern: the child process did not exit in time");
    }
  }
  return *returncode_;
}

void Popen::send_signal(int sig) {
  if (returncode_ || pid_ <= 0) return;  // reaped: the pid may be another process's by now
  detail::signal_child(pid_, pidfd_, sig);
}

void Popen::terminate() { send_signal(SIGTERM); }

void Popen::kill() { send_signal(SIGKILL); }

Output Popen::communicate(std::string_view input, Duration timeout) {
  TimePoint deadline = deadline_of(timeout);
  if (!input.empty() && (communicating_ || !stdin_)) {
    throw_error(Errc::invalid_argument,
                communicating_ ? "fern: communicate carries on an earlier call; it takes no input"
                               : "fern: communicate input needs Stdio::pipe for stdin");
  }
  std::string_view unsent = communicating_ ? std::string_view(unsent_input_) : input;
  communicating_ = true;
  try {
    exchange(unsent, deadline);
  } catch (...) {
    // Keep what is left for the next call: the caller's input may be gone by then.
    std::string rest(unsent);
    unsent_input_ = std::move(rest);
    throw;
  }
  unsent_input_.clear();
  wait_until(deadline);
  return Output{std::move(out_), std::move(err_)};
}

// Feeds stdin and empties stdout and stderr until all three are closed, parking on all the open
// ones at once (one Waiter, one FdWatch each) whenever none can move.
void Popen::exchange(std::string_view& input, TimePoint deadline) {
  for (;;) {
    feed_stdin(input);
    drain(stdout_, out_);
    drain(stderr_, err_);
    if (!stdin_ && !stdout_ && !stderr_) return;
    Waiter waiter;
    FdWatch watches[3];
    bool ready = (stdin_ && !watches[0].start(waiter, stdin_.fd(), io_events::writable)) ||
                 (stdout_ && !watches[1].start(waiter, stdout_.fd(), io_events::readable)) ||
                 (stderr_ && !watches[2].start(waiter, stderr_.fd(), io_events::readable));
    if (!ready && !waiter.park(deadline)) throw TimeoutExpired("fern: communicate timed out");
  }
}

// Writes until the pipe is full; closes stdin once the input is out, or when the child stopped
// reading (EPIPE: the rest of the input is dropped, as Python does).
void Popen::feed_stdin(std::string_view& input) {
  while (stdin_) {
    if (input.empty()) {
      stdin_.close();
      return;
    }
    std::error_code ec;
    input.remove_prefix(stdin_.write_some(input.data(), input.size(), ec));
    if (ec == Errc::would_block) return;
    if (ec == std::errc::broken_pipe) {
      input = {};
      stdin_.close();
      return;
    }
    if (ec) throw_error(ec, "fern: writing to a child's stdin");
  }
}

// Reads until the pipe is empty; closes it at end of stream.
void Popen::drain(PipeEnd& pipe, std::string& into) {
  constexpr std::size_t kChunk = 64 * 1024;  // a default pipe's whole buffer
  while (pipe) {
    std::size_t old_size = into.size();
    into.resize(old_size + kChunk);
    std::error_code ec;
    std::size_t n = pipe.read_some(into.data() + old_size, kChunk, ec);
    into.resize(old_size + n);
    if (ec == Errc::would_block) return;
    if (ec) throw_error(ec, "fern: reading a child's output");
    if (n == 0) pipe.close();
  }
}

void Popen::kill_and_reap() noexcept {
  try {
    kill();
    wait();
  } catch (...) {
    // Killed again while reaping, or the hub is going away: the destructor's reaper takes over.
  }
}

}  // namespace fern::subprocess
