// What the fault tests (tests/integration/*/faults_test.cpp) share: a bound on how long a client may
// take before the test calls it hung, and a record of how one call ended (its value, or the error
// it threw and the fern::Outcome that error reported).
#pragma once

#include <chrono>
#include <exception>
#include <functional>
#include <optional>
#include <string>
#include <system_error>

#include "fern/base/outcome.hpp"

namespace fern_test {

// Keeps a hung client from hanging the suite; it never decides a result.
inline constexpr std::chrono::seconds kFaultPatience{60};

// Runs `body` in a greenlet and fails the test if it has not finished within `patience`.
void bounded(const std::function<void()>& body, std::chrono::seconds patience = kFaultPatience);

// What one call ended with: its value, or the std::system_error it threw.
struct Result {
  std::optional<std::string> value;
  std::error_code error;
  std::string what;
  std::optional<fern::Outcome> outcome;  // set when the error was a fern::OperationError
  std::exception_ptr failure;            // the error itself, for a client's own checks

  bool not_applied() const { return outcome == fern::Outcome::not_applied; }
  bool unknown() const { return outcome == fern::Outcome::unknown; }
};

Result attempt(const std::function<std::optional<std::string>()>& call);

// A caller's key: "key-<i>".
std::string key(int i);
// A value that names its caller and is padded with `fill` to `size` bytes (never cut shorter).
std::string padded(const std::string& label, int i, std::size_t size, char fill);

}  // namespace fern_test
