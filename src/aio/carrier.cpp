#include "fern/aio/detail/carrier.hpp"

#include <cstddef>
#include <memory>

#include "fern/greenlet/greenlet.hpp"
#include "fern/hub/hub.hpp"
#include "fern/hub/spawn.hpp"
#include "fern/hub/waiter.hpp"

namespace fern::aio::detail {

namespace {
// Idle carriers kept per hub; past this a carrier ends after its call. Enough for the calls a busy
// task server has in flight at once; each idle one costs a parked greenlet.
constexpr std::size_t kMaxIdleCarriers = 128;
}  // namespace

class Carrier {
 public:
  // The carrier greenlet's body: serves calls until the hub shuts down or enough others idle.
  void serve();
  // Links this carrier and `call` both ways, or unlinks its call (null).
  void bind(CarrierCall* call) noexcept;
  // Gives an idle carrier its next call.
  void assign(CarrierCall& call) noexcept;
  // Takes `call` back before the carrier has finished it (its frame is going away).
  void detach() noexcept;
  void interrupt(std::exception_ptr error) noexcept;
  bool running() const noexcept { return running_; }
  CarrierCall* call() const noexcept { return call_; }

  // The idle list of the current thread's hub: a plain linked stack (most recently idle first, its
  // stack still warm) in a trivially destructible thread-local, so carriers unwound by a hub that
  // outlives other thread-locals never touch a destroyed container.
  Carrier* idle_next_ = nullptr;
  Carrier* idle_prev_ = nullptr;

 private:
  void run_call() noexcept;
  bool park_idle();

  CarrierCall* call_ = nullptr;
  Greenlet* greenlet_ = nullptr;
  Hub* hub_ = nullptr;
  Waiter* idle_waiter_ = nullptr;  // while parked between calls
  bool running_ = false;
};

namespace {

struct IdleCarriers {
  Hub* hub;
  Carrier* first;
  std::size_t count;
};
constinit thread_local IdleCarriers t_idle{nullptr, nullptr, 0};

IdleCarriers& idle_of(Hub& hub) noexcept {
  if (t_idle.hub != &hub) t_idle = {&hub, nullptr, 0};  // a new hub on this thread: none are left
  return t_idle;
}

void push_idle(IdleCarriers& idle, Carrier& c) noexcept {
  c.idle_prev_ = nullptr;
  c.idle_next_ = idle.first;
  if (idle.first) idle.first->idle_prev_ = &c;
  idle.first = &c;
  ++idle.count;
}

void remove_idle(IdleCarriers& idle, Carrier& c) noexcept {
  if (c.idle_prev_) {
    c.idle_prev_->idle_next_ = c.idle_next_;
  } else if (idle.first == &c) {
    idle.first = c.idle_next_;
  } else {
    return;  // not listed
  }
  if (c.idle_next_) c.idle_next_->idle_prev_ = c.idle_prev_;
  c.idle_prev_ = c.idle_next_ = nullptr;
  --idle.count;
}

}  // namespace

void Carrier::serve() {
  greenlet_ = Greenlet::current();
  hub_ = &Hub::current();
  while (true) {
    if (call_) run_call();
    if (hub_->shutting_down() || !park_idle()) return;
  }
}

void Carrier::run_call() noexcept {
  CarrierCall* call = call_;
  if (!call->skip_) {
    running_ = true;
    try {
      call->run_(*this);
      if (call_) call_->returned_ = true;
    } catch (...) {
      if (call_) call_->error_ = std::current_exception();
    }
    running_ = false;
    greenlet_->clear_locals();
  }
  if (CarrierCall* c = call_) {
    bind(nullptr);
    c->done_ = true;
    c->fire_links();
  }
}

// Parks until assign() hands over a call; false when this carrier should end instead.
bool Carrier::park_idle() {
  IdleCarriers& idle = idle_of(*hub_);
  if (idle.count >= kMaxIdleCarriers) return false;
  Waiter waiter;
  waiter.waits_on({"aio carrier: idle", this});
  idle_waiter_ = &waiter;
  push_idle(idle, *this);
  try {
    waiter.park();
  } catch (...) {  // the hub unwinding it (by then the thread may have no current hub)
    if (t_idle.hub == hub_) remove_idle(t_idle, *this);
    idle_waiter_ = nullptr;
    return false;
  }
  idle_waiter_ = nullptr;
  return true;
}

void Carrier::bind(CarrierCall* call) noexcept {
  if (call_) call_->carrier_ = nullptr;
  call_ = call;
  if (call) call->carrier_ = this;
}

void Carrier::assign(CarrierCall& call) noexcept {
  bind(&call);
  idle_waiter_->wake();
}

void Carrier::detach() noexcept {
  bind(nullptr);
  if (running_) interrupt(std::make_exception_ptr(GreenletExit()));
}

void Carrier::interrupt(std::exception_ptr error) noexcept {
  if (Waiter* w = Waiter::of(*greenlet_)) w->fail(std::move(error));
}

void CarrierCall::start() {
  Hub& hub = Hub::current();
  IdleCarriers& idle = idle_of(hub);
  if (Carrier* c = idle.first) {
    remove_idle(idle, *c);
    c->assign(*this);
    return;
  }
  auto carrier = std::make_unique<Carrier>();
  carrier->bind(this);
  SpawnOptions options;
  options.name = "aio carrier";
  options.report_failure = false;  // serve() lets nothing escape but the hub's own unwinding
  // The Carrier lives as long as the greenlet's function, so also when the greenlet never starts.
  fern::spawn_with(options, [c = std::move(carrier)] { c->serve(); });
}

void CarrierCall::interrupt(std::exception_ptr error) noexcept {
  if (done_) return;
  if (!carrier_ || !carrier_->running()) {
    skip_ = true;  // handed over but not begun: it never runs
    return;
  }
  carrier_->interrupt(std::move(error));
}

CarrierCall::~CarrierCall() {
  if (carrier_) carrier_->detach();
}

CarrierCall* CarrierCall::served_by(Carrier& carrier) noexcept { return carrier.call(); }

}  // namespace fern::aio::detail
