// Carriers: the greenlets that run aio::in_greenlet's calls. A carrier is a greenlet of the hub
// that serves one call after another and parks between them, so a task's call into greenlet-style
// code (a client, a socket, a queue) costs a wake and two switches instead of a greenlet's spawn
// (bench/results/aio_bridge.md). Each call still has a greenlet to itself while it runs: calls
// that park at once run on as many carriers, and each starts with fresh GreenletLocals.
//
// A CarrierCall lives in the awaiting task's frame and is a Waitable, ready once the call ended.
// The function runs from the carrier's own copy, so the frame may go away mid-call (the hub
// shutting down): the call is then detached and its greenlet unwound, and nothing is written back.
#pragma once

#include <exception>
#include <optional>
#include <type_traits>
#include <utility>

#include "fern/hub/waitable.hpp"

namespace fern::aio::detail {

class Carrier;

class CarrierCall : public Waitable {
 public:
  CarrierCall(const CarrierCall&) = delete;
  CarrierCall& operator=(const CarrierCall&) = delete;

  bool ready() const noexcept override { return done_; }
  // Hands the call to an idle carrier of the current hub, or to a new one when none is idle.
  void start();
  // Interrupts the call: one that has not begun never runs; a running one has `error` raised
  // where it is parked, as a kill would.
  void interrupt(std::exception_ptr error) noexcept;
  // Whether the function returned (its result is there); otherwise error() says what it raised,
  // or is null when an interrupt came before it began.
  bool returned() const noexcept { return returned_; }
  std::exception_ptr error() const noexcept { return error_; }

 protected:
  using RunFn = void (*)(Carrier&);
  explicit CarrierCall(RunFn run) noexcept : run_(run) {}
  // Detaches a call still in flight from its carrier and unwinds what it runs.
  ~CarrierCall();
  // The call `carrier` serves, or null once that call's frame is gone.
  static CarrierCall* served_by(Carrier& carrier) noexcept;

 private:
  friend class Carrier;
  RunFn run_;
  Carrier* carrier_ = nullptr;
  std::exception_ptr error_;
  bool returned_ = false;
  bool done_ = false;
  bool skip_ = false;  // interrupted before it began
};

template <class R, class F>
class CarrierCallOf final : public CarrierCall {
 public:
  explicit CarrierCallOf(F fn) : CarrierCall(&CarrierCallOf::run), fn_(std::move(fn)) {}
  ~CarrierCallOf() = default;

  R take_result() {
    if constexpr (!std::is_void_v<R>) return std::move(*result_);
  }

 private:
  struct NoResult {};
  // On the carrier's stack.
  static void run(Carrier& carrier) {
    F fn = std::move(static_cast<CarrierCallOf*>(served_by(carrier))->fn_);
    if constexpr (std::is_void_v<R>) {
      fn();
    } else {
      R value = fn();
      if (auto* self = static_cast<CarrierCallOf*>(served_by(carrier)))
        self->result_.emplace(std::move(value));
    }
  }

  F fn_;
  [[no_unique_address]] std::conditional_t<std::is_void_v<R>, NoResult, std::optional<R>> result_;
};

}  // namespace fern::aio::detail
