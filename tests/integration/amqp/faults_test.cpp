// The AMQP client through a FaultProxy in front of a real rabbitmq-server: an RPC reply stalled
// mid-frame ends in a timeout, not a hang; a connection cut or reset mid-frame fails every pending
// caller on every channel and never hands a caller another channel's message; after clear() a new
// channel or a new connection works (the client does not reconnect by itself); and a publish in
// confirm mode lost on the way is never confirmed and never published again: it ends `not_sent`
// when the connection died with its frames still in the client's buffer, `unknown` once the kernel
// took them (a cut past that point is invisible to the client, so the broker's count tells). A
// second connection straight to the broker counts the messages really enqueued.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <system_error>
#include <vector>

#include "amqp_test_support.hpp"
#include "fault_proxy.hpp"
#include "fault_test_helpers.hpp"
#include "fern/base/error.hpp"
#include "fern/clients/amqp/channel.hpp"
#include "fern/clients/amqp/connection.hpp"
#include "fern/hub/sleep.hpp"
#include "fern/hub/spawn.hpp"

namespace fern_amqp_test {
namespace {

using namespace std::chrono_literals;
using namespace fern::amqp;
using fern_test::attempt;
using fern_test::bounded;
using fern_test::Direction;
using fern_test::FaultProxy;
using fern_test::Result;

// The client's bound on each RPC, which a stalled reply must run into.
constexpr auto kRpcTimeout = 1s;
constexpr int kCallers = 6;

// A socket-level loss, as opposed to the broker closing a channel or the connection.
bool is_connection_loss(const std::error_code& ec) {
  return ec == fern::Errc::unexpected_eof || ec == std::errc::connection_reset ||
         ec == std::errc::broken_pipe || ec == fern::Errc::closed;
}

std::string body_of(int i) { return fern_test::padded("message-", i, 2000, static_cast<char>('a' + i)); }

class AmqpFaultsTest : public ::testing::Test {
 protected:
  AmqpFaultsTest() : direct_(options_for(shared_broker().port())), admin_(direct_.channel()) {}

  Options proxied_options() const {
    Options o = options_for(proxy_.port());
    o.rpc_timeout = kRpcTimeout;
    return o;
  }

  // The broker counts routed messages asynchronously: polls (bounded) until `queue` holds
  // `expected` messages and returns the last count seen.
  std::uint32_t settled_count(const std::string& queue, std::uint32_t expected) {
    std::uint32_t count = 0;
    for (int i = 0; i < 500; ++i) {
      count = admin_.queue_declare(queue, {.passive = true}).message_count;
      if (count == expected) break;
      fern::sleep(10ms);
    }
    return count;
  }

  // After clear(): a new connection (the client's only way back) must not bring a resend with it.
  void reconnect_and_look_at(const std::string& queue) {
    proxy_.clear();
    bounded([&] {
      Connection again(proxied_options());
      again.channel().queue_declare(queue, {.passive = true});
    });
  }

  FaultProxy proxy_{"127.0.0.1", static_cast<std::uint16_t>(shared_broker().port())};
  // Straight to the broker, past the proxy: what the broker really holds.
  Connection direct_;
  Channel admin_;
};

TEST_F(AmqpFaultsTest, StallMidReplyEndsInATimeoutAndANewChannelWorksAfterClear) {
  const std::string queue = unique_name("fault-stall");
  admin_.queue_declare(queue);
  Connection conn(proxied_options());
  Channel ch = conn.channel();
  proxy_.stall_after(Direction::downstream, 3);  // inside the declare-ok frame's header
  Result r;
  bounded([&] {
    r = attempt([&] { return std::to_string(ch.queue_declare(queue, {.passive = true}).message_count); });
  });
  EXPECT_EQ(r.error, fern::Errc::timed_out) << r.what;
  EXPECT_FALSE(ch.is_open());  // its late reply could not be told from the next one's
  proxy_.clear();
  bounded([&] {
    Channel fresh = conn.channel();
    EXPECT_EQ(fresh.queue_declare(queue, {.passive = true}).message_count, 0u);
  });
  EXPECT_TRUE(conn.is_open());
}

// Callers on several channels of one connection each fetch their own queue's message while
// `fault` breaks the connection partway through the replies.
void check_no_message_goes_astray(FaultProxy& proxy, Channel& admin, const Options& options,
                                  const std::function<void(std::size_t)>& fault) {
  std::vector<std::string> queues;
  for (int i = 0; i < kCallers; ++i) {
    queues.push_back(unique_name("fault-get"));
    admin.queue_declare(queues.back());
    admin.publish("", queues.back(), body_of(i));
  }
  Connection conn(options);
  std::vector<Channel> channels;
  for (int i = 0; i < kCallers; ++i) channels.push_back(conn.channel());
  // Two and a half get-ok replies (each a method, a header and a 2000-byte body frame).
  fault(5000);
  std::vector<Result> results(kCallers);
  std::vector<fern::GreenletRef<>> callers;
  for (int i = 0; i < kCallers; ++i) {
    callers.push_back(fern::spawn([&, i] {
      results[i] = attempt([&] {
        std::optional<Delivery> d = channels[i].get(queues[i], true);
        return d ? d->body() : std::string("(empty)");
      });
    }));
  }
  bounded([&] { fern::joinall(callers); });
  int failed = 0;
  for (int i = 0; i < kCallers; ++i) {
    if (results[i].value) {
      EXPECT_EQ(results[i].value, body_of(i)) << "caller " << i << " got another channel's message";
    } else {
      ++failed;
      EXPECT_TRUE(is_connection_loss(results[i].error))
          << results[i].error.message() << ": " << results[i].what;
    }
  }
  EXPECT_GT(failed, 0);
  EXPECT_FALSE(conn.is_open());
  // The client does not reconnect: recovery is a new connection.
  proxy.clear();
  bounded([&] {
    Connection again(options);
    EXPECT_NO_THROW(again.channel().queue_declare(queues[0], {.passive = true}));
  });
}

TEST_F(AmqpFaultsTest, CutMidFrameFailsEveryPendingCallerAndNoMessageGoesAstray) {
  check_no_message_goes_astray(proxy_, admin_, proxied_options(),
                               [&](std::size_t n) { proxy_.cut_after(Direction::downstream, n); });
}

TEST_F(AmqpFaultsTest, ResetMidFrameFailsEveryPendingCallerAndNoMessageGoesAstray) {
  check_no_message_goes_astray(proxy_, admin_, proxied_options(),
                               [&](std::size_t n) { proxy_.reset_after(Direction::downstream, n); });
}

// A queue of its own and a channel in confirm mode on a connection through the proxy.
struct ConfirmingChannel {
  ConfirmingChannel(Channel& admin, const Options& options, const std::string& prefix)
      : queue(unique_name(prefix)), conn(options), ch(conn.channel()) {
    admin.queue_declare(queue);
    ch.confirm_select();
  }
  // Publishes `body` to the queue and waits (bounded) for its confirm.
  ConfirmStatus publish_and_wait(const std::string& body) {
    Confirm confirm = ch.publish("", queue, body);
    ConfirmStatus status = ConfirmStatus::pending;
    bounded([&] { status = confirm.wait(); });
    return status;
  }

  std::string queue;
  Connection conn;
  Channel ch;
};

TEST_F(AmqpFaultsTest, ConfirmedPublishCutAfterLeavingTheClientIsUnknownAndNotEnqueued) {
  ConfirmingChannel c(admin_, proxied_options(), "fault-confirm-before");
  proxy_.cut_after(Direction::upstream, 0);
  const ConfirmStatus status = c.publish_and_wait("lost on the way");
  // The kernel took the frames: the client cannot know they never arrived.
  EXPECT_EQ(status, ConfirmStatus::unknown) << to_string(status);
  reconnect_and_look_at(c.queue);
  EXPECT_EQ(settled_count(c.queue, 0), 0u);
}

TEST_F(AmqpFaultsTest, ConfirmedPublishCutAfterReachingTheBrokerIsUnknownAndEnqueuedOnce) {
  ConfirmingChannel c(admin_, proxied_options(), "fault-confirm-after");
  proxy_.cut_after(Direction::downstream, 0);  // the publish goes through, its basic.ack does not
  const ConfirmStatus status = c.publish_and_wait("enqueued, unconfirmed");
  EXPECT_EQ(status, ConfirmStatus::unknown) << to_string(status);
  EXPECT_EQ(settled_count(c.queue, 1), 1u);
  reconnect_and_look_at(c.queue);
  EXPECT_EQ(admin_.queue_declare(c.queue, {.passive = true}).message_count, 1u);
}

TEST_F(AmqpFaultsTest, ConfirmedPublishStillBufferedWhenTheConnectionDiesIsNotSent) {
  ConfirmingChannel c(admin_, proxied_options(), "fault-confirm-buffered");
  proxy_.reset_all();  // the client has not read the RST yet: the publish is queued behind it
  proxy_.clear();
  const ConfirmStatus status = c.publish_and_wait("never left the buffer");
  EXPECT_EQ(status, ConfirmStatus::not_sent) << to_string(status);
  EXPECT_EQ(c.ch.wait_for_confirms().not_sent, 1u);
  reconnect_and_look_at(c.queue);
  EXPECT_EQ(settled_count(c.queue, 0), 0u);
}

TEST_F(AmqpFaultsTest, PublishAfterTheConnectionIsKnownLostThrowsAndIsNotApplied) {
  ConfirmingChannel c(admin_, proxied_options(), "fault-confirm-dead");
  proxy_.reset_all();
  proxy_.clear();
  bounded([&] {
    while (c.conn.is_open()) fern::sleep(1ms);  // the reader sees the RST
  });
  // Refused before anything is queued: the publish throws instead of returning a Confirm.
  Result published =
      attempt([&] { return std::string(to_string(c.ch.publish("", c.queue, "too late").status())); });
  EXPECT_FALSE(published.value) << "publish on a lost connection returned a Confirm: " << *published.value;
  EXPECT_TRUE(is_connection_loss(published.error)) << published.error.message() << ": " << published.what;
  EXPECT_EQ(settled_count(c.queue, 0), 0u);
}

}  // namespace
}  // namespace fern_amqp_test
