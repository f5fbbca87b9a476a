// hiredis's blocking API (redisConnect, redisCommand), unmodified, from many greenlets of one
// thread against a real redis-server. The proof is redis's own count of blocked clients: every
// greenlet's BLPOP is parked in the server at the same moment.
#include <hiredis/hiredis.h>

#include <servers.hpp>
#include <string>

#include <fern/hub/sleep.hpp>

#include "proof.hpp"

namespace {

using namespace std::chrono_literals;

redisContext* connect_to(int port) {
  redisContext* c = redisConnect("127.0.0.1", port);
  EXPECT_TRUE(c && !c->err) << (c ? c->errstr : "no context");
  return c;
}

long blocked_clients(redisContext* c) {
  auto* reply = static_cast<redisReply*>(redisCommand(c, "INFO clients"));
  long n = -1;
  if (reply && reply->type == REDIS_REPLY_STRING) {
    std::string info(reply->str, reply->len);
    auto at = info.find("blocked_clients:");
    if (at != std::string::npos) n = std::stol(info.substr(at + 16));
  }
  freeReplyObject(reply);
  return n;
}

class HiredisUnderHook : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { fern::monkey::patch_all(); }
};

TEST_F(HiredisUnderHook, EveryGreenletIsBlockedInTheServerAtOnce) {
  constexpr int kClients = 50;
  fern_test::RedisServer server;
  int answered = 0;
  long seen_blocked = 0;
  auto observer = fern::spawn([&] {
    redisContext* c = connect_to(server.port());
    // Bounded: 10 s of 10 ms looks; the greenlets are all blocked within milliseconds.
    for (int i = 0; i < 1000 && seen_blocked < kClients; ++i) {
      seen_blocked = blocked_clients(c);
      if (seen_blocked < kClients) fern::sleep(10ms);
    }
    for (int i = 0; i < kClients; ++i) freeReplyObject(redisCommand(c, "RPUSH fern:hook:%d value-%d", i, i));
    redisFree(c);
  });
  fern_test::run_greenlets(kClients, [&](int i) {
    redisContext* c = connect_to(server.port());
    auto* reply = static_cast<redisReply*>(redisCommand(c, "BLPOP fern:hook:%d 30", i));
    ASSERT_NE(reply, nullptr) << c->errstr;
    ASSERT_EQ(reply->type, REDIS_REPLY_ARRAY);
    ASSERT_EQ(reply->elements, 2u);
    EXPECT_EQ(std::string(reply->element[1]->str), "value-" + std::to_string(i));
    ++answered;
    freeReplyObject(reply);
    redisFree(c);
  });
  observer.get();
  EXPECT_EQ(seen_blocked, kClients);
  EXPECT_EQ(answered, kClients);
}

TEST_F(HiredisUnderHook, ManyClientsTakeAboutTheTimeOfOne) {
  constexpr int kClients = 50;
  fern_test::RedisServer server;
  // A slow server-side operation that blocks only its own client: BLPOP on an empty list, 0.3 s.
  auto blpop = [&](int i) {
    redisContext* c = connect_to(server.port());
    auto* reply = static_cast<redisReply*>(redisCommand(c, "BLPOP fern:empty:%d 0.3", i));
    ASSERT_NE(reply, nullptr) << c->errstr;
    EXPECT_EQ(reply->type, REDIS_REPLY_NIL);
    freeReplyObject(reply);
    redisFree(c);
  };
  auto one = fern_test::run_greenlets(1, blpop);
  auto all = fern_test::run_greenlets(kClients, blpop);
  fern_test::report_timing("hiredis_blpop_300ms", kClients, one, all);
  EXPECT_GE(one, 250ms);
  EXPECT_LT(all, one * kClients / 2);
}

}  // namespace
