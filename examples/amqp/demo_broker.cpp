#include "demo_broker.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pwd.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace tutorial {
namespace {

using namespace std::chrono_literals;

int free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof address;
  if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0)
    throw std::runtime_error("no free port on 127.0.0.1");
  ::close(fd);
  return ntohs(address.sin_port);
}

bool accepts(int port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<std::uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  const bool ok = fd >= 0 && ::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0;
  if (fd >= 0) ::close(fd);
  return ok;
}

void write_file(const std::string& path, const std::string& text, mode_t mode) {
  std::ofstream(path) << text;
  ::chmod(path.c_str(), mode);
}

std::string read_file(const std::string& path) {
  std::stringstream text;
  text << std::ifstream(path).rdbuf();
  return text.str();
}

}  // namespace

DemoBroker::DemoBroker() : port_(free_port()) {
  const char* tmp = std::getenv("TMPDIR");
  std::string pattern = std::string(tmp && *tmp ? tmp : "/tmp") + "/fern-amqp-demo-XXXXXX";
  if (!::mkdtemp(pattern.data())) throw std::runtime_error("cannot create " + pattern);
  dir_ = pattern;
  std::filesystem::create_directories(dir_ + "/mnesia");
  write_file(dir_ + "/enabled_plugins", "[].\n", 0644);
  write_file(dir_ + "/.erlang.cookie", "FERNDEMO" + std::to_string(::getpid()), 0400);
  write_file(dir_ + "/rabbitmq.conf", "loopback_users = none\nlog.console = false\n", 0644);
  write_file(dir_ + "/rabbitmq-env.conf", "", 0644);
  ::chmod(dir_.c_str(), 0755);

  std::vector<std::string> argv;
  if (::geteuid() == 0) {
    // The packaged broker runs as its own user: hand it the directory and drop to it; setpriv sets the
    // parent-death signal again after the switch (a change of user clears it).
    const passwd* user = ::getpwnam("rabbitmq");
    if (!user) throw std::runtime_error("no `rabbitmq` user: is rabbitmq-server installed?");
    for (const auto& entry : std::filesystem::recursive_directory_iterator(dir_))
      if (::chown(entry.path().c_str(), user->pw_uid, user->pw_gid) != 0) throw std::runtime_error("chown");
    if (::chown(dir_.c_str(), user->pw_uid, user->pw_gid) != 0) throw std::runtime_error("chown " + dir_);
    argv = {"/usr/bin/setpriv", "--reuid=rabbitmq", "--regid=rabbitmq", "--init-groups", "--pdeathsig=KILL"};
  }
  const int epmd_port = free_port();
  epmd_ = start_process({"/usr/bin/epmd", "-port", std::to_string(epmd_port), "-address", "127.0.0.1"},
                        dir_ + "/epmd.log");
  const std::string node = "ferndemo" + std::to_string(::getpid()) + "@localhost";
  for (std::string v : {"/usr/bin/env", "-i", "-C"}) argv.push_back(v);
  argv.push_back(dir_);
  for (std::string v :
       {"HOME=" + dir_, std::string("PATH=/usr/sbin:/usr/bin:/sbin:/bin"), std::string("LANG=C.UTF-8"),
        "ERL_EPMD_PORT=" + std::to_string(epmd_port), "RABBITMQ_NODENAME=" + node,
        std::string("RABBITMQ_NODE_IP_ADDRESS=127.0.0.1"), "RABBITMQ_NODE_PORT=" + std::to_string(port_),
        "RABBITMQ_DIST_PORT=" + std::to_string(free_port()), "RABBITMQ_MNESIA_BASE=" + dir_ + "/mnesia",
        "RABBITMQ_LOG_BASE=" + dir_, "RABBITMQ_FEATURE_FLAGS_FILE=" + dir_ + "/feature_flags",
        "RABBITMQ_PID_FILE=" + dir_ + "/rabbitmq.pid",
        "RABBITMQ_ENABLED_PLUGINS_FILE=" + dir_ + "/enabled_plugins",
        "RABBITMQ_CONFIG_FILE=" + dir_ + "/rabbitmq",
        "RABBITMQ_ADVANCED_CONFIG_FILE=" + dir_ + "/advanced.config",
        "RABBITMQ_CONF_ENV_FILE=" + dir_ + "/rabbitmq-env.conf",
        // The start script then execs the VM in place, keeping our pid and death signal.
        std::string("RABBITMQ_ALLOW_INPUT=1"), std::string("RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS=-noinput"),
        std::string("/usr/lib/rabbitmq/bin/rabbitmq-server")})
    argv.push_back(v);
  broker_ = start_process(argv, dir_ + "/console.log");
  const auto deadline = std::chrono::steady_clock::now() + 60s;
  while (!accepts(port_)) {
    int status = 0;
    if (std::chrono::steady_clock::now() > deadline || ::waitpid(broker_, &status, WNOHANG) == broker_) {
      const std::string log = read_file(dir_ + "/console.log");
      cleanup();
      throw std::runtime_error("rabbitmq-server did not start:\n" + log);
    }
    std::this_thread::sleep_for(50ms);
  }
}

DemoBroker::~DemoBroker() { cleanup(); }

void DemoBroker::cleanup() {
  stop_process(broker_);
  stop_process(epmd_);
  if (!dir_.empty()) {
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
    dir_.clear();
  }
}

pid_t DemoBroker::start_process(const std::vector<std::string>& argv, const std::string& log) {
  std::vector<char*> args;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  if (pid < 0) throw std::runtime_error("fork failed");
  if (pid == 0) {
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(126);
    ::setsid();
    const int in = ::open("/dev/null", O_RDONLY);
    const int out = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (in >= 0) ::dup2(in, STDIN_FILENO);
    if (out >= 0) {
      ::dup2(out, STDOUT_FILENO);
      ::dup2(out, STDERR_FILENO);
    }
    ::execv(args[0], args.data());
    ::_exit(127);
  }
  return pid;
}

// SIGKILL: the broker's data dies with the demo, a clean shutdown would only cost seconds.
void DemoBroker::stop_process(pid_t& pid) {
  if (pid <= 0) return;
  ::kill(pid, SIGKILL);
  while (::waitpid(pid, nullptr, 0) < 0 && errno == EINTR) {
  }
  pid = -1;
}

}  // namespace tutorial
