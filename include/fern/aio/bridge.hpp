// Bridge<T>: the task form of an object written for greenlets (a client, a pool, a channel). Each
// forwarded method takes the object's own arguments and returns a Task of its result; the call runs
// on a carrier greenlet (in_greenlet), so the object itself is shared, unchanged, by tasks and
// greenlets alike: one client, one pool of connections, one set of outcomes and timeouts.
//
//   redis::TaskClient redis(client);               // a Bridge<redis::Client>
//   auto value = co_await redis.get("k");
//   co_await redis.call([](redis::Client& c) {     // anything else, in one carrier call
//     auto pipe = c.pipeline(); ...
//   });
//
// A class exposes methods with FERN_AIO_FORWARD(name): every overload and default argument of the
// target's `name` comes along. Arguments are taken by value into the call (a std::string is moved,
// a string_view stays a view), so views must outlive the co_await, as they do when the call is
// awaited where it is made. An options struct that owns memory (a ClientRequest, QueueOptions with
// arguments) goes into a local before the co_await: g++ 12 destroys an aggregate temporary made in
// an awaiting expression twice (docs/design/aio.md). Cancelling the awaiting task kills the call where it
// parks, exactly as a kill would in a greenlet: the target's own outcome rules say what was applied.
#pragma once

#include <utility>

#include "fern/aio/in_greenlet.hpp"

namespace fern::aio {

template <class T>
class Bridge {
 public:
  explicit Bridge(T& target) noexcept : target_(&target) {}

  T& target() const noexcept { return *target_; }

  // Runs fn(target) in a carrier greenlet; the Task of its result.
  template <class F>
  auto call(F fn) const {
    auto run = [target = target_, fn = std::move(fn)]() mutable { return fn(*target); };
    return in_greenlet(std::move(run));
  }

 private:
  T* target_;
};

}  // namespace fern::aio

// Inside a class deriving from fern::aio::Bridge<T>: a method `name(args...)` returning the Task of
// target().name(args...). The call's arguments are captured by value and moved in.
#define FERN_AIO_FORWARD(name)                                                       \
  template <class... FernArgs>                                                       \
  auto name(FernArgs&&... args) const {                                              \
    return this->call([... a = std::forward<FernArgs>(args)](auto& target) mutable { \
      return target.name(std::move(a)...);                                           \
    });                                                                              \
  }
