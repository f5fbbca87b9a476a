#include "server_process.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <system_error>
#include <thread>

extern char** environ;

namespace io_models_test {
namespace {

[[noreturn]] void throw_errno(const std::string& what) {
  throw std::system_error(errno, std::system_category(), what);
}

std::size_t count_occurrences(const std::string& haystack, std::string_view needle) {
  std::size_t count = 0;
  for (std::size_t at = haystack.find(needle); at != std::string::npos; at = haystack.find(needle, at + 1))
    ++count;
  return count;
}

}  // namespace

std::string describe_status(int status) {
  if (WIFEXITED(status)) return "exited " + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status)) return "killed by signal " + std::to_string(WTERMSIG(status));
  return "status " + std::to_string(status);
}

ServerProcess::ServerProcess(const std::string& binary, const std::vector<std::string>& args,
                             bool with_stdin_pipe) {
  char path[] = "/tmp/fern_io_model_XXXXXX";
  const int log_fd = ::mkstemp(path);
  if (log_fd < 0) throw_errno("mkstemp");
  ::close(log_fd);
  log_path_ = path;

  int stdin_pipe[2] = {-1, -1};
  if (with_stdin_pipe && ::pipe2(stdin_pipe, O_CLOEXEC) < 0) throw_errno("pipe2");

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  if (with_stdin_pipe) {
    posix_spawn_file_actions_adddup2(&actions, stdin_pipe[0], STDIN_FILENO);  // dup2 clears CLOEXEC
  } else {
    posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  }
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, log_path_.c_str(), O_WRONLY | O_APPEND, 0);
  posix_spawn_file_actions_adddup2(&actions, STDOUT_FILENO, STDERR_FILENO);

  std::vector<char*> argv;
  argv.push_back(const_cast<char*>(binary.c_str()));
  for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  const int rc = ::posix_spawn(&pid_, binary.c_str(), &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (with_stdin_pipe) {
    ::close(stdin_pipe[0]);
    stdin_fd_ = stdin_pipe[1];
  }
  if (rc != 0) {
    pid_ = -1;
    errno = rc;
    throw_errno("posix_spawn " + binary);
  }
}

ServerProcess::~ServerProcess() {
  if (pid_ > 0) {
    ::kill(pid_, SIGKILL);
    reap(0);
  }
  if (stdin_fd_ >= 0) ::close(stdin_fd_);
  ::unlink(log_path_.c_str());
}

bool ServerProcess::reap(int options) {
  if (pid_ <= 0) return true;
  pid_t r;
  do {
    r = ::waitpid(pid_, &status_, options);
  } while (r < 0 && errno == EINTR);
  if (r == pid_) pid_ = -1;
  return pid_ <= 0;
}

std::string ServerProcess::log() const {
  std::ifstream in(log_path_);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

bool ServerProcess::wait_for_log(std::string_view needle, int count, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    const bool exited = pid_ <= 0 || reap(WNOHANG);
    if (count_occurrences(log(), needle) >= static_cast<std::size_t>(count)) return true;
    if (exited || std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(5ms);
  }
}

void ServerProcess::wait_until_listening() {
  if (!wait_for_log("listening on")) {
    throw std::runtime_error("server did not start (" +
                             (pid_ > 0 ? std::string("still running") : describe_status(status_)) +
                             "); its output:\n" + log());
  }
}

void ServerProcess::write_stdin(std::string_view bytes) {
  while (!bytes.empty()) {
    const ssize_t n = ::write(stdin_fd_, bytes.data(), bytes.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      throw_errno("write to the server's stdin");
    }
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
}

void ServerProcess::close_stdin() {
  if (stdin_fd_ >= 0) ::close(stdin_fd_);
  stdin_fd_ = -1;
}

std::optional<int> ServerProcess::wait_exit(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!reap(WNOHANG)) {
    if (std::chrono::steady_clock::now() >= deadline) return std::nullopt;
    std::this_thread::sleep_for(5ms);
  }
  return status_;
}

int ServerProcess::stop() {
  const auto deadline = std::chrono::steady_clock::now() + kPatience;
  while (!reap(WNOHANG)) {
    if (std::chrono::steady_clock::now() >= deadline) {
      ::kill(pid_, SIGKILL);
      reap(0);
      break;
    }
    ::kill(pid_, SIGTERM);
    for (int i = 0; i < 40 && !reap(WNOHANG); ++i) std::this_thread::sleep_for(5ms);
  }
  return status_;
}

}  // namespace io_models_test
