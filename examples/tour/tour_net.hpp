// What the tour needs to drive the seed servers: a child server process whose output is echoed as
// it arrives, and loopback clients. All cooperative: each client is a greenlet, so the tour itself
// runs on fern.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "fern/base/clock.hpp"
#include "fern/hub/spawn.hpp"

namespace tour {

class ServerProcess {
 public:
  // Starts FERN_EXAMPLES_DIR/<path> with `args`; its output lines are printed indented as they come.
  ServerProcess(const std::string& path, const std::vector<std::string>& args, bool pipe_stdin = false);
  ~ServerProcess();
  // Writes to the server's stdin (when started with pipe_stdin).
  void write_stdin(const std::string& text);
  // SIGTERM, then waits for it to exit and for its output to drain; returns the exit status.
  int stop();

 private:
  pid_t pid_ = -1;
  int out_ = -1;
  int in_ = -1;
  fern::GreenletRef<> printer_;
};

// A free loopback port (bound and released).
int free_port();

// Connects to 127.0.0.1:port, retrying until the server listens or `timeout` passes. Throws.
int connect_local(int port, fern::Duration timeout = std::chrono::seconds(5));
void send_all(int fd, const std::string& data);
// Reads exactly n bytes (throws on EOF or timeout).
std::string recv_exact(int fd, std::size_t n, fern::Duration timeout = std::chrono::seconds(10));
void close_socket(int fd);

}  // namespace tour
