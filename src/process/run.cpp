#include <string_view>
#include <utility>

#include "fern/process/subprocess.hpp"

extern char** environ;

namespace fern::subprocess {

namespace {

std::string describe_status(int returncode) {
  if (returncode < 0) return "died of signal " + std::to_string(-returncode);
  return "returned non-zero exit status " + std::to_string(returncode);
}

}  // namespace

CalledProcessError::CalledProcessError(int returncode, std::vector<std::string> args, std::string out,
                                       std::string err)
    : std::runtime_error("fern: command '" + (args.empty() ? std::string() : args[0]) + "' " +
                         describe_status(returncode)),
      returncode(returncode),
      args(std::move(args)),
      out(std::move(out)),
      err(std::move(err)) {}

void CompletedProcess::check_returncode() const {
  if (returncode != 0) throw CalledProcessError(returncode, args, out, err);
}

CompletedProcess run(std::vector<std::string> argv, RunOptions options) {
  if (options.input) options.in = Stdio::pipe;
  if (options.capture_output) options.out = options.err = Stdio::pipe;
  Popen child(std::move(argv), options);
  Output output;
  try {
    output = child.communicate(options.input.value_or(std::string_view()), options.timeout);
  } catch (const TimeoutExpired&) {
    // Python's run does the same on POSIX: kill, reap, and no second communicate, which a
    // grandchild still holding the pipes could keep waiting forever.
    child.kill_and_reap();
    throw TimeoutExpired("fern: run timed out; the child was killed", std::move(child.out_),
                         std::move(child.err_));
  } catch (...) {
    child.kill_and_reap();
    throw;
  }
  CompletedProcess done{*child.returncode(), std::move(output.out), std::move(output.err), child.args()};
  if (options.check) done.check_returncode();
  return done;
}

std::map<std::string, std::string> current_environment() {
  std::map<std::string, std::string> env;
  for (char** entry = environ; entry != nullptr && *entry != nullptr; ++entry) {
    std::string_view text(*entry);
    std::size_t equals = text.find('=');
    if (equals == std::string_view::npos) continue;
    env.emplace(text.substr(0, equals), text.substr(equals + 1));
  }
  return env;
}

}  // namespace fern::subprocess
