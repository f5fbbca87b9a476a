// Starting a child: the pipes its Options ask for, posix_spawnp with the file actions and
// attributes that give it exactly descriptors 0-2, and the parent's ends of the pipes back.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "fern/process/pipe.hpp"
#include "fern/process/subprocess.hpp"

namespace fern::subprocess::detail {

struct SpawnedChild {
  pid_t pid = -1;
  PipeEnd in;  // the parent's ends, open for Stdio::pipe
  PipeEnd out;
  PipeEnd err;
};

// Throws std::system_error: Errc::invalid_argument for a bad argv or Stdio, the errno of a pipe or
// spawn that failed (the exec's own errno when the program could not be run).
SpawnedChild spawn_child(const std::vector<std::string>& argv, const Options& options);

}  // namespace fern::subprocess::detail
