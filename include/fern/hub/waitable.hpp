// Waitable: something that becomes ready once (a finished greenlet, a set Event, an AsyncResult
// with a value) and can be waited on together with others (fern::wait, fern::iwait). Links are
// intrusive callbacks fired once, in the order they were added, when the object becomes ready.
#pragma once

#include "fern/base/intrusive_list.hpp"

namespace fern {

struct Link : ListNode {
  void (*fire)(Link&) = nullptr;
  void* owner = nullptr;  // what the callback acts on
};

class Waitable {
 public:
  virtual bool ready() const noexcept = 0;
  // `link` fires once when this becomes ready (at once if it already is).
  void add_link(Link& link) {
    if (ready()) {
      link.fire(link);
    } else {
      links_.push_back(link);
    }
  }
  static void remove_link(Link& link) noexcept { link.unlink(); }

 protected:
  Waitable() = default;
  ~Waitable() = default;
  void fire_links() {
    while (Link* l = links_.pop_front()) l->fire(*l);
  }

 private:
  IntrusiveList<Link> links_;
};

}  // namespace fern
