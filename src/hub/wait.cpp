#include "fern/hub/wait.hpp"

namespace fern {

IWait::IWait(std::span<Waitable* const> objects, Duration timeout)
    : entries_(objects.size()), deadline_(timeout == kForever ? TimePoint::max() : deadline_after(timeout)) {
  for (std::size_t i = 0; i < objects.size(); ++i) {
    Entry& e = entries_[i];
    e.object = objects[i];
    e.owner = this;
    e.link.owner = &e;
    e.link.fire = &IWait::on_ready;
    objects[i]->add_link(e.link);  // fires at once for the ready ones
  }
}

IWait::~IWait() {
  for (Entry& e : entries_) Waitable::remove_link(e.link);
}

void IWait::on_ready(Link& link) noexcept {
  auto* e = static_cast<Entry*>(link.owner);
  e->owner->ready_.push_back(e->object);
  e->owner->wake_.notify_one();
}

Waitable* IWait::next() {
  while (ready_.empty()) {
    if (handed_out_ == entries_.size()) return nullptr;
    if (!wake_.wait(deadline_) && ready_.empty()) return nullptr;
  }
  Waitable* w = ready_.front();
  ready_.pop_front();
  ++handed_out_;
  return w;
}

std::vector<Waitable*> wait(std::span<Waitable* const> objects, Duration timeout, std::size_t count) {
  IWait it(objects, timeout);
  std::vector<Waitable*> done;
  count = std::min(count, objects.size());
  while (done.size() < count) {
    Waitable* w = it.next();
    if (!w) break;
    done.push_back(w);
  }
  return done;
}

std::vector<Waitable*> wait(std::initializer_list<WaitTarget> objects, Duration timeout, std::size_t count) {
  std::vector<Waitable*> addresses;
  addresses.reserve(objects.size());
  for (const WaitTarget& o : objects) addresses.push_back(o.get());
  return wait(std::span<Waitable* const>(addresses), timeout, count);
}

}  // namespace fern
