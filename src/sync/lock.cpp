#include "fern/sync/lock.hpp"

#include <stdexcept>

#include "fern/greenlet/greenlet.hpp"

namespace fern {

bool RLock::owned() const noexcept { return owner_ != nullptr && owner_ == Greenlet::current(); }

bool RLock::reenter() {
  if (!owned()) return false;
  ++depth_;
  return true;
}

bool RLock::acquire(Duration timeout) {
  if (reenter()) return true;
  if (!lock_.acquire(timeout)) return false;
  owner_ = Greenlet::current();
  depth_ = 1;
  return true;
}

bool RLock::try_acquire() {
  if (reenter()) return true;
  if (!lock_.try_acquire()) return false;
  owner_ = Greenlet::current();
  depth_ = 1;
  return true;
}

void RLock::release() {
  if (!owned()) throw std::logic_error("fern: RLock released by a greenlet that does not own it");
  if (--depth_ > 0) return;
  owner_ = nullptr;
  lock_.release();
}

}  // namespace fern
