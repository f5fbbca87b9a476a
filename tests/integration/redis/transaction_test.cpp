// Transaction: MULTI/EXEC as one batch (atomic among greenlets sharing the connection), errors at
// run time inside the result, EXECABORT for a command refused while queuing, WATCH aborts.
#include "fern/clients/redis/transaction.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "fern/base/outcome.hpp"
#include "fern/clients/redis/client.hpp"
#include "fern/clients/redis/reply_error.hpp"
#include "fern/hub/spawn.hpp"
#include "redis_test_support.hpp"

namespace redis = fern::redis;
using fern_redis_test::shared_server;

namespace {

class TransactionTest : public ::testing::Test {
 protected:
  void SetUp() override { fern_redis_test::flush_shared_server(); }
  redis::Client client{fern_redis_test::tcp_options(shared_server())};
};

TEST_F(TransactionTest, ExecReturnsEachCommandsReply) {
  redis::Transaction tx = client.multi();
  tx.command("SET", "a", "1").command("INCR", "a").command("GET", "a");
  std::optional<redis::Reply> r = tx.exec();
  ASSERT_TRUE(r);
  ASSERT_EQ(r->elements().size(), 3u);
  EXPECT_EQ((*r)[1].as_integer(), 2);
  EXPECT_EQ((*r)[2].as_string(), "2");
}

TEST_F(TransactionTest, RunTimeErrorsAreInTheResult) {
  redis::Transaction tx = client.multi();
  tx.command("SET", "s", "text").command("INCR", "s").command("GET", "s");
  std::optional<redis::Reply> r = tx.exec();
  ASSERT_TRUE(r);
  EXPECT_TRUE((*r)[1].is_error());
  EXPECT_EQ((*r)[2].as_string(), "text");
}

TEST_F(TransactionTest, QueuingErrorAbortsWithExecAbort) {
  redis::Transaction tx = client.multi();
  tx.command("SET", "x", "1").command("GET");  // wrong arity: refused while queuing
  try {
    tx.exec();
    FAIL() << "EXEC ran";
  } catch (const redis::ReplyError& e) {
    EXPECT_EQ(e.prefix(), "EXECABORT");
    EXPECT_NE(std::string(e.what()).find("command 2"), std::string::npos) << e.what();
  }
  EXPECT_EQ(client.get("x"), std::nullopt);
  EXPECT_EQ(client.ping(), "PONG");  // the connection is fine
}

TEST_F(TransactionTest, TransactionsOfManyGreenletsStayWhole) {
  std::vector<fern::GreenletRef<>> greenlets;
  int whole = 0;
  for (int g = 0; g < 100; ++g) {
    greenlets.push_back(fern::spawn([this, g, &whole] {
      redis::Transaction tx = client.multi();
      const std::string key = "g" + std::to_string(g);
      tx.command("SET", key, g).command("INCR", key).command("GET", key);
      std::optional<redis::Reply> r = tx.exec();
      if (r && (*r)[2].as_string() == std::to_string(g + 1)) ++whole;
    }));
  }
  fern::joinall(greenlets);
  EXPECT_EQ(whole, 100);
}

TEST_F(TransactionTest, WatchedKeyChangedAbortsExec) {
  client.set("balance", "100");
  redis::Session session = client.session();
  session.watch("balance");
  EXPECT_TRUE(session.watching());
  const std::int64_t balance = std::stoll(*session.get("balance"));
  client.set("balance", "50");  // another connection changes it
  redis::Transaction tx = session.multi();
  tx.command("SET", "balance", balance - 10);
  EXPECT_EQ(tx.exec(), std::nullopt);
  EXPECT_FALSE(session.watching());
  EXPECT_EQ(client.get("balance"), "50");
  // Unchanged this time: it commits.
  session.watch("balance");
  redis::Transaction retry = session.multi();
  retry.command("DECRBY", "balance", 10);
  std::optional<redis::Reply> r = retry.exec();
  ASSERT_TRUE(r);
  EXPECT_EQ((*r)[0].as_integer(), 40);
}

TEST_F(TransactionTest, DiscardUnwatches) {
  redis::Session session = client.session();
  session.watch("k");
  redis::Transaction tx = session.multi();
  tx.command("SET", "k", "1");
  tx.discard();
  EXPECT_FALSE(session.watching());
  EXPECT_EQ(client.get("k"), std::nullopt);
}

// The server drops the Session's connection after WATCH (CLIENT KILL from elsewhere). The call that
// finds it gone fails not applied; a retried EXEC without a new WATCH is refused too, instead of
// running unguarded on a new connection; WATCH again and it commits.
TEST_F(TransactionTest, AWatchLostWithItsConnectionIsNeverExecutedUnguarded) {
  client.set("stock", "5");
  redis::Session session = client.session();
  session.watch("stock");
  const std::int64_t id = session.command("CLIENT", "ID").as_integer();
  EXPECT_EQ(client.command("CLIENT", "KILL", "ID", id).as_integer(), 1);
  auto exec_decrement = [&session] {
    redis::Transaction tx = session.multi();
    tx.command("DECR", "stock");
    return tx.exec();
  };
  for (int attempt = 0; attempt < 2; ++attempt) {
    try {
      exec_decrement();
      ADD_FAILURE() << "EXEC ran after its WATCH was lost (attempt " << attempt << ")";
    } catch (const fern::OperationError& e) {
      EXPECT_EQ(e.outcome(), fern::Outcome::not_applied) << e.what();
    }
  }
  EXPECT_EQ(client.get("stock"), "5");
  EXPECT_FALSE(session.watching());
  session.watch("stock");
  std::optional<redis::Reply> r = exec_decrement();
  ASSERT_TRUE(r);
  EXPECT_EQ(client.get("stock"), "4");
}

}  // namespace
