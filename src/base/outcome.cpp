#include "fern/base/outcome.hpp"

namespace fern {

const char* to_string(Outcome outcome) noexcept {
  return outcome == Outcome::not_applied ? "not_applied" : "unknown";
}

}  // namespace fern
