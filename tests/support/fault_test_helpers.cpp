#include "fault_test_helpers.hpp"

#include <gtest/gtest.h>

#include "fern/hub/spawn.hpp"

namespace fern_test {

void bounded(const std::function<void()>& body, std::chrono::seconds patience) {
  fern::GreenletRef<> g = fern::spawn(body);
  if (!g->join(patience)) {
    g->kill();
    ADD_FAILURE() << "the client hung past " << patience.count() << "s";
  }
}

Result attempt(const std::function<std::optional<std::string>()>& call) {
  Result r;
  try {
    r.value = call();
  } catch (const std::system_error& e) {
    r.error = e.code();
    r.what = e.what();
    r.failure = std::current_exception();
    if (const auto* op = dynamic_cast<const fern::OperationError*>(&e)) r.outcome = op->outcome();
  }
  return r;
}

std::string key(int i) { return "key-" + std::to_string(i); }

std::string padded(const std::string& label, int i, std::size_t size, char fill) {
  std::string v = label + std::to_string(i);
  if (v.size() < size) v.resize(size, fill);
  return v;
}

}  // namespace fern_test
