// Channel<T>: a rendezvous between greenlets, gevent's queue.Channel (a queue of size zero).
// put() parks the putter until a getter has taken its item; get() parks the getter until a putter
// offers one. Putters and getters are each served in arrival order, so items arrive in the order
// their put() calls began.
//
// Kills and timeouts lose nothing: a putter that gives up (timeout, kill, fern::Timeout) takes its
// item back before anyone sees it; a getter that gives up after an item was promised to it passes
// the promise to the next getter (FairWaitQueue). Errors follow gevent: get() throws QueueEmpty
// and put() throws QueueFull when their timeout passes; the _nowait forms need a partner already
// waiting. A zero timeout never parks.
#pragma once

#include <cstddef>
#include <optional>
#include <utility>

#include "fern/base/clock.hpp"
#include "fern/base/error.hpp"
#include "fern/base/intrusive_list.hpp"
#include "fern/greenlet/greenlet.hpp"
#include "fern/hub/wait_queue.hpp"
#include "fern/sync/fair_wait_queue.hpp"
#include "fern/sync/queue.hpp"

namespace fern {
namespace detail {
// Raises std::system_error (Errc::closed) in a greenlet parked on a Channel being destroyed.
void fail_parked_putter(Greenlet& g) noexcept;
}  // namespace detail

template <class T>
class Channel {
 public:
  using value_type = T;

  Channel() = default;
  Channel(const Channel&) = delete;
  Channel& operator=(const Channel&) = delete;
  // Greenlets still parked in put() or get() get std::system_error (Errc::closed).
  ~Channel() {
    offers_.for_each([](Offer& o) {
      if (o.greenlet) {
        o.channel = nullptr;
        detail::fail_parked_putter(*o.greenlet);
      } else {
        delete &o;  // put_nowait's offer: nobody else owns it
      }
    });
    offers_.clear();
  }

  // Offers `item` and parks until a getter took it. QueueFull (Errc::timed_out) when `timeout`
  // passed first; nobody got the item then.
  void put(T item, Duration timeout = kForever) {
    if (timeout <= Duration::zero()) {  // never parks: only a getter already waiting can take it
      if (!getters_.has_waiters()) throw QueueFull(Errc::timed_out);
      put_nowait(std::move(item));
      return;
    }
    Offer offer;
    offer.item.emplace(std::move(item));
    offer.channel = this;
    offer.greenlet = Greenlet::current();
    if (!await_delivery(offer, deadline_after(timeout))) throw QueueFull(Errc::timed_out);
  }
  // Hands `item` to a getter already parked in get(), without parking; QueueFull
  // (Errc::would_block) when none is.
  void put_nowait(T item) {
    if (!getters_.has_waiters()) throw QueueFull(Errc::would_block);
    auto* offer = new Offer;
    offer->item.emplace(std::move(item));
    offer->channel = this;
    add_offer(*offer);
  }

  // Parks until a putter offers an item, and takes it. QueueEmpty (Errc::timed_out) when
  // `timeout` passed first.
  T get(Duration timeout = kForever) {
    const TimePoint deadline = deadline_after(timeout);
    while (!has_offer()) {
      if (!getters_.wait(deadline)) throw QueueEmpty(Errc::timed_out);
    }
    return take();
  }
  // Takes an item from a putter already parked in put(); QueueEmpty (Errc::would_block) when none is.
  T get_nowait() {
    if (!has_offer()) throw QueueEmpty(Errc::would_block);
    return take();
  }

  // Greenlets parked in get(), and items offered but not yet taken.
  std::size_t getters_waiting() const noexcept { return getters_.waiting(); }
  std::size_t putters_waiting() const noexcept { return offered_; }
  // gevent's balance: positive when getters wait, negative when putters do.
  std::ptrdiff_t balance() const noexcept {
    return static_cast<std::ptrdiff_t>(getters_.waiting()) - static_cast<std::ptrdiff_t>(offered_);
  }

 private:
  // An item waiting for a getter; on the putter's stack (greenlet set) or, from put_nowait, owned
  // by the channel (greenlet null).
  struct Offer : ListNode {
    std::optional<T> item;
    Channel* channel = nullptr;  // null once the channel is gone
    Greenlet* greenlet = nullptr;
    WaitQueue taken{"Channel.put"};  // the putter waits here
    bool delivered = false;
  };

  bool has_offer() const noexcept { return offered_ > getters_.reserved(); }

  void add_offer(Offer& o) noexcept {
    offers_.push_back(o);
    ++offered_;
    while (has_offer() && getters_.notify_one()) {
    }
  }
  void withdraw(Offer& o) noexcept {
    // A getter may have been promised this item; it finds none and waits again.
    o.unlink();
    --offered_;
  }

  bool await_delivery(Offer& offer, TimePoint deadline) {
    add_offer(offer);
    try {
      while (!offer.delivered) {
        if (!offer.taken.wait(deadline)) break;
      }
    } catch (...) {
      if (!offer.delivered && offer.channel) withdraw(offer);
      throw;
    }
    if (offer.delivered) return true;
    if (!offer.channel)
      throw_error(Errc::closed, "fern: a Channel was destroyed while a greenlet waited on it");
    withdraw(offer);
    return false;
  }

  T take() {
    Offer* o = offers_.pop_front();
    --offered_;
    T item = std::move(*o->item);
    if (!o->greenlet) {
      delete o;
    } else {
      o->delivered = true;
      o->taken.notify_one();
    }
    return item;
  }

  IntrusiveList<Offer> offers_;
  std::size_t offered_ = 0;
  FairWaitQueue getters_{"Channel.get", this};
};

}  // namespace fern
