// spawn: gevent's Greenlet for C++. spawn(fn, args...) starts fn in a new greenlet on the current
// thread's hub and returns a GreenletRef<R> (R is fn's result type) to join, get, kill and link it.
// A spawned greenlet keeps itself alive until it finishes, so dropping every ref is fine; an
// exception escaping it is stored (and printed, as gevent does) and rethrown by get().
// Spawned with SpawnOptions::greenlet.mode == StackMode::dense, the greenlet object lives at the
// top of its own dense stack (Greenlet::make_dense), so a parked one costs about one page; the
// stack is freed with the object, when the last GreenletRef goes.
#pragma once

#include <any>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <functional>
#include <initializer_list>
#include <optional>
#include <ranges>
#include <span>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include "fern/base/clock.hpp"
#include "fern/base/source_site.hpp"
#include "fern/greenlet/greenlet.hpp"
#include "fern/hub/hub.hpp"
#include "fern/hub/wait_queue.hpp"
#include "fern/hub/waitable.hpp"

namespace fern {

template <class T = void>
class GreenletRef;

struct SpawnOptions {
  std::string name;
  GreenletOptions greenlet = Greenlet::defaults();
  // Where the greenlet was spawned, for fern::run_info(): the braces that made these options (in
  // spawn_with({...}, fn)), or the caller of spawn(). No stack walk: the compiler fills it in.
  SourceSite site = SourceSite::current();
  // Whether a failure is reported to the hub's error handler (printed by default, as gevent does).
  // Off where the spawner hands the failure on itself (aio::in_greenlet rethrows it in its task).
  bool report_failure = true;
};

class HubGreenlet : public Greenlet, public Waitable, public HubResident {
 public:
  using Callback = std::function<void(GreenletRef<>)>;

  // Finished (returned, raised, or killed).
  bool ready() const noexcept override { return finished_; }
  // Finished without an exception (a kill with GreenletExit counts as success, as in gevent).
  bool successful() const noexcept { return finished_ && !error_; }
  bool killed() const noexcept { return killed_; }
  std::exception_ptr exception() const noexcept { return error_; }

  // Its number on its hub (from 1, in spawn order), the number of the spawned greenlet that was
  // running when it was spawned (0: main or the hub), and where it was spawned.
  std::uint64_t id() const noexcept { return id_; }
  std::uint64_t parent_id() const noexcept { return parent_id_; }
  const SourceSite& spawn_site() const noexcept { return site_; }
  // Its name, or "Greenlet-<id>" when it has none.
  std::string display_name() const;
  // Whether it is queued to run (started but not yet run, or woken and not yet resumed).
  bool queued() const noexcept { return queued_; }

  // Waits for it to finish; false when `timeout` passed first. Never throws its exception.
  bool join(Duration timeout = kForever);
  // Raises `error` in it (GreenletExit by default); one that has not started never runs. With
  // `block`, waits up to `timeout` for it to finish.
  void kill(std::exception_ptr error = nullptr, bool block = true, Duration timeout = kForever);

  // Callbacks run in the hub soon after it finishes (at once-ish if it already has). Returns an id
  // for unlink().
  std::uint64_t link(Callback cb);
  std::uint64_t link_value(Callback cb);      // only if it succeeded
  std::uint64_t link_exception(Callback cb);  // only if it failed
  void unlink(std::uint64_t id) noexcept;

  void add_ref() noexcept { ++refs_; }
  void release() noexcept {
    if (--refs_ == 0) Greenlet::Deleter{}(this);
  }

  // Makes a G (a HubGreenlet whose constructor takes (Hub&, const SpawnOptions&, const OwnSlot*,
  // args...)) on the heap, or at the top of its own dense stack when options ask for dense.
  template <class G, class... Args>
  static G* create(Hub& hub, const SpawnOptions& options, Args&&... args);

  // Starts it on a later turn of the hub (spawn does this), or after `delay`.
  void start();
  void start_later(Duration delay);

 protected:
  HubGreenlet(Hub& hub, const SpawnOptions& options, const OwnSlot* own_slot);
  ~HubGreenlet() override;
  // Runs the user's function and stores its result.
  virtual void invoke() = 0;

 private:
  struct UserLink {
    std::uint64_t id;
    int when;  // 0 always, 1 on value, 2 on exception
    Callback cb;
  };
  std::any run(std::any) final;
  void finish(std::exception_ptr error) noexcept;
  void schedule_user_links() noexcept;
  std::uint64_t add_user_link(int when, Callback cb);
  void track() noexcept;
  void unwind_at_shutdown() noexcept override;
  void after_death() noexcept override;
  static void on_start_timer(Timer& t) noexcept;

  Hub& hub_;
  std::uint64_t id_;
  std::uint64_t parent_id_;
  SourceSite site_;
  WaitQueue joiners_{"join", static_cast<const Greenlet*>(this)};
  std::exception_ptr error_;
  std::vector<UserLink> user_links_;
  std::uint64_t next_link_id_ = 1;
  Timer start_timer_;
  unsigned refs_ = 0;
  bool finished_ = false;
  bool killed_ = false;
  bool self_ref_ = false;
  bool queued_ = false;  // a ready-queue entry points here
  bool report_failure_;
};

namespace detail {

template <class R>
class HubGreenletWithResult : public HubGreenlet {
 public:
  using HubGreenlet::HubGreenlet;
  std::optional<R> result;
};
template <>
class HubGreenletWithResult<void> : public HubGreenlet {
 public:
  using HubGreenlet::HubGreenlet;
};

template <class R, class Fn>
class SpawnedGreenlet final : public HubGreenletWithResult<R> {
 public:
  SpawnedGreenlet(Hub& hub, const SpawnOptions& options, const Greenlet::OwnSlot* own_slot, Fn fn)
      : HubGreenletWithResult<R>(hub, options, own_slot), fn_(std::move(fn)) {}

 private:
  void invoke() override {
    if constexpr (std::is_void_v<R>) {
      fn_();
    } else {
      this->result.emplace(fn_());
    }
  }
  Fn fn_;
};

template <class F, class... Args>
auto bind_spawned(F&& fn, Args&&... args) {
  return [f = std::forward<F>(fn), tup = std::make_tuple(std::forward<Args>(args)...)]() mutable {
    return std::apply(f, std::move(tup));  // runs once: move-only arguments (a Socket) move in
  };
}

[[noreturn]] void throw_join_timeout();
[[noreturn]] void throw_killed();

// What GreenletRef<void>::get() dereferences: nothing.
struct VoidResult {
  void operator*() const noexcept {}
};

template <class R>
struct IsGreenletRef : std::false_type {};
template <class U>
struct IsGreenletRef<GreenletRef<U>> : std::true_type {};

}  // namespace detail

// A counted reference to a spawned greenlet; GreenletRef<R> converts to the untyped GreenletRef<>.
template <class T>
class GreenletRef {
 public:
  GreenletRef() = default;
  explicit GreenletRef(HubGreenlet* g) noexcept : g_(g) {
    if (g_) g_->add_ref();
  }
  GreenletRef(const GreenletRef& o) noexcept : GreenletRef(o.g_) {}
  GreenletRef(GreenletRef&& o) noexcept : g_(std::exchange(o.g_, nullptr)) {}
  template <class U>
  requires(std::is_void_v<T> && !std::is_void_v<U>) GreenletRef(const GreenletRef<U>& o)
  noexcept : GreenletRef(o.get_pointer()) {}
  GreenletRef& operator=(GreenletRef o) noexcept {
    std::swap(g_, o.g_);
    return *this;
  }
  ~GreenletRef() {
    if (g_) g_->release();
  }

  HubGreenlet* operator->() const noexcept { return g_; }
  HubGreenlet& operator*() const noexcept { return *g_; }
  HubGreenlet* get_pointer() const noexcept { return g_; }
  explicit operator bool() const noexcept { return g_ != nullptr; }
  bool operator==(const GreenletRef& o) const noexcept { return g_ == o.g_; }

  // Joins, then returns a copy of its result or rethrows its exception. Throws TimeoutError when
  // `timeout` passes first, GreenletExit if it was killed before producing a value.
  T get(Duration timeout = kForever) const& requires(std::is_void_v<T> || std::copy_constructible<T>) {
    return *joined_result(timeout);
  }
  // The same, moving the result out: for move-only results (std::move(ref).get(), or straight on
  // spawn(...).get()). Every other reference to this greenlet then sees the moved-from value.
  T get(Duration timeout = kForever) && {
    if constexpr (std::is_void_v<T>) {
      joined_result(timeout);
    } else {
      return std::move(*joined_result(timeout));
    }
  }

  // Callbacks run in the hub soon after it finishes, given this typed reference, so they can
  // get() its value; each returns an id for (*this)->unlink().
  template <std::invocable<GreenletRef> F>
  std::uint64_t link(F fn) const {
    return g_->link(typed_callback(std::move(fn)));
  }
  template <std::invocable<GreenletRef> F>
  std::uint64_t link_value(F fn) const {
    return g_->link_value(typed_callback(std::move(fn)));
  }
  template <std::invocable<GreenletRef> F>
  std::uint64_t link_exception(F fn) const {
    return g_->link_exception(typed_callback(std::move(fn)));
  }

 private:
  // The stored result once it has finished (void: an empty holder); rethrows its failure.
  auto joined_result(Duration timeout) const {
    if (!g_->join(timeout)) detail::throw_join_timeout();
    if (auto e = g_->exception()) std::rethrow_exception(e);
    if constexpr (std::is_void_v<T>) {
      return detail::VoidResult{};
    } else {
      auto* typed = static_cast<detail::HubGreenletWithResult<T>*>(g_);
      if (!typed->result) detail::throw_killed();
      return &*typed->result;
    }
  }
  template <class F>
  static HubGreenlet::Callback typed_callback(F fn) {
    return [fn = std::move(fn)](GreenletRef<> g) mutable { fn(GreenletRef(g.get_pointer())); };
  }

  HubGreenlet* g_ = nullptr;
};

template <class G, class... Args>
G* HubGreenlet::create(Hub& hub, const SpawnOptions& options, Args&&... args) {
  if constexpr (sizeof(G) <= kMaxOwnSlotObject && alignof(G) <= 64) {
    if (options.greenlet.mode == StackMode::dense) {
      OwnSlot slot = acquire_own_slot(sizeof(G));
      try {
        return ::new (slot.object) G(hub, options, &slot, std::forward<Args>(args)...);
      } catch (...) {
        release_own_slot(slot);
        throw;
      }
    }
  }
  return new G(hub, options, nullptr, std::forward<Args>(args)...);
}

template <class F, class... Args>
auto spawn_with(const SpawnOptions& options, F&& fn, Args&&... args) {
  auto bound = detail::bind_spawned(std::forward<F>(fn), std::forward<Args>(args)...);
  using R = std::invoke_result_t<decltype(bound)&>;
  using G = detail::SpawnedGreenlet<R, decltype(bound)>;
  G* g = HubGreenlet::create<G>(Hub::current(), options, std::move(bound));
  GreenletRef<R> ref(g);
  g->start();
  return ref;
}

namespace detail {
template <class F, class... Args>
auto spawn_at(const SourceSite& site, F&& fn, Args&&... args) {
  SpawnOptions options;
  options.site = site;
  return spawn_with(options, std::forward<F>(fn), std::forward<Args>(args)...);
}
}  // namespace detail

// spawn(fn, args...): up to three arguments, the call site is recorded for run_info() (a default
// argument cannot follow a parameter pack, hence one overload per count); more arguments work
// too, without the site.
template <class F>
auto spawn(F&& fn, const SourceSite& site = SourceSite::current()) {
  return detail::spawn_at(site, std::forward<F>(fn));
}
template <class F, class A1>
auto spawn(F&& fn, A1&& a1, const SourceSite& site = SourceSite::current()) {
  return detail::spawn_at(site, std::forward<F>(fn), std::forward<A1>(a1));
}
template <class F, class A1, class A2>
auto spawn(F&& fn, A1&& a1, A2&& a2, const SourceSite& site = SourceSite::current()) {
  return detail::spawn_at(site, std::forward<F>(fn), std::forward<A1>(a1), std::forward<A2>(a2));
}
template <class F, class A1, class A2, class A3>
auto spawn(F&& fn, A1&& a1, A2&& a2, A3&& a3, const SourceSite& site = SourceSite::current()) {
  return detail::spawn_at(site, std::forward<F>(fn), std::forward<A1>(a1), std::forward<A2>(a2),
                          std::forward<A3>(a3));
}
template <class F, class A1, class A2, class A3, class A4, class... More>
auto spawn(F&& fn, A1&& a1, A2&& a2, A3&& a3, A4&& a4, More&&... more) {
  return spawn_with(SpawnOptions{}, std::forward<F>(fn), std::forward<A1>(a1), std::forward<A2>(a2),
                    std::forward<A3>(a3), std::forward<A4>(a4), std::forward<More>(more)...);
}

template <class F, class... Args>
auto spawn_later(Duration delay, F&& fn, Args&&... args) {
  auto bound = detail::bind_spawned(std::forward<F>(fn), std::forward<Args>(args)...);
  using R = std::invoke_result_t<decltype(bound)&>;
  using G = detail::SpawnedGreenlet<R, decltype(bound)>;
  auto* g = HubGreenlet::create<G>(Hub::current(), SpawnOptions{}, std::move(bound));
  GreenletRef<R> ref(g);
  g->start_later(delay);
  return ref;
}

// Waits for all of them, or for the first `count` to finish (gevent's joinall count=), up to
// `timeout`; returns those that finished (with `count`, in finishing order). With `raise_error`, the
// first failure among them is rethrown once the wait ends.
inline constexpr std::size_t kJoinAll = static_cast<std::size_t>(-1);
std::vector<GreenletRef<>> joinall(std::span<const GreenletRef<>> greenlets, Duration timeout = kForever,
                                   bool raise_error = false, std::size_t count = kJoinAll);
inline std::vector<GreenletRef<>> joinall(std::initializer_list<GreenletRef<>> greenlets,
                                          Duration timeout = kForever, bool raise_error = false,
                                          std::size_t count = kJoinAll) {
  return joinall(std::span<const GreenletRef<>>(greenlets.begin(), greenlets.size()), timeout, raise_error,
                 count);
}
// Any range of references, typed or not: a std::vector<GreenletRef<int>>, a std::array, a span.
template <class R>
concept GreenletRefRange = std::ranges::input_range<R> &&
    detail::IsGreenletRef<std::remove_cvref_t<std::ranges::range_value_t<R>>>::value;
namespace detail {
template <GreenletRefRange R>
std::vector<GreenletRef<>> untyped_refs(const R& greenlets) {
  std::vector<GreenletRef<>> out;
  for (const auto& g : greenlets) out.emplace_back(g);
  return out;
}
}  // namespace detail
template <GreenletRefRange R>
std::vector<GreenletRef<>> joinall(const R& greenlets, Duration timeout = kForever, bool raise_error = false,
                                   std::size_t count = kJoinAll) {
  return joinall(std::span<const GreenletRef<>>(detail::untyped_refs(greenlets)), timeout, raise_error,
                 count);
}

// Kills them all (GreenletExit by default); with `block`, waits up to `timeout` for them to finish.
void killall(std::span<const GreenletRef<>> greenlets, std::exception_ptr error = nullptr, bool block = true,
             Duration timeout = kForever);
inline void killall(std::initializer_list<GreenletRef<>> greenlets, std::exception_ptr error = nullptr,
                    bool block = true, Duration timeout = kForever) {
  killall(std::span<const GreenletRef<>>(greenlets.begin(), greenlets.size()), std::move(error), block,
          timeout);
}

template <GreenletRefRange R>
void killall(const R& greenlets, std::exception_ptr error = nullptr, bool block = true,
             Duration timeout = kForever) {
  killall(std::span<const GreenletRef<>>(detail::untyped_refs(greenlets)), std::move(error), block, timeout);
}

// The spawned greenlet running now, or null (main, the hub, a raw greenlet).
HubGreenlet* current_spawned() noexcept;

}  // namespace fern
