// Subprocesses, Python's subprocess module for greenlets: Popen starts a program, and wait(),
// communicate() and the pipes park only the calling greenlet while the hub runs the others; run()
// is the whole round trip (start, feed, collect, wait) in one call.
//
// How it waits: the child is watched through a pidfd (pidfd_open, Linux 5.3), which becomes
// readable when the child exits, so waiting is one FdWatch on the hub like a socket, needs no
// SIGCHLD handler and signals never reach a recycled pid (pidfd_send_signal). Where pidfd_open
// is unavailable (ENOSYS, or FERN_PIDFD=off in the environment), wait() polls waitid(WNOHANG)
// with a growing pause (1 ms to 50 ms) on the hub's timers instead. Pipes are the parent's ends
// of pipe2(O_CLOEXEC) pairs, made non-blocking (PipeEnd), waited through fern::wait_fd.
//
// How it starts: posix_spawnp (glibc's clone(CLONE_VM|CLONE_VFORK) path: the calling thread is
// held only until the child has exec'd, no page tables are copied). An exec that fails (ENOENT
// for a missing program, EACCES, a missing cwd) is reported by posix_spawn's return value and
// thrown from the constructor as std::system_error with that errno. The child gets exactly the
// descriptors 0, 1 and 2 (every other descriptor is closed in it, close-on-exec or not). By
// default (Options::restore_signals) it starts with no signal blocked, since fern::signal_handler
// blocks the signals it handles in the hub thread and a mask survives exec, and with SIGPIPE and
// SIGXFSZ at their default action.
//
// Exit status: returncode() is the exit code, or -N when signal N killed the child (Python's
// convention). Reaping is waitid(P_PID, pid); some other code in the process that reaps every
// child (waitpid(-1), or SIGCHLD set to SIG_IGN, which makes the kernel reap them) takes the
// status away: the child then counts as exited with 0, as in Python.
//
// A Popen belongs to the hub thread that created it. Destroying one closes its pipes; a child
// still running is neither killed nor waited for by the destructor: a small greenlet on the hub
// keeps its pidfd and reaps it when it exits (so no zombie stays behind), and while it does, the
// hub does not declare LoopExit. If the hub is already gone or shutting down, the child is left
// running and, once it exits, a zombie until this process ends.
#pragma once

#include <cstddef>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "fern/base/clock.hpp"
#include "fern/hub/timeout.hpp"
#include "fern/process/pipe.hpp"

namespace fern::subprocess {

// Where a child's standard stream goes.
enum class Stdio {
  inherit,    // the parent's own descriptor
  pipe,       // a pipe to this process: Popen::stdin_pipe() etc., or communicate()
  devnull,    // /dev/null
  to_stdout,  // stderr only: wherever stdout goes (Python's subprocess.STDOUT)
};

struct Options {
  // The child's whole environment when set ("NAME" -> "value"); the parent's when not. A program
  // name without a slash is still looked up in the parent's PATH.
  std::optional<std::map<std::string, std::string>> env;
  std::string cwd;  // the child's working directory; empty: the parent's
  Stdio in = Stdio::inherit;
  Stdio out = Stdio::inherit;
  Stdio err = Stdio::inherit;
  // Empty signal mask and default SIGPIPE/SIGXFSZ in the child (see above).
  bool restore_signals = true;
  bool start_new_session = false;  // setsid() in the child: its own session and process group
};

struct Output {
  std::string out;
  std::string err;
};

// A wait or communicate whose timeout passed (a fern::TimeoutError, so Errc::timed_out). From
// run() it carries what the child had written until then; from Popen, the Popen keeps it.
class TimeoutExpired : public TimeoutError {
 public:
  explicit TimeoutExpired(const char* what, std::string out = {}, std::string err = {})
      : TimeoutError(nullptr, what), out(std::move(out)), err(std::move(err)) {}
  std::string out;
  std::string err;
};

struct RunOptions;
struct CompletedProcess;

class Popen {
 public:
  // Starts argv[0] with arguments argv[1...]. Throws std::system_error: the errno of a failed
  // start (ENOENT, EACCES, EMFILE, ...), Errc::invalid_argument for an empty argv or to_stdout
  // anywhere but stderr.
  explicit Popen(std::vector<std::string> argv, Options options = {});
  Popen(Popen&& other) noexcept;
  Popen& operator=(Popen&& other) noexcept;
  Popen(const Popen&) = delete;
  Popen& operator=(const Popen&) = delete;
  // Closes the pipes; a running child is left running and reaped in the background (see above).
  ~Popen();

  int pid() const noexcept { return pid_; }
  const std::vector<std::string>& args() const noexcept { return args_; }
  // The parent's ends of the pipes asked for with Stdio::pipe (closed ends otherwise).
  PipeEnd& stdin_pipe() noexcept { return stdin_; }
  PipeEnd& stdout_pipe() noexcept { return stdout_; }
  PipeEnd& stderr_pipe() noexcept { return stderr_; }

  // The exit status once the child has been reaped (wait, poll, communicate), else nothing.
  std::optional<int> returncode() const noexcept { return returncode_; }
  // Reaps the child if it has exited; never parks.
  std::optional<int> poll();
  // Parks the calling greenlet until the child exits; returns its returncode. Throws
  // TimeoutExpired when `timeout` passes first (the child keeps running).
  int wait(Duration timeout = kForever);

  // Writes `input` to stdin (then closes it) while reading stdout and stderr to their ends, all
  // at once, so a child that fills one pipe while its other one waits never deadlocks; then waits
  // for the child to exit. Returns what was read (empty for a stream that is not a pipe). On
  // timeout throws TimeoutExpired and leaves the child running; what was read stays here and the
  // rest of the input is kept, so a later communicate() (with no input) carries on and returns
  // everything. A child that closes its stdin early just gets less input (EPIPE is not an error).
  // Throws Errc::invalid_argument for input without Stdio::pipe stdin, or input given to a
  // communicate that carries on an earlier one.
  Output communicate(std::string_view input = {}, Duration timeout = kForever);

  // Sends `sig` to the child; does nothing once it has been reaped (its pid may have been reused)
  // or if it has exited and not yet been reaped.
  void send_signal(int sig);
  void terminate();  // SIGTERM
  void kill();       // SIGKILL

 private:
  friend CompletedProcess run(std::vector<std::string> argv, RunOptions options);
  void exchange(std::string_view& input, TimePoint deadline);
  void feed_stdin(std::string_view& input);
  void drain(PipeEnd& pipe, std::string& into);
  int wait_until(TimePoint deadline);
  bool reap_now();
  void kill_and_reap() noexcept;
  void swap(Popen& other) noexcept;

  std::vector<std::string> args_;
  int pid_ = -1;
  int pidfd_ = -1;  // -1 when reaped or when pidfd_open is unavailable (then waits poll)
  std::optional<int> returncode_;
  PipeEnd stdin_;
  PipeEnd stdout_;
  PipeEnd stderr_;
  bool communicating_ = false;  // communicate() has started; later calls carry it on
  std::string unsent_input_;    // input a timed-out communicate() had not written yet
  std::string out_;             // what communicate() has read so far
  std::string err_;
};

// --- run: Popen, communicate and wait in one call.

struct RunOptions : Options {
  // Written to stdin (a pipe, then) and stdin closed; without it stdin is `in`.
  std::optional<std::string_view> input;
  Duration timeout = kForever;
  // Non-zero returncode throws CalledProcessError.
  bool check = false;
  // Both stdout and stderr are pipes whose contents end up in CompletedProcess.
  bool capture_output = false;
};

struct CompletedProcess {
  int returncode = 0;
  std::string out;  // empty unless stdout was a pipe (capture_output)
  std::string err;
  std::vector<std::string> args;
  // Throws CalledProcessError when returncode is not 0.
  void check_returncode() const;
};

class CalledProcessError : public std::runtime_error {
 public:
  CalledProcessError(int returncode, std::vector<std::string> args, std::string out, std::string err);
  int returncode;
  std::vector<std::string> args;
  std::string out;
  std::string err;
};

// Starts argv, feeds options.input, collects the output and waits, parking only the calling
// greenlet. On timeout the child is killed and reaped, then TimeoutExpired (with the output read
// so far) is thrown; anything else thrown into the call (a kill, a fern::Timeout scope) also kills
// and reaps it first. Throws what Popen's constructor throws, and CalledProcessError with check.
CompletedProcess run(std::vector<std::string> argv, RunOptions options = {});

// The parent's environment as a map, to copy, change and pass as Options::env.
std::map<std::string, std::string> current_environment();

}  // namespace fern::subprocess
