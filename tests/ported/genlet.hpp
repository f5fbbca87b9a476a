// genlet: the generator built from greenlets in python-greenlet's test_generator*.py. A Genlet runs
// its body in its own greenlet; yield_value() inside it switches a value out to whoever iterates,
// and next() resumes it. Nested genlets may yield through several levels (yield_value(v, level)).
#pragma once

#include <any>
#include <functional>
#include <optional>
#include <stdexcept>
#include <utility>

#include "fern/greenlet/greenlet.hpp"

namespace fern::ported {

class Genlet : public Greenlet {
 public:
  explicit Genlet(std::function<void()> body) : Greenlet(std::move(body)) {}

  // The next yielded value, or nothing once the body has finished.
  template <class T>
  std::optional<T> next() {
    std::any result;
    if (child_) {
      // A deeper genlet yielded through this one last time: resume the deepest.
      Genlet* child = child_;
      while (child->child_) child = std::exchange(child->child_, nullptr);
      result = child->switch_to();
    } else {
      set_parent(Greenlet::current());
      result = switch_to();
    }
    if (!active()) return std::nullopt;
    return std::any_cast<T>(std::move(result));
  }

  void set_child(Genlet* child) noexcept { child_ = child; }

 private:
  Genlet* child_ = nullptr;
};

// Yield: hands `value` to the consumer `level` genlets up from the current greenlet.
inline std::any yield_value(std::any value, int level = 1) {
  Greenlet* g = Greenlet::current();
  while (level != 0) {
    auto* genlet = dynamic_cast<Genlet*>(g);
    if (!genlet) throw std::runtime_error("yield outside a genlet");
    if (level > 1) {
      if (auto* outer = dynamic_cast<Genlet*>(genlet->parent())) outer->set_child(genlet);
    }
    g = genlet->parent();
    --level;
  }
  return g->switch_to(std::move(value));
}

}  // namespace fern::ported
