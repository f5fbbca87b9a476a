#include "fern/hub/fork.hpp"

#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <exception>
#include <system_error>

#include "fern/base/error.hpp"
#include "fern/hub/hub.hpp"

namespace fern {

pid_t fork() {
  const pid_t pid = ::fork();
  if (pid < 0) throw std::system_error(errno, std::system_category(), "fern: fork");
  if (pid > 0) return pid;
  // In the child an exception would reach code that cannot tell it from a failed fork(2), and
  // would run as the parent in a second process.
  try {
    reinit();
  } catch (...) {
    std::fprintf(stderr, "fern: fork: the child could not rebuild its hub: %s\n",
                 describe_exception(std::current_exception()).c_str());
    ::_exit(127);
  }
  return 0;
}

void reinit() {
  if (Hub* hub = Hub::current_if_exists()) hub->reinit();
}

}  // namespace fern
