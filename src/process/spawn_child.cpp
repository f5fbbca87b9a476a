#include "spawn_child.hpp"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <unistd.h>

#include <map>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

#include "fern/base/error.hpp"
#include "fern/hub/io_wait.hpp"

extern char** environ;

namespace fern::subprocess::detail {

namespace {

void check_spawn_call(int error, const char* what) {
  if (error != 0) throw std::system_error(error, std::system_category(), what);
}

// posix_spawn's list of what the child does between fork and exec, destroyed however we leave.
class FileActions {
 public:
  FileActions() { check_spawn_call(::posix_spawn_file_actions_init(&actions_), "fern: posix_spawn"); }
  FileActions(const FileActions&) = delete;
  FileActions& operator=(const FileActions&) = delete;
  ~FileActions() { ::posix_spawn_file_actions_destroy(&actions_); }

  void dup2(int from, int to) {
    check_spawn_call(::posix_spawn_file_actions_adddup2(&actions_, from, to), "fern: posix_spawn");
  }
  void open(int fd, const char* path, int flags) {
    check_spawn_call(::posix_spawn_file_actions_addopen(&actions_, fd, path, flags, 0), "fern: posix_spawn");
  }
  void chdir(const char* path) {
    check_spawn_call(::posix_spawn_file_actions_addchdir_np(&actions_, path), "fern: posix_spawn");
  }
  void close_from(int fd) {
    check_spawn_call(::posix_spawn_file_actions_addclosefrom_np(&actions_, fd), "fern: posix_spawn");
  }
  const posix_spawn_file_actions_t* get() const noexcept { return &actions_; }

 private:
  posix_spawn_file_actions_t actions_;
};

class SpawnAttributes {
 public:
  SpawnAttributes() { check_spawn_call(::posix_spawnattr_init(&attributes_), "fern: posix_spawn"); }
  SpawnAttributes(const SpawnAttributes&) = delete;
  SpawnAttributes& operator=(const SpawnAttributes&) = delete;
  ~SpawnAttributes() { ::posix_spawnattr_destroy(&attributes_); }

  // No signal blocked, SIGPIPE and SIGXFSZ at their default action (Python's restore_signals).
  void restore_signals() {
    sigset_t none;
    sigemptyset(&none);
    check_spawn_call(::posix_spawnattr_setsigmask(&attributes_, &none), "fern: posix_spawn");
    sigset_t to_default;
    sigemptyset(&to_default);
    sigaddset(&to_default, SIGPIPE);
    sigaddset(&to_default, SIGXFSZ);
    check_spawn_call(::posix_spawnattr_setsigdefault(&attributes_, &to_default), "fern: posix_spawn");
    flags_ |= POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF;
  }
  void new_session() noexcept { flags_ |= POSIX_SPAWN_SETSID; }
  const posix_spawnattr_t* get() {
    check_spawn_call(::posix_spawnattr_setflags(&attributes_, flags_), "fern: posix_spawn");
    return &attributes_;
  }

 private:
  posix_spawnattr_t attributes_;
  short flags_ = 0;
};

// A pipe for one of the child's streams. The child's end stays blocking (programs expect a
// blocking stdin and stdout; O_NONBLOCK belongs to the shared open file, not the descriptor), the
// parent's end is made non-blocking. Both are close-on-exec: the child gets its end only through
// the dup2 in the file actions.
struct ChildPipe {
  PipeEnd parent;
  PipeEnd child;
};

ChildPipe pipe_for_child(bool child_reads) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) throw_errno("fern: pipe2");
  adopt_fd(fds[0]);
  adopt_fd(fds[1]);
  PipeEnd read_end(fds[0]);
  PipeEnd write_end(fds[1]);
  ChildPipe pipe{child_reads ? std::move(write_end) : std::move(read_end),
                 child_reads ? std::move(read_end) : std::move(write_end)};
  if (::fcntl(pipe.parent.fd(), F_SETFL, O_NONBLOCK) != 0) throw_errno("fern: fcntl");
  // A parent running with a standard stream closed gets pipe ends numbered 0-2, and a dup2 into
  // that slot for another stream would overwrite this end before it is used: move it above 2.
  if (pipe.child.fd() <= STDERR_FILENO) {
    int moved = ::fcntl(pipe.child.fd(), F_DUPFD_CLOEXEC, STDERR_FILENO + 1);
    if (moved < 0) throw_errno("fern: fcntl");
    adopt_fd(moved);
    pipe.child = PipeEnd(moved);
  }
  return pipe;
}

void redirect(FileActions& actions, int target, Stdio mode, const PipeEnd& child_end) {
  switch (mode) {
    case Stdio::inherit: return;
    case Stdio::pipe:
      actions.dup2(child_end.fd(), target);  // the new descriptor is not close-on-exec
      return;
    case Stdio::devnull:
      actions.open(target, "/dev/null", target == STDIN_FILENO ? O_RDONLY : O_WRONLY);
      return;
    case Stdio::to_stdout: actions.dup2(STDOUT_FILENO, STDERR_FILENO); return;
  }
}

void check_options(const std::vector<std::string>& argv, const Options& options) {
  if (argv.empty()) throw_error(Errc::invalid_argument, "fern: a subprocess needs a program to run");
  if (options.in == Stdio::to_stdout || options.out == Stdio::to_stdout) {
    throw_error(Errc::invalid_argument, "fern: only stderr can go to stdout");
  }
}

std::vector<char*> pointers_to(const std::vector<std::string>& strings) {
  std::vector<char*> pointers;
  pointers.reserve(strings.size() + 1);
  for (const std::string& s : strings) pointers.push_back(const_cast<char*>(s.c_str()));
  pointers.push_back(nullptr);
  return pointers;
}

std::vector<std::string> environment_entries(const std::map<std::string, std::string>& env) {
  std::vector<std::string> entries;
  entries.reserve(env.size());
  for (const auto& [name, value] : env) entries.push_back(name + "=" + value);
  return entries;
}

[[noreturn]] void throw_cannot_run(int error, const std::vector<std::string>& argv, const Options& options) {
  std::string what = "fern: cannot run '" + argv[0] + "'";
  if (!options.cwd.empty()) what += " in '" + options.cwd + "'";
  throw std::system_error(error, std::system_category(), what);
}

}  // namespace

SpawnedChild spawn_child(const std::vector<std::string>& argv, const Options& options) {
  check_options(argv, options);
  ChildPipe in, out, err;
  if (options.in == Stdio::pipe) in = pipe_for_child(true);
  if (options.out == Stdio::pipe) out = pipe_for_child(false);
  if (options.err == Stdio::pipe) err = pipe_for_child(false);

  FileActions actions;
  redirect(actions, STDIN_FILENO, options.in, in.child);
  redirect(actions, STDOUT_FILENO, options.out, out.child);
  redirect(actions, STDERR_FILENO, options.err, err.child);
  if (!options.cwd.empty()) actions.chdir(options.cwd.c_str());
  actions.close_from(STDERR_FILENO + 1);  // the child gets 0-2 and nothing else, cloexec or not

  SpawnAttributes attributes;
  if (options.restore_signals) attributes.restore_signals();
  if (options.start_new_session) attributes.new_session();

  std::vector<char*> args = pointers_to(argv);
  std::vector<std::string> env_entries;
  std::vector<char*> env_pointers;
  char** envp = environ;
  if (options.env) {
    env_entries = environment_entries(*options.env);
    env_pointers = pointers_to(env_entries);
    envp = env_pointers.data();
  }
  SpawnedChild child;
  if (int error = ::posix_spawnp(&child.pid, args[0], actions.get(), attributes.get(), args.data(), envp)) {
    throw_cannot_run(error, argv, options);
  }
  // The child's ends close here, with `in`, `out` and `err`: the child has its own copies.
  child.in = std::move(in.parent);
  child.out = std::move(out.parent);
  child.err = std::move(err.parent);
  return child;
}

}  // namespace fern::subprocess::detail
