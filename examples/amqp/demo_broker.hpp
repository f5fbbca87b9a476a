// DemoBroker: a throwaway rabbitmq-server for the tutorials' --demo mode, on a free port of 127.0.0.1,
// with its data, logs and its own epmd in a temporary directory that goes away with it. When run as
// root the broker drops to the `rabbitmq` user (setpriv). Both processes get a parent-death signal, so
// a crashed demo leaves nothing running. The constructor blocks the thread (not a greenlet: it runs
// before the hub has work) until the broker accepts connections, up to a minute, and throws
// std::runtime_error with the broker's output otherwise.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

namespace tutorial {

class DemoBroker {
 public:
  DemoBroker();
  DemoBroker(const DemoBroker&) = delete;
  DemoBroker& operator=(const DemoBroker&) = delete;
  ~DemoBroker();

  int port() const { return port_; }

 private:
  pid_t start_process(const std::vector<std::string>& argv, const std::string& log);
  void stop_process(pid_t& pid);
  void cleanup();

  std::string dir_;
  int port_ = 0;
  pid_t epmd_ = -1;
  pid_t broker_ = -1;
};

}  // namespace tutorial
