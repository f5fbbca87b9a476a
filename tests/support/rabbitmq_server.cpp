#include "rabbitmq_server.hpp"

#include <fcntl.h>
#include <pwd.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <system_error>
#include <thread>

namespace fern_test {
namespace {

using namespace std::chrono_literals;

constexpr const char* kRabbitmqBin = "/usr/lib/rabbitmq/bin/";
constexpr const char* kPath = "PATH=/usr/sbin:/usr/bin:/sbin:/bin";
// rabbitmqctl boots an Erlang VM of its own; this only bounds a wedged one.
constexpr auto kCtlPatience = 90s;

std::atomic<int> next_broker{0};

void write_file(const std::string& path, const std::string& text, mode_t mode) {
  {
    std::ofstream out(path, std::ios::trunc);
    out << text;
    if (!out) throw std::runtime_error("cannot write " + path);
  }
  ::chmod(path.c_str(), mode);
}

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// The broker drops to the `rabbitmq` user: everything it writes must be its own, and every directory
// above its temporary directory must let it through.
void hand_over_to_rabbitmq(const std::string& dir) {
  const passwd* user = ::getpwnam("rabbitmq");
  if (!user) throw std::runtime_error("no `rabbitmq` user: is rabbitmq-server installed?");
  for (const auto& entry : std::filesystem::recursive_directory_iterator(dir))
    if (::chown(entry.path().c_str(), user->pw_uid, user->pw_gid) != 0)
      throw std::system_error(errno, std::system_category(), "chown " + entry.path().string());
  if (::chown(dir.c_str(), user->pw_uid, user->pw_gid) != 0 || ::chmod(dir.c_str(), 0755) != 0)
    throw std::system_error(errno, std::system_category(), "chown " + dir);
  for (auto parent = std::filesystem::path(dir).parent_path(); parent.has_relative_path();
       parent = parent.parent_path()) {
    struct stat info {};
    if (::stat(parent.c_str(), &info) == 0 && (info.st_mode & S_IXOTH) == 0)
      throw std::runtime_error("rabbitmq-server runs as user rabbitmq and cannot enter " + parent.string() +
                               "; set TMPDIR to a directory it can traverse");
  }
}

struct CommandResult {
  int status = -1;
  std::string out;
  std::string err;
};

// Runs argv with exactly `env` to completion (bounded by `patience`), output captured through files.
CommandResult run_command(const std::vector<std::string>& argv, const std::vector<std::string>& env,
                          const std::string& cwd, const std::string& scratch, std::chrono::seconds patience) {
  const std::string out_path = scratch + ".out";
  const std::string err_path = scratch + ".err";
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC,
                                   0644);
  posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC,
                                   0644);
  posix_spawn_file_actions_addchdir_np(&actions, cwd.c_str());
  std::vector<char*> args;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  std::vector<char*> envp;
  for (const std::string& e : env) envp.push_back(const_cast<char*>(e.c_str()));
  envp.push_back(nullptr);
  pid_t pid = -1;
  const int rc = ::posix_spawn(&pid, args[0], &actions, nullptr, args.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) throw std::system_error(rc, std::system_category(), "spawn " + argv[0]);

  CommandResult result;
  const auto deadline = std::chrono::steady_clock::now() + patience;
  while (true) {
    const pid_t done = ::waitpid(pid, &result.status, WNOHANG);
    if (done == pid || (done < 0 && errno != EINTR)) break;
    if (std::chrono::steady_clock::now() > deadline) {
      ::kill(pid, SIGKILL);
      while (::waitpid(pid, &result.status, 0) < 0 && errno == EINTR) {
      }
      result.status = -1;
      break;
    }
    std::this_thread::sleep_for(10ms);
  }
  result.out = read_file(out_path);
  result.err = read_file(err_path);
  std::filesystem::remove(out_path);
  std::filesystem::remove(err_path);
  return result;
}

}  // namespace

RabbitmqServer::RabbitmqServer(std::vector<std::string> config_lines)
    : dir_("fern-rabbitmq"),
      port_(free_port()),
      dist_port_(free_port()),
      epmd_port_(free_port()),
      node_("fern" + std::to_string(::getpid()) + "x" + std::to_string(++next_broker) + "@localhost") {
  std::filesystem::create_directories(dir_.file("mnesia"));
  std::filesystem::create_directories(dir_.file("log"));
  write_file(dir_.file("enabled_plugins"), "[].\n", 0644);
  write_file(dir_.file(".erlang.cookie"), "FERNTEST" + std::to_string(::getpid()) + "COOKIE", 0400);
  write_file(dir_.file("rabbitmq-env.conf"), "", 0644);
  write_config(config_lines);
  hand_over_to_rabbitmq(dir_.path());
  // A private epmd: brokers of concurrent test processes never meet, and nothing outlives the test.
  epmd_ = std::make_unique<ChildProcess>(
      std::vector<std::string>{"/usr/bin/epmd", "-port", std::to_string(epmd_port_), "-address", "127.0.0.1"},
      dir_.file("epmd.log"));
  if (!wait_for_port(epmd_port_, kStartPatience))
    throw std::runtime_error("epmd did not start:\n" + epmd_->log());
  start();
}

RabbitmqServer::~RabbitmqServer() {
  // SIGKILL: the data directory is deleted next, a clean shutdown would only cost seconds.
  if (broker_) broker_->kill();
  if (epmd_) epmd_->kill();
}

void RabbitmqServer::write_config(const std::vector<std::string>& config_lines) {
  std::string text =
      "log.console = true\nlog.console.level = warning\nlog.file.level = info\n"
      "loopback_users = none\n";
  for (const std::string& line : config_lines) text += line + "\n";
  write_file(dir_.file("rabbitmq.conf"), text, 0644);
}

std::vector<std::string> RabbitmqServer::environment() const {
  return {"HOME=" + dir_.path(), kPath, "LANG=C.UTF-8", "LC_ALL=C.UTF-8",
          "ERL_EPMD_PORT=" + std::to_string(epmd_port_), "ERL_CRASH_DUMP=" + dir_.file("erl_crash.dump"),
          "RABBITMQ_NODENAME=" + node_, "RABBITMQ_NODE_IP_ADDRESS=127.0.0.1",
          "RABBITMQ_NODE_PORT=" + std::to_string(port_), "RABBITMQ_DIST_PORT=" + std::to_string(dist_port_),
          "RABBITMQ_MNESIA_BASE=" + dir_.file("mnesia"), "RABBITMQ_LOG_BASE=" + dir_.file("log"),
          "RABBITMQ_FEATURE_FLAGS_FILE=" + dir_.file("feature_flags"),
          "RABBITMQ_PID_FILE=" + dir_.file("rabbitmq.pid"),
          "RABBITMQ_ENABLED_PLUGINS_FILE=" + dir_.file("enabled_plugins"),
          "RABBITMQ_CONFIG_FILE=" + dir_.file("rabbitmq"),
          "RABBITMQ_ADVANCED_CONFIG_FILE=" + dir_.file("advanced.config"),
          "RABBITMQ_CONF_ENV_FILE=" + dir_.file("rabbitmq-env.conf"),
          // With input "allowed" the start script execs the VM in place instead of running it in the
          // background: beam.smp keeps our child's pid and its parent-death signal. -noinput still
          // keeps the VM off its (null) stdin.
          "RABBITMQ_ALLOW_INPUT=1", "RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS=-noinput"};
}

bool RabbitmqServer::running() { return broker_ && broker_->running(); }

void RabbitmqServer::start() {
  if (running()) return;
  // setpriv drops to `rabbitmq` and sets the parent-death signal again afterwards (a change of
  // credentials clears it); env starts the broker with only our environment, from its own directory.
  std::vector<std::string> argv = {"/usr/bin/setpriv",
                                   "--reuid=rabbitmq",
                                   "--regid=rabbitmq",
                                   "--init-groups",
                                   "--pdeathsig=KILL",
                                   "/usr/bin/env",
                                   "-i",
                                   "-C",
                                   dir_.path()};
  for (std::string& variable : environment()) argv.push_back(std::move(variable));
  argv.push_back(std::string(kRabbitmqBin) + "rabbitmq-server");
  broker_ = std::make_unique<ChildProcess>(std::move(argv), dir_.file("console.log"));
  if (!wait_for_port(port_, kStartPatience) || !broker_->running())
    throw std::runtime_error("rabbitmq-server did not start:\n" + log());
}

void RabbitmqServer::kill() {
  if (broker_) broker_->kill();
}

void RabbitmqServer::stop() {
  if (broker_) broker_->stop(std::chrono::seconds(kStartPatience));
}

void RabbitmqServer::restart() {
  stop();
  start();
}

std::string RabbitmqServer::ctl(const std::vector<std::string>& args) {
  std::vector<std::string> argv = {std::string(kRabbitmqBin) + "rabbitmqctl", "-n", node_, "-q"};
  argv.insert(argv.end(), args.begin(), args.end());
  std::vector<std::string> env = {"HOME=" + dir_.path(),
                                  kPath,
                                  "LANG=C.UTF-8",
                                  "LC_ALL=C.UTF-8",
                                  "ERL_EPMD_PORT=" + std::to_string(epmd_port_),
                                  "RABBITMQ_CONF_ENV_FILE=" + dir_.file("rabbitmq-env.conf")};
  static std::atomic<int> next_call{0};
  const CommandResult result =
      run_command(argv, env, dir_.path(), dir_.file("ctl" + std::to_string(++next_call)), kCtlPatience);
  if (!WIFEXITED(result.status) || WEXITSTATUS(result.status) != 0) {
    std::string command;
    for (const std::string& a : args) command += " " + a;
    throw std::runtime_error("rabbitmqctl" + command + " failed (status " + std::to_string(result.status) +
                             "):\n" + result.out + result.err);
  }
  return result.out;
}

void RabbitmqServer::flush_metadata() { ctl({"eval", "mnesia:dump_log()."}); }

long RabbitmqServer::queue_messages(const std::string& queue) {
  std::istringstream lines(ctl({"list_queues", "name", "messages", "--no-table-headers"}));
  std::string line;
  while (std::getline(lines, line)) {
    const auto tab = line.rfind('\t');
    if (tab != std::string::npos && line.substr(0, tab) == queue) return std::stol(line.substr(tab + 1));
  }
  return -1;
}

std::string RabbitmqServer::log() const {
  return read_file(dir_.file("console.log")) + "\n--- " + node_ + ".log ---\n" +
         read_file(dir_.file("log/" + node_ + ".log"));
}

}  // namespace fern_test
