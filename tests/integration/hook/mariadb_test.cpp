// MariaDB Connector/C's blocking API (mysql_real_connect, mysql_query), unmodified, from many
// greenlets of one thread against a real mariadbd. The proof is the server's process list: every
// greenlet's SELECT SLEEP() is running in the server at the same moment.
#include <mysql.h>

#include <servers.hpp>
#include <string>

#include <fern/hub/sleep.hpp>

#include "proof.hpp"

namespace {

using namespace std::chrono_literals;

constexpr unsigned kQueryInterrupted = 1317;  // ER_QUERY_INTERRUPTED

MYSQL* connect_to(const fern_test::MariadbServer& server) {
  MYSQL* db = mysql_init(nullptr);
  MYSQL* ok = mysql_real_connect(db, "127.0.0.1", server.user(), "", server.database(),
                                 static_cast<unsigned>(server.port()), nullptr, 0);
  EXPECT_NE(ok, nullptr) << mysql_error(db);
  return db;
}

// The first column of the first row of `sql`, or "" on error.
std::string scalar(MYSQL* db, const std::string& sql) {
  if (mysql_query(db, sql.c_str()) != 0) {
    ADD_FAILURE() << sql << ": " << mysql_error(db);
    return "";
  }
  MYSQL_RES* res = mysql_store_result(db);
  std::string out;
  if (res) {
    MYSQL_ROW row = mysql_fetch_row(res);
    if (row && row[0]) out = row[0];
    mysql_free_result(res);
  }
  return out;
}

class MariadbUnderHook : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    fern::monkey::patch_all();
    mysql_library_init(0, nullptr, nullptr);
  }
  static void TearDownTestSuite() { mysql_library_end(); }
};

TEST_F(MariadbUnderHook, EveryGreenletsQueryRunsInTheServerAtOnce) {
  constexpr int kClients = 20;
  fern_test::MariadbServer server;
  const std::string count_sleepers =
      "SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE INFO LIKE 'SELECT SLEEP(30)%'";
  long seen = 0;
  auto observer = fern::spawn([&] {
    MYSQL* db = connect_to(server);
    // Bounded: 30 s of 20 ms looks; then the sleeping queries are cut short with KILL QUERY.
    for (int i = 0; i < 1500 && seen < kClients; ++i) {
      seen = std::stol("0" + scalar(db, count_sleepers));
      if (seen < kClients) fern::sleep(20ms);
    }
    mysql_query(
        db,
        "SELECT GROUP_CONCAT(ID) FROM information_schema.PROCESSLIST WHERE INFO LIKE 'SELECT SLEEP(30)%'");
    if (MYSQL_RES* res = mysql_store_result(db)) {
      MYSQL_ROW row = mysql_fetch_row(res);
      std::string ids = row && row[0] ? row[0] : "";
      mysql_free_result(res);
      size_t at = 0;
      while (at < ids.size()) {
        size_t comma = ids.find(',', at);
        std::string id = ids.substr(at, comma == std::string::npos ? std::string::npos : comma - at);
        mysql_query(db, ("KILL QUERY " + id).c_str());
        at = comma == std::string::npos ? ids.size() : comma + 1;
      }
    }
    mysql_close(db);
  });
  int answered = 0;
  fern_test::run_greenlets(kClients, [&](int) {
    MYSQL* db = connect_to(server);
    // Cut short by the observer's KILL QUERY: SLEEP returns 1, or the query reports the kill.
    MYSQL_RES* res = mysql_query(db, "SELECT SLEEP(30)") == 0 ? mysql_store_result(db) : nullptr;
    MYSQL_ROW row = res ? mysql_fetch_row(res) : nullptr;
    const bool slept_short = row && row[0] && std::string(row[0]) == "1";
    EXPECT_TRUE(slept_short || mysql_errno(db) == kQueryInterrupted) << mysql_error(db);
    if (res) mysql_free_result(res);
    ++answered;
    mysql_close(db);
  });
  observer.get();
  EXPECT_EQ(seen, kClients);
  EXPECT_EQ(answered, kClients);
}

TEST_F(MariadbUnderHook, ManyClientsTakeAboutTheTimeOfOne) {
  constexpr int kClients = 20;
  fern_test::MariadbServer server;
  auto query = [&](int) {
    MYSQL* db = connect_to(server);
    EXPECT_EQ(scalar(db, "SELECT SLEEP(0.3)"), "0");
    mysql_close(db);
  };
  auto one = fern_test::run_greenlets(1, query);
  auto all = fern_test::run_greenlets(kClients, query);
  fern_test::report_timing("mariadb_sleep_300ms", kClients, one, all);
  EXPECT_GE(one, 300ms);
  EXPECT_LT(all, one * kClients / 2);
}

}  // namespace
