// Real servers for the integration tests: redis-server, mariadbd and nginx started as child processes
// on 127.0.0.1, each in its own temporary directory, stopped (and reaped) when the object goes away.
// Start-up failures throw std::runtime_error with the server's log, so a test fails with the reason.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

namespace fern_test {

// Generous bound that only keeps a broken server from hanging the suite; it never decides a result.
inline constexpr std::chrono::seconds kStartPatience{60};

// A port on 127.0.0.1 that was free a moment ago.
int free_port();
// True once something accepts TCP connections on 127.0.0.1:port (polls until `timeout`).
bool wait_for_port(int port, std::chrono::milliseconds timeout);

// A directory under $TMPDIR (or /tmp), removed recursively with its contents on destruction.
class TempDir {
 public:
  explicit TempDir(const std::string& prefix = "fern-test");
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  ~TempDir();
  const std::string& path() const { return path_; }
  std::string file(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

// A child process: argv[0] is an absolute path; stdout and stderr go to `log_path`. The child gets
// SIGTERM if the test process dies (PR_SET_PDEATHSIG). The destructor stops it on every path.
class ChildProcess {
 public:
  ChildProcess(std::vector<std::string> argv, std::string log_path);
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;
  ~ChildProcess();

  pid_t pid() const { return pid_; }
  bool running();
  // SIGTERM, then SIGKILL after `grace`; returns the wait status (or -1 if already reaped).
  int stop(std::chrono::milliseconds grace = std::chrono::seconds(10));
  // SIGKILL at once: a server that dies under load.
  int kill();
  std::string log() const;

 private:
  pid_t pid_ = -1;
  std::string log_path_;
};

// redis-server --port P --bind 127.0.0.1 --unixsocket DIR/redis.sock --save '' --appendonly no.
// restart() kills the server and starts it again on the same port and socket (data is lost).
class RedisServer {
 public:
  explicit RedisServer(std::vector<std::string> extra_args = {});
  ~RedisServer();
  int port() const { return port_; }
  const std::string& unix_socket() const { return unix_socket_; }
  void kill();     // SIGKILL, no restart
  void start();    // start again after kill() (same port); waits until it answers
  void restart();  // kill() + start()

 private:
  TempDir dir_;
  int port_;
  std::string unix_socket_;
  std::vector<std::string> extra_args_;
  std::unique_ptr<ChildProcess> process_;
};

// mariadbd with a fresh datadir (mariadb-install-db), root without password over TCP and the Unix
// socket; a database `fern_test` exists. Takes a few seconds to start. `extra_args` go to mariadbd
// (e.g. --ssl-cert=...). kill() is SIGKILL mid-work; start() brings it back on the same datadir,
// port and socket (committed data survives, as after a crash).
class MariadbServer {
 public:
  explicit MariadbServer(std::vector<std::string> extra_args = {});
  ~MariadbServer();
  int port() const { return port_; }
  const std::string& unix_socket() const { return unix_socket_; }
  const char* user() const { return "root"; }
  const char* database() const { return "fern_test"; }
  std::string dir() const { return dir_.path(); }
  pid_t pid() const { return process_ ? process_->pid() : -1; }
  void kill();     // SIGKILL, no restart
  void start();    // start again after kill(); waits until it accepts connections
  void restart();  // kill() + start()

 private:
  TempDir dir_;
  int port_;
  std::string unix_socket_;
  std::vector<std::string> extra_args_;
  std::unique_ptr<ChildProcess> process_;
};

// nginx (one worker, access log off, no daemon) with the given `server { ... }` body inserted after
// `listen 127.0.0.1:PORT;`, e.g. `location / { return 200 "hello"; }`. Files for `root` can be put
// under dir()/www before starting (www_dir()).
class NginxServer {
 public:
  explicit NginxServer(const std::string& server_block);
  ~NginxServer();
  int port() const { return port_; }
  std::string www_dir() const { return dir_.file("www"); }

 private:
  TempDir dir_;
  int port_;
  std::unique_ptr<ChildProcess> process_;
};

}  // namespace fern_test
