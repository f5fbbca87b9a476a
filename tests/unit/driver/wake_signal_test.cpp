#include "fern/driver/wake_signal.hpp"

#include <gtest/gtest.h>
#include <poll.h>

#include <atomic>
#include <chrono>
#include <random>
#include <thread>
#include <vector>

#include "fern/hub/hub.hpp"
#include "fern/hub/timeout.hpp"
#include "fern/sync/event.hpp"

using namespace std::chrono_literals;

namespace fern {
namespace {

bool readable(int fd) {
  pollfd p{fd, POLLIN, 0};
  return ::poll(&p, 1, 0) == 1;
}

TEST(WakeSignal, ABurstOfNotifiesWritesOnce) {
  WakeSignal signal;
  for (int i = 0; i < 100; ++i) signal.notify();
  EXPECT_EQ(signal.writes(), 1u);
  EXPECT_TRUE(readable(signal.fd()));
  signal.drain();
  EXPECT_FALSE(readable(signal.fd()));
  signal.notify();  // cleared: the next notify writes again
  EXPECT_EQ(signal.writes(), 2u);
  EXPECT_TRUE(readable(signal.fd()));
}

TEST(WakeSignal, ClearWithoutReadingLetsTheNextNotifyWrite) {
  WakeSignal signal(WakeSignal::Reader::ring);
  signal.notify();
  signal.clear();
  signal.notify();
  EXPECT_EQ(signal.writes(), 2u);
}

// Threads post to a hub that keeps going to sleep in its driver between posts. A lost wake-up
// leaves the hub asleep with work in its inbox; the Timeout only bounds that hang (it would fire
// after a minute), it decides nothing when every wake-up arrives.
void posts_from_threads_while_the_hub_sleeps(DriverKind kind) {
  std::thread hub_thread([kind] {
    Hub* hub;
    try {
      hub = &Hub::install(kind);
    } catch (const std::system_error& e) {
      GTEST_SKIP() << e.what();
    }
    constexpr int kPosters = 4, kPosts = 2000;
    Event done;
    int ran = 0;
    RemoteHub remote = hub->remote();
    std::vector<std::thread> posters;
    for (int p = 0; p < kPosters; ++p) {
      posters.emplace_back([&, p] {
        std::minstd_rand pause(static_cast<unsigned>(p + 1));
        for (int i = 0; i < kPosts; ++i) {
          remote.call([&] {
            if (++ran == kPosters * kPosts) done.set();
          });
          // Short random pauses: the hub often runs dry and sleeps between two posts.
          if (pause() % 4 == 0) std::this_thread::sleep_for(std::chrono::microseconds(pause() % 60));
        }
      });
    }
    bool all_ran = false;
    try {
      Timeout hang_guard(60s);
      all_ran = done.wait();
    } catch (const TimeoutError&) {
    }
    for (std::thread& t : posters) t.join();
    EXPECT_TRUE(all_ran) << to_string(kind) << ": " << ran << " of " << kPosters * kPosts
                         << " posted callbacks ran: a wake-up was lost";
  });
  hub_thread.join();
}

TEST(WakeSignalStress, Epoll) { posts_from_threads_while_the_hub_sleeps(DriverKind::epoll); }
TEST(WakeSignalStress, Poll) { posts_from_threads_while_the_hub_sleeps(DriverKind::poll); }
TEST(WakeSignalStress, Select) { posts_from_threads_while_the_hub_sleeps(DriverKind::select); }
TEST(WakeSignalStress, Uring) { posts_from_threads_while_the_hub_sleeps(DriverKind::uring); }

}  // namespace
}  // namespace fern
