// A server example run as a real child process: started with posix_spawn, its stdout and stderr in
// a log file the test can read, optionally its stdin on a pipe. The destructor kills and reaps it on
// every path, so a failing test never leaves a server behind.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "servers.hpp"

namespace io_models_test {

using namespace std::chrono_literals;

// Generous bounds that only keep a broken server from hanging the suite; they never decide a result.
inline constexpr std::chrono::seconds kPatience{60};

// A port on 127.0.0.1 that was free a moment ago (the kernel picked it for a socket we then closed).
using fern_test::free_port;

class ServerProcess {
 public:
  // Starts `binary args...`; `with_stdin_pipe` gives the test the write end of the child's stdin,
  // otherwise stdin is /dev/null.
  ServerProcess(const std::string& binary, const std::vector<std::string>& args,
                bool with_stdin_pipe = false);
  ServerProcess(const ServerProcess&) = delete;
  ServerProcess& operator=(const ServerProcess&) = delete;
  ~ServerProcess();

  // Waits for the start line ("... listening on ..."); throws with the log if the child dies first.
  void wait_until_listening();
  // Waits until `needle` occurs `count` times in the log; false after `timeout` or if the child exited.
  bool wait_for_log(std::string_view needle, int count = 1, std::chrono::milliseconds timeout = kPatience);
  std::string log() const;

  void write_stdin(std::string_view bytes);
  void close_stdin();

  pid_t pid() const { return pid_; }
  // The exit status once the child has exited by itself within `timeout` (nullopt otherwise).
  std::optional<int> wait_exit(std::chrono::milliseconds timeout);
  // Asks the server to stop (SIGTERM, repeated: a signal that lands just before a blocking call is
  // only seen at the next wakeup) and returns its wait status; SIGKILL if it does not stop in time.
  int stop();

 private:
  bool reap(int options);

  pid_t pid_ = -1;
  int status_ = 0;
  int stdin_fd_ = -1;
  std::string log_path_;
};

// A wait status, readable in a failure message ("exited 0", "killed by signal 9").
std::string describe_status(int status);

}  // namespace io_models_test
