// L17: a database from greenlets (seed 000). A small bank schema in MariaDB; 50 greenlets in one
// thread insert and read concurrently over a pool of connections (each parks only itself while the
// server works); then transfers between accounts in transactions: one succeeds, one overdraws and
// is rolled back by the exception, and the total of all balances is the same before and after.
//
//   mysql_bank --demo                      starts its own mariadbd in a temporary directory
//   mysql_bank --port P [--host H] [--user U] [--password W]   uses a running server (database l17)
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "fern/clients/mysql/pool.hpp"
#include "fern/hub/sleep.hpp"
#include "fern/hub/spawn.hpp"
#include "fern/net/socket.hpp"

extern char** environ;

namespace {

namespace mysql = fern::mysql;
using Millis = std::chrono::duration<double, std::milli>;

struct Settings {
  bool demo = false;
  std::string host = "127.0.0.1";
  int port = 3306;
  std::string user = "root";
  std::string password;
  int greenlets = 50;
};

pid_t spawn_process(std::vector<std::string> args, const std::string& log) {
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t files;
  posix_spawn_file_actions_init(&files);
  posix_spawn_file_actions_addopen(&files, 1, log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
  posix_spawn_file_actions_adddup2(&files, 1, 2);
  pid_t pid = -1;
  const int rc = posix_spawn(&pid, argv[0], &files, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&files);
  if (rc != 0) {
    std::fprintf(stderr, "mysql_bank: cannot start %s: %s\n", argv[0], std::strerror(rc));
    std::exit(1);
  }
  return pid;
}

// A throwaway mariadbd for --demo: a fresh datadir under /tmp, stopped and removed at the end.
class DemoServer {
 public:
  explicit DemoServer(int port) {
    char tmpl[] = "/tmp/fern-l17.XXXXXX";
    if (!::mkdtemp(tmpl)) {
      std::perror("mysql_bank: mkdtemp");
      std::exit(1);
    }
    dir_ = tmpl;
    const std::string log = dir_ + "/server.log";
    // Its own tmpdir: mariadbd clears "#sql*" files from its tmpdir at start, so servers sharing
    // /tmp would delete each other's temporary tables.
    std::filesystem::create_directories(dir_ + "/tmp");
    pid_t install = spawn_process(
        {"/usr/bin/mariadb-install-db", "--no-defaults", "--datadir=" + dir_ + "/data", "--user=root",
         "--auth-root-authentication-method=normal", "--skip-test-db", "--tmpdir=" + dir_ + "/tmp"},
        log);
    int status = 0;
    ::waitpid(install, &status, 0);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
      std::fprintf(stderr, "mysql_bank: mariadb-install-db failed (see %s)\n", log.c_str());
      std::exit(1);
    }
    pid_ = spawn_process(
        {"/usr/sbin/mariadbd", "--no-defaults", "--datadir=" + dir_ + "/data", "--tmpdir=" + dir_ + "/tmp",
         "--socket=" + dir_ + "/mysqld.sock", "--port=" + std::to_string(port), "--bind-address=127.0.0.1",
         "--user=root", "--skip-log-bin"},
        log);
  }
  ~DemoServer() {
    ::kill(pid_, SIGTERM);
    ::waitpid(pid_, nullptr, 0);
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }

 private:
  std::string dir_;
  pid_t pid_ = -1;
};

int free_port() {
  fern::net::Socket s = fern::net::listen_tcp(fern::net::Address::ipv4_loopback(0));
  return s.local_address().port();
}

// A fresh server takes a few seconds before it accepts logins.
void wait_until_up(const mysql::Options& options) {
  for (int attempt = 0;; ++attempt) {
    try {
      mysql::Connection(options).ping();
      return;
    } catch (const std::system_error&) {
      if (attempt == 600) throw;
      fern::sleep(std::chrono::milliseconds(50));
    }
  }
}

std::string total(mysql::Connection& c) {
  return c.query("SELECT SUM(balance) FROM accounts").scalar().to_string();
}

void show_balances(mysql::Connection& c) {
  for (const mysql::Row& row : c.query("SELECT owner, balance FROM accounts ORDER BY id"))
    std::printf("    %-6s %10s\n", row.get<std::string>("owner").c_str(), row["balance"].to_string().c_str());
  std::printf("    total  %10s\n", total(c).c_str());
}

// 50 greenlets, one thread: each writes its rows and reads them back while the others do the same.
bool concurrent_writers(mysql::Pool& pool, int greenlets) {
  std::vector<fern::GreenletRef<>> workers;
  int verified = 0;
  std::size_t peak = 0;
  const auto t0 = fern::Clock::now();
  for (int g = 0; g < greenlets; ++g)
    workers.push_back(fern::spawn([&, g] {
      mysql::Pool::Lease c = pool.acquire();
      peak = std::max(peak, pool.in_use());
      for (int i = 0; i < 4; ++i)
        c->execute("INSERT INTO ledger_notes (greenlet, note) VALUES (?, ?)", g, "note " + std::to_string(i));
      const auto mine =
          c->execute("SELECT COUNT(*) FROM ledger_notes WHERE greenlet = ?", g).scalar().as_int();
      if (mine == 4) ++verified;
    }));
  fern::joinall(workers);
  const double wall = Millis(fern::Clock::now() - t0).count();
  const auto rows = pool.with(
      [](mysql::Connection& c) { return c.query("SELECT COUNT(*) FROM ledger_notes").scalar().as_int(); });
  std::printf("%d greenlets, one thread, a pool of %zu connections (all %zu in use at the peak):\n",
              greenlets, pool.idle(), peak);
  std::printf("  %lld rows inserted, %d greenlets read back exactly their own 4 rows; %.1f ms wall\n",
              static_cast<long long>(rows), verified, wall);
  return rows == 4LL * greenlets && verified == greenlets;
}

struct Overdrawn : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Moves `amount` between accounts in one transaction; an overdraft throws, and the Transaction's
// scope rolls back the debit already made.
void transfer(mysql::Connection& c, const std::string& from, const std::string& to, const char* amount) {
  mysql::Transaction tx = c.transaction();
  c.execute("UPDATE accounts SET balance = balance - ? WHERE owner = ?", mysql::Decimal{amount}, from);
  c.execute("UPDATE accounts SET balance = balance + ? WHERE owner = ?", mysql::Decimal{amount}, to);
  const mysql::Decimal left =
      c.execute("SELECT balance FROM accounts WHERE owner = ?", from).scalar().as_decimal();
  if (left.digits.front() == '-') throw Overdrawn(from + " would be left with " + left.digits);
  tx.commit();
}

Settings parse(int argc, char** argv) {
  Settings s;
  for (int i = 1; i < argc; ++i) {
    auto value = [&]() -> const char* {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "mysql_bank: %s needs a value\n", argv[i]);
        std::exit(2);
      }
      return argv[++i];
    };
    if (!std::strcmp(argv[i], "--demo"))
      s.demo = true;
    else if (!std::strcmp(argv[i], "--port"))
      s.port = std::atoi(value());
    else if (!std::strcmp(argv[i], "--host"))
      s.host = value();
    else if (!std::strcmp(argv[i], "--user"))
      s.user = value();
    else if (!std::strcmp(argv[i], "--password"))
      s.password = value();
    else if (!std::strcmp(argv[i], "--greenlets"))
      s.greenlets = std::max(1, std::atoi(value()));
    else {
      std::fprintf(stderr, "usage: mysql_bank --demo | --port P [--host H] [--user U] [--password W]\n");
      std::exit(2);
    }
  }
  return s;
}

}  // namespace

int main(int argc, char** argv) {
  Settings s = parse(argc, argv);
  std::optional<DemoServer> server;
  if (s.demo) {
    s.port = free_port();
    server.emplace(s.port);
  }
  mysql::Options options;
  options.host = s.host;
  options.port = static_cast<std::uint16_t>(s.port);
  options.user = s.user;
  options.password = s.password;
  try {
    wait_until_up(options);
    mysql::Connection admin(options);
    admin.query("CREATE DATABASE IF NOT EXISTS l17");
    options.database = "l17";
    mysql::Pool pool(options, mysql::PoolOptions{.max_size = 10});
    mysql::Pool::Lease c = pool.acquire();
    c->query_multi(
        "CREATE OR REPLACE TABLE accounts (id INT PRIMARY KEY, owner VARCHAR(20) UNIQUE, "
        "balance DECIMAL(12,2) NOT NULL) ENGINE=InnoDB;"
        "CREATE OR REPLACE TABLE ledger_notes (id INT AUTO_INCREMENT PRIMARY KEY, greenlet INT, "
        "note VARCHAR(40), KEY (greenlet)) ENGINE=InnoDB;"
        "INSERT INTO accounts VALUES (1, 'alice', 500.00), (2, 'bob', 300.00), (3, 'carol', 200.00)");
    std::printf("L17: a bank in MariaDB %s, driven from greenlets\n\n",
                c->query("SELECT VERSION()").scalar().to_string().c_str());
    {
      mysql::Pool::Lease released = std::move(c);  // hand it back: the writers need the whole pool
    }
    bool shown = concurrent_writers(pool, s.greenlets);

    shown &= pool.with([](mysql::Connection& conn) {
      std::printf("\nbalances before the transfers:\n");
      show_balances(conn);
      const std::string before = total(conn);
      transfer(conn, "alice", "bob", "125.50");
      std::printf("\nalice -> bob 125.50: committed\n");
      bool rolled_back = false;
      try {
        transfer(conn, "carol", "alice", "999.99");
      } catch (const Overdrawn& e) {
        rolled_back = true;
        std::printf("carol -> alice 999.99: rolled back (%s)\n", e.what());
      }
      std::printf("\nbalances after:\n");
      show_balances(conn);
      const std::string after = total(conn);
      std::printf("\ntotal before %s, after %s: %s\n", before.c_str(), after.c_str(),
                  before == after ? "unchanged" : "CHANGED");
      const std::string carol =
          conn.execute("SELECT balance FROM accounts WHERE owner = ?", "carol").scalar().to_string();
      return rolled_back && before == after && carol == "200.00";  // the overdraft left no trace
    });
    if (!shown) {
      std::fprintf(stderr, "mysql_bank: the run did not show what it claims\n");
      return 1;
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "mysql_bank: %s\n", e.what());
    return 1;
  }
  return 0;
}
