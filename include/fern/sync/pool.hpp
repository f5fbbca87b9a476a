// Group and Pool: sets of running greenlets, gevent's pool module. A Group tracks the greenlets
// spawned through it (or add()ed) until they finish, and can join or kill them together. A Pool
// is a Group of at most `capacity` greenlets: spawn() parks the calling greenlet while the pool is
// full, so no more than `capacity` ever run at once; waiters get free slots in arrival order.
//
// map(fn, items) runs fn on every item (at most `capacity` at a time in a Pool) and returns the
// results in the order of the items; imap() hands them out in that order as they become available
// and imap_unordered() as they finish. Both return an IMap<R>: next() (or a range-for loop) parks
// until the next result, rethrows the exception of an item whose fn failed, and ends after the
// last item. The items are read lazily by a feeder greenlet, so an lvalue range must outlive the
// IMap (an rvalue range is moved into it). Destroying an IMap kills the work it has not handed out.
//
// apply(fn) runs fn in the group and returns its result; apply_async(fn) and map_async(fn, items) never
// park the caller and return a greenlet whose get() gives the result.
//
// Every member finishes on its own; destroying a Group stops tracking, it kills nobody.
#pragma once

#include <cstddef>
#include <exception>
#include <functional>
#include <iterator>
#include <map>
#include <memory>
#include <optional>
#include <type_traits>
#include <unordered_map>
#include <utility>
#include <vector>

#include "fern/base/clock.hpp"
#include "fern/hub/spawn.hpp"
#include "fern/hub/wait_queue.hpp"
#include "fern/hub/waitable.hpp"
#include "fern/sync/semaphore.hpp"

namespace fern {

template <class R>
class IMap;

namespace detail {

// What IMap's state needs that does not depend on the result type.
class IMapCore {
 public:
  // The feeder is done reading items (`error`: why it stopped early).
  void finish_feeding(std::exception_ptr error) noexcept;
  // Kills the feeder (without waiting) and drops the reference to it.
  void stop_feeder() noexcept;
  // Every item was handed out; rethrows the feeder's error once if it had one.
  bool exhausted();
  // Parks until something changes; throws TimeoutError at `deadline`.
  void wait_change(TimePoint deadline);
  void notify_change() noexcept { changed_.notify_all(); }
  // The result of a finished worker: its exception, a cancellation error if it was killed.
  static void rethrow_failure(HubGreenlet& worker);

  GreenletRef<> feeder;
  std::size_t spawned = 0;
  std::size_t handed_out = 0;

 private:
  WaitQueue changed_{"Pool", this};
  std::exception_ptr feeder_error_;
  bool feeding_done_ = false;
};

// An lvalue range is referenced, an rvalue range owned.
template <class Range>
struct RangeSource {
  static constexpr bool owned = !std::is_lvalue_reference_v<Range>;
  std::conditional_t<owned, std::remove_cvref_t<Range>, Range> range;
};

template <class Range>
using RangeItem = std::remove_cvref_t<decltype(*std::begin(std::declval<Range&>()))>;

}  // namespace detail

class Group {
 public:
  Group() = default;
  Group(const Group&) = delete;
  Group& operator=(const Group&) = delete;
  virtual ~Group();

  // Spawns fn(args...) (fern::spawn) and tracks it; a Pool first parks while it is full.
  template <class F, class... Args>
  auto spawn(F&& fn, Args&&... args) {
    reserve_slot(kForever);
    return spawn_in_reserved_slot(std::forward<F>(fn), std::forward<Args>(args)...);
  }

  // gevent's apply: fn(args...) in a member greenlet (parking for a Pool slot), its result
  // returned or its exception rethrown. Called from a member it runs fn inline, as gevent does:
  // waiting for a slot there could wait for itself.
  template <class F, class... Args>
  auto apply(F&& fn, Args&&... args) {
    if (HubGreenlet* self = current_spawned(); self && contains(GreenletRef<>(self)))
      return std::invoke(std::forward<F>(fn), std::forward<Args>(args)...);
    return std::move(spawn(std::forward<F>(fn), std::forward<Args>(args)...)).get();
  }

  // gevent's apply_async: never parks the caller. With a free slot fn(args...) starts as a member at
  // once; otherwise a greenlet outside the group waits for a slot and applies it there. Either way
  // the returned reference's get() gives fn's result. The group must outlive that greenlet.
  template <class F, class... Args>
  auto apply_async(F&& fn, Args&&... args) {
    auto bound = detail::bind_spawned(std::forward<F>(fn), std::forward<Args>(args)...);
    if (reserve_slot(Duration::zero())) return spawn_in_reserved_slot(std::move(bound));
    return fern::spawn([this, bound = std::move(bound)]() mutable { return apply(std::move(bound)); });
  }

  // gevent's map_async: map() in a greenlet of its own (not a member); get() on the returned
  // reference gives the results in item order. The items are moved or copied in; the group must
  // outlive the greenlet.
  template <class F, class Range>
  auto map_async(F&& fn, Range&& items) {
    return fern::spawn([this, fn = std::forward<F>(fn),
                        items = std::remove_cvref_t<Range>(std::forward<Range>(items))]() mutable {
      return map(fn, std::move(items));
    });
  }

  // Tracks a greenlet spawned elsewhere; a Pool parks while full, false when `timeout` passed
  // first. One already finished is not tracked.
  bool add(const GreenletRef<>& g, Duration timeout = kForever);
  // Stops tracking it (frees its Pool slot); it keeps running.
  void discard(const GreenletRef<>& g) noexcept;
  bool contains(const GreenletRef<>& g) const noexcept { return members_.count(g.get_pointer()) != 0; }
  std::size_t size() const noexcept { return members_.size(); }
  bool empty() const noexcept { return members_.empty(); }
  // The buckets of the hash table that tracks the members (8 bytes each): grown with the group, given
  // back once it empties or falls far below its busiest size (see forget). For tests.
  std::size_t bucket_count() const noexcept { return members_.bucket_count(); }
  std::vector<GreenletRef<>> greenlets() const;

  // Parks until every member finished; false when `timeout` passed first. With `raise_error`,
  // rethrows the exception of a greenlet that was a member when join() began and failed.
  bool join(Duration timeout = kForever, bool raise_error = false);
  // Kills every member (GreenletExit by default), and those added meanwhile; with `block`, waits
  // up to `timeout` for them to finish. A calling greenlet that is a member is spared.
  void kill(std::exception_ptr error = nullptr, bool block = true, Duration timeout = kForever);
  // Kills `g` if it is a member.
  void killone(const GreenletRef<>& g, std::exception_ptr error = nullptr, bool block = true,
               Duration timeout = kForever);

  // See the top of this file. fn is called as fn(item) with each item moved (an owned range) or
  // copied; its result type must not be void.
  // `maxsize` (gevent's): at most that many results waiting for the reader, started and not yet
  // handed out; the feeder parks before starting more, so an unread IMap holds bounded memory.
  // 0: no bound beyond the Pool's.
  template <class F, class Range>
  auto imap(F&& fn, Range&& items, std::size_t maxsize = 0) {
    return start_imap(std::forward<F>(fn), std::forward<Range>(items), true, maxsize);
  }
  template <class F, class Range>
  auto imap_unordered(F&& fn, Range&& items, std::size_t maxsize = 0) {
    return start_imap(std::forward<F>(fn), std::forward<Range>(items), false, maxsize);
  }
  // The results in item order; rethrows the first failure in that order, TimeoutError when
  // `timeout` passes first. Work not collected is killed.
  template <class F, class Range>
  auto map(F&& fn, Range&& items, Duration timeout = kForever);

 protected:
  // Pool: a free slot, reserved for the greenlet about to be tracked.
  virtual bool reserve_slot(Duration) { return true; }
  virtual void release_slot() noexcept {}

 private:
  template <class F, class... Args>
  auto spawn_in_reserved_slot(F&& fn, Args&&... args) {
    try {
      auto g = fern::spawn(std::forward<F>(fn), std::forward<Args>(args)...);
      track_started(g);
      return g;
    } catch (...) {
      release_slot();
      throw;
    }
  }

  struct Member {
    Link link;
    GreenletRef<> greenlet;
    Group* group;
  };
  static void on_member_finished(Link& link) noexcept;
  void link_member(const GreenletRef<>& g);
  // Tracks `g` (its slot is reserved); kills it and rethrows if that fails.
  void track_started(const GreenletRef<>& g);
  void forget(HubGreenlet* g) noexcept;
  void shrink_table() noexcept;

  template <class F, class Range>
  auto start_imap(F&& fn, Range&& items, bool ordered, std::size_t maxsize);

  std::unordered_map<HubGreenlet*, std::unique_ptr<Member>> members_;
  WaitQueue emptied_{"Group.join", this};
};

class Pool : public Group {
 public:
  // std::invalid_argument when `capacity` is 0.
  explicit Pool(std::size_t capacity);

  std::size_t capacity() const noexcept { return capacity_; }
  // Slots a spawn() could take now without parking.
  std::size_t free_count() const noexcept { return slots_.counter(); }
  bool full() const noexcept { return free_count() == 0; }
  // Parks until a slot is free; returns the free slots, 0 when `timeout` passed first.
  std::size_t wait_available(Duration timeout = kForever) { return slots_.wait(timeout); }

 protected:
  bool reserve_slot(Duration timeout) override { return slots_.acquire(timeout); }
  void release_slot() noexcept override;

 private:
  std::size_t capacity_;
  Semaphore slots_;
};

// Results of Group::imap / imap_unordered, handed out one at a time.
template <class R>
class IMap {
 public:
  using value_type = R;

  IMap(IMap&&) noexcept = default;
  IMap& operator=(IMap&& o) noexcept {
    stop();
    state_ = std::move(o.state_);
    return *this;
  }
  ~IMap() { stop(); }

  // The next result, or nullopt after the last. Rethrows the item's exception (and then goes on
  // with the next item); TimeoutError when `timeout` passes first.
  std::optional<R> next(Duration timeout = kForever) {
    State& s = *state_;
    const TimePoint deadline = deadline_after(timeout);
    for (;;) {
      if (Worker* w = s.take_finished()) return s.hand_out(w);
      if (s.exhausted()) return std::nullopt;
      s.wait_change(deadline);
    }
  }

  class iterator {
   public:
    using value_type = R;
    using difference_type = std::ptrdiff_t;
    R& operator*() { return *current_; }
    iterator& operator++() {
      current_ = map_->next();
      return *this;
    }
    void operator++(int) { ++*this; }
    bool operator==(std::default_sentinel_t) const noexcept { return !current_.has_value(); }

   private:
    friend class IMap;
    explicit iterator(IMap* m) : map_(m), current_(m->next()) {}
    IMap* map_;
    std::optional<R> current_;
  };
  iterator begin() { return iterator(this); }
  std::default_sentinel_t end() const noexcept { return {}; }

 private:
  friend class Group;
  struct State;
  struct Worker {
    Link link;
    GreenletRef<R> greenlet;
    std::size_t index;
    State* state;
  };

  struct State : detail::IMapCore {
    explicit State(bool in_order) : ordered(in_order) {}

    void add_worker(GreenletRef<R> g) {
      auto w = std::make_unique<Worker>();
      w->greenlet = std::move(g);
      w->index = spawned;
      w->state = this;
      w->link.owner = w.get();
      w->link.fire = &State::on_worker_finished;
      Worker& added = *w;
      running.emplace(spawned++, std::move(w));
      added.greenlet->add_link(added.link);
    }
    static void on_worker_finished(Link& link) noexcept {
      auto* w = static_cast<Worker*>(link.owner);
      if (!w->state->ordered) w->state->finished.push_back(w);
      w->state->notify_change();
    }
    Worker* take_finished() {
      if (ordered) {
        auto it = running.find(handed_out);
        return it != running.end() && it->second->greenlet->ready() ? it->second.get() : nullptr;
      }
      if (finished.empty()) return nullptr;
      Worker* w = finished.front();
      finished.erase(finished.begin());
      return w;
    }
    std::optional<R> hand_out(Worker* w) {
      auto node = running.extract(w->index);
      ++handed_out;
      notify_change();  // a feeder held by maxsize may start the next item
      HubGreenlet& g = *w->greenlet;
      rethrow_failure(g);
      // Moved out, not copied as GreenletRef::get() would: R may be move-only.
      return std::move(*static_cast<detail::HubGreenletWithResult<R>&>(g).result);
    }
    void stop() noexcept {
      stop_feeder();
      for (auto& [index, w] : running) {
        w->link.unlink();
        w->greenlet->kill(nullptr, false);
      }
      running.clear();
      finished.clear();
    }

    bool ordered;
    std::map<std::size_t, std::unique_ptr<Worker>> running;  // spawned, not handed out
    std::vector<Worker*> finished;                           // imap_unordered: in finishing order
  };

  explicit IMap(std::shared_ptr<State> s) noexcept : state_(std::move(s)) {}
  void stop() noexcept {
    if (state_) state_->stop();
  }

  std::shared_ptr<State> state_;
};

template <class F, class Range>
auto Group::start_imap(F&& fn, Range&& items, bool ordered, std::size_t maxsize) {
  using Fn = std::decay_t<F>;
  using Item = detail::RangeItem<Range>;
  using R = std::remove_cvref_t<std::invoke_result_t<Fn&, Item&&>>;
  static_assert(!std::is_void_v<R>, "fern: map/imap need a function that returns a value");
  using Source = detail::RangeSource<Range>;

  auto state = std::make_shared<typename IMap<R>::State>(ordered);
  auto call = std::make_shared<Fn>(std::forward<F>(fn));
  auto feed = [this, state, call, maxsize, source = Source{std::forward<Range>(items)}]() mutable {
    try {
      for (auto&& item : source.range) {
        while (maxsize != 0 && state->spawned - state->handed_out >= maxsize)
          state->wait_change(TimePoint::max());
        Item copy = [&]() -> Item {
          if constexpr (Source::owned) {
            return std::move(item);
          } else {
            return item;
          }
        }();
        state->add_worker(
            spawn([call, arg = std::move(copy)]() mutable { return std::invoke(*call, std::move(arg)); }));
      }
      state->finish_feeding(nullptr);
    } catch (const GreenletExit&) {
      state->finish_feeding(nullptr);
      throw;
    } catch (...) {
      state->finish_feeding(std::current_exception());
    }
  };
  state->feeder = fern::spawn(std::move(feed));
  return IMap<R>(std::move(state));
}

template <class F, class Range>
auto Group::map(F&& fn, Range&& items, Duration timeout) {
  auto results = imap(std::forward<F>(fn), std::forward<Range>(items));
  std::vector<typename decltype(results)::value_type> out;
  const TimePoint deadline = deadline_after(timeout);
  for (;;) {
    const Duration left = deadline == TimePoint::max() ? kForever : deadline - Clock::now();
    auto v = results.next(left);
    if (!v) return out;
    out.push_back(std::move(*v));
  }
}

}  // namespace fern
