#include "servers.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <system_error>
#include <thread>

namespace fern_test {
namespace {

using namespace std::chrono_literals;

[[noreturn]] void throw_errno(const std::string& what) {
  throw std::system_error(errno, std::system_category(), what);
}

bool connects(int port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<std::uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  const bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0;
  ::close(fd);
  return ok;
}

// Runs a short command to completion (for mariadb-install-db); throws with its output on failure.
void run_to_completion(std::vector<std::string> argv, const std::string& log_path) {
  ChildProcess child(std::move(argv), log_path);
  int status = 0;
  while (::waitpid(child.pid(), &status, 0) < 0 && errno == EINTR) {
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
    throw std::runtime_error("command failed (status " + std::to_string(status) + "):\n" + child.log());
}

void write_file(const std::string& path, const std::string& text) {
  std::ofstream out(path);
  out << text;
  if (!out) throw std::runtime_error("cannot write " + path);
}

}  // namespace

int free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) throw_errno("socket");
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof address;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) < 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) < 0) {
    ::close(fd);
    throw_errno("bind to a free port");
  }
  ::close(fd);
  return ntohs(address.sin_port);
}

bool wait_for_port(int port, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (connects(port)) return true;
    std::this_thread::sleep_for(20ms);
  }
  return false;
}

TempDir::TempDir(const std::string& prefix) {
  const char* base = std::getenv("TMPDIR");
  std::string pattern = std::string(base && *base ? base : "/tmp") + "/" + prefix + "-XXXXXX";
  if (!::mkdtemp(pattern.data())) throw_errno("mkdtemp " + pattern);
  path_ = pattern;
}

TempDir::~TempDir() {
  std::error_code ignored;
  std::filesystem::remove_all(path_, ignored);
}

ChildProcess::ChildProcess(std::vector<std::string> argv, std::string log_path)
    : log_path_(std::move(log_path)) {
  std::vector<char*> args;
  for (std::string& a : argv) args.push_back(a.data());
  args.push_back(nullptr);
  const pid_t parent = ::getpid();
  pid_ = ::fork();
  if (pid_ < 0) throw_errno("fork");
  if (pid_ == 0) {
    ::prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (::getppid() != parent) ::_exit(126);
    ::setpgid(0, 0);
    const int in = ::open("/dev/null", O_RDONLY);
    const int out = ::open(log_path_.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (in >= 0) ::dup2(in, STDIN_FILENO);
    if (out >= 0) {
      ::dup2(out, STDOUT_FILENO);
      ::dup2(out, STDERR_FILENO);
    }
    ::execv(args[0], args.data());
    ::_exit(127);
  }
}

ChildProcess::~ChildProcess() { stop(); }

bool ChildProcess::running() {
  if (pid_ <= 0) return false;
  int status = 0;
  if (::waitpid(pid_, &status, WNOHANG) == pid_) {
    pid_ = -1;
    return false;
  }
  return true;
}

int ChildProcess::stop(std::chrono::milliseconds grace) {
  if (pid_ <= 0) return -1;
  ::kill(pid_, SIGTERM);
  const auto deadline = std::chrono::steady_clock::now() + grace;
  int status = 0;
  while (std::chrono::steady_clock::now() < deadline) {
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      return status;
    }
    std::this_thread::sleep_for(10ms);
  }
  return kill();
}

int ChildProcess::kill() {
  if (pid_ <= 0) return -1;
  ::kill(pid_, SIGKILL);
  int status = 0;
  while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
  }
  pid_ = -1;
  return status;
}

std::string ChildProcess::log() const {
  std::ifstream in(log_path_);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

RedisServer::RedisServer(std::vector<std::string> extra_args)
    : dir_("fern-redis"),
      port_(free_port()),
      unix_socket_(dir_.file("redis.sock")),
      extra_args_(std::move(extra_args)) {
  start();
}

RedisServer::~RedisServer() = default;

void RedisServer::start() {
  std::vector<std::string> argv = {"/usr/bin/redis-server",
                                   "--port",
                                   std::to_string(port_),
                                   "--bind",
                                   "127.0.0.1",
                                   "--unixsocket",
                                   unix_socket_,
                                   "--save",
                                   "",
                                   "--appendonly",
                                   "no",
                                   "--dir",
                                   dir_.path(),
                                   "--enable-debug-command",
                                   "yes"};
  argv.insert(argv.end(), extra_args_.begin(), extra_args_.end());
  process_ = std::make_unique<ChildProcess>(std::move(argv), dir_.file("redis.log"));
  if (!wait_for_port(port_, kStartPatience) || !process_->running())
    throw std::runtime_error("redis-server did not start:\n" + process_->log());
}

void RedisServer::kill() {
  if (process_) process_->kill();
}

void RedisServer::restart() {
  kill();
  start();
}

MariadbServer::MariadbServer(std::vector<std::string> extra_args)
    : dir_("fern-mariadb"),
      port_(free_port()),
      unix_socket_(dir_.file("mysqld.sock")),
      extra_args_(std::move(extra_args)) {
  const std::string datadir = dir_.file("data");
  // A tmpdir of its own: mariadbd deletes every "#sql*" file it finds in its tmpdir when it starts,
  // so servers sharing /tmp delete each other's temporary tables (a bootstrap then fails).
  std::filesystem::create_directories(dir_.file("tmp"));
  run_to_completion(
      {"/usr/bin/mariadb-install-db", "--no-defaults", "--datadir=" + datadir, "--user=root",
       "--auth-root-authentication-method=normal", "--skip-test-db", "--tmpdir=" + dir_.file("tmp")},
      dir_.file("install.log"));
  write_file(dir_.file("init.sql"), "CREATE DATABASE IF NOT EXISTS fern_test;\n");
  start();
}

void MariadbServer::start() {
  std::vector<std::string> argv = {"/usr/sbin/mariadbd",
                                   "--no-defaults",
                                   "--datadir=" + dir_.file("data"),
                                   "--tmpdir=" + dir_.file("tmp"),
                                   "--socket=" + unix_socket_,
                                   "--port=" + std::to_string(port_),
                                   "--bind-address=127.0.0.1",
                                   "--user=root",
                                   "--skip-log-bin",
                                   "--innodb-buffer-pool-size=64M",
                                   "--max-connections=2000",
                                   "--pid-file=" + dir_.file("mysqld.pid"),
                                   "--init-file=" + dir_.file("init.sql")};
  argv.insert(argv.end(), extra_args_.begin(), extra_args_.end());
  process_ = std::make_unique<ChildProcess>(std::move(argv), dir_.file("mariadbd.log"));
  if (!wait_for_port(port_, kStartPatience) || !process_->running())
    throw std::runtime_error("mariadbd did not start:\n" + process_->log());
}

void MariadbServer::kill() {
  if (process_) process_->kill();
}

void MariadbServer::restart() {
  kill();
  start();
}

MariadbServer::~MariadbServer() = default;

NginxServer::NginxServer(const std::string& server_block) : dir_("fern-nginx"), port_(free_port()) {
  std::filesystem::create_directories(www_dir());
  std::filesystem::create_directories(dir_.file("temp"));
  const std::string temp = dir_.file("temp");
  write_file(dir_.file("nginx.conf"),
             "daemon off;\nmaster_process off;\nworker_processes 1;\npid " + dir_.file("nginx.pid") +
                 ";\nerror_log " + dir_.file("error.log") +
                 " warn;\nevents { worker_connections 4096; }\nhttp {\n  access_log off;\n"
                 "  client_body_temp_path " +
                 temp + "/body;\n  proxy_temp_path " + temp + "/proxy;\n  fastcgi_temp_path " + temp +
                 "/fastcgi;\n  uwsgi_temp_path " + temp + "/uwsgi;\n  scgi_temp_path " + temp +
                 "/scgi;\n  keepalive_requests 1000000;\n"
                 "  server {\n    listen 127.0.0.1:" +
                 std::to_string(port_) + ";\n    root " + www_dir() + ";\n    " + server_block +
                 "\n  }\n}\n");
  process_ = std::make_unique<ChildProcess>(
      std::vector<std::string>{"/usr/sbin/nginx", "-p", dir_.path(), "-c", dir_.file("nginx.conf")},
      dir_.file("stderr.log"));
  if (!wait_for_port(port_, kStartPatience) || !process_->running())
    throw std::runtime_error("nginx did not start:\n" + process_->log());
}

NginxServer::~NginxServer() = default;

}  // namespace fern_test
