// Bridge: a greenlet-style object's task form. A small counter service that parks (a fern Queue
// and sleeps) stands in for a client; its forwarded methods keep overloads, default arguments and
// move-only arguments, and the object is shared with greenlets.
#include "fern/aio/bridge.hpp"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <utility>

#include "fern/aio/spawn.hpp"
#include "fern/aio/task.hpp"
#include "fern/hub/sleep.hpp"
#include "fern/hub/spawn.hpp"
#include "fern/sync/queue.hpp"

using namespace std::chrono_literals;

namespace fern::aio {
namespace {

class Service {
 public:
  int add(int n, int times = 1) {
    fern::sleep(0s);
    total_ += n * times;
    return total_;
  }
  std::string add(std::string_view text) {
    fern::sleep(0s);
    log_ += text;
    return log_;
  }
  int take(std::unique_ptr<int> p) { return *p; }
  int next() { return queue_.get(); }
  void put(int v) { queue_.put(v); }

 private:
  int total_ = 0;
  std::string log_;
  Queue<int> queue_;
};

class TaskService : public Bridge<Service> {
 public:
  using Bridge<Service>::Bridge;
  FERN_AIO_FORWARD(add)
  FERN_AIO_FORWARD(take)
  FERN_AIO_FORWARD(next)
};

Task<std::string> use_every_form(TaskService s) {
  int a = co_await s.add(2);     // default argument
  int b = co_await s.add(3, 2);  // both
  std::string text = co_await s.add(std::string_view("x"));
  text = co_await s.add(std::string("yz"));  // a temporary string is moved into the call
  auto owned = std::make_unique<int>(4);
  int c = co_await s.take(std::move(owned));
  int d = co_await s.call([](Service& svc) { return svc.add(1, 0); });
  co_return std::to_string(a) + " " + std::to_string(b) + " " + text + " " + std::to_string(c) + " " +
      std::to_string(d);
}

TEST(Bridge, ForwardsOverloadsDefaultsAndMoveOnlyArguments) {
  Service service;
  EXPECT_EQ(run(use_every_form(TaskService(service))), "2 8 xyz 4 8");
}

Task<int> wait_for_item(TaskService s) { co_return co_await s.next(); }

// A task parked in the service while a greenlet feeds it: the object is shared.
TEST(Bridge, TasksAndGreenletsShareTheObject) {
  Service service;
  auto task = spawn(wait_for_item(TaskService(service)));
  auto feeder = fern::spawn([&service] {
    fern::sleep(1ms);
    service.put(11);
  });
  EXPECT_EQ(task.get(), 11);
  feeder->join();
}

}  // namespace
}  // namespace fern::aio
