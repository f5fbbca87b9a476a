// The tour's lessons: each seed program (L1-L17) as a live fern program, with what it shows.
#pragma once

#include <string>
#include <vector>

namespace tour {

struct Lesson {
  std::string id;     // L1 ... L17
  std::string title;  // what the seed program is
  std::string shows;  // what the run demonstrates
  int (*run)();       // runs it; returns 0 when it showed what it should
};

const std::vector<Lesson>& lessons();

// Runs an example from the build tree with `args`, streaming its output indented; returns its
// exit status (or -1 if it could not be started).
int run_example(const std::string& name, const std::vector<std::string>& args);

}  // namespace tour
