// TaskPool and TaskConnection: the MySQL client's task forms.
//
//   fern::mysql::TaskPool db(pool);
//   fern::mysql::Result r = co_await db.execute("SELECT name FROM users WHERE id = ?", 7);
//   co_await db.with([](fern::mysql::Connection& c) {   // several statements on one connection
//     auto tx = c.transaction(); c.execute(...); tx.commit();
//   });
//
// Views of a Pool or a Connection (which must outlive them): tasks and greenlets share the pool's
// connections and its rules (a broken connection is dropped, a session is reset between
// borrowers) and the client's outcomes (mysql::Error says whether a failed statement was applied).
// Each call runs on a carrier greenlet (fern/aio/bridge.hpp); a TaskPool call holds its lease for
// that call only, so no connection is lent across a task's other awaits.
#pragma once

#include <string>
#include <string_view>
#include <utility>

#include "fern/aio/bridge.hpp"
#include "fern/clients/mysql/connection.hpp"
#include "fern/clients/mysql/pool.hpp"

namespace fern::mysql {

class TaskConnection : public aio::Bridge<Connection> {
 public:
  using aio::Bridge<Connection>::Bridge;

  FERN_AIO_FORWARD(connect)
  FERN_AIO_FORWARD(query)
  FERN_AIO_FORWARD(query_multi)
  FERN_AIO_FORWARD(execute)
  FERN_AIO_FORWARD(execute_values)
  FERN_AIO_FORWARD(executemany)
  FERN_AIO_FORWARD(ping)
  FERN_AIO_FORWARD(reset)
};

class TaskPool : public aio::Bridge<Pool> {
 public:
  using aio::Bridge<Pool>::Bridge;

  // fn(Connection&) on a leased connection, in one carrier call.
  FERN_AIO_FORWARD(with)

  auto query(std::string_view sql) const {
    return call([sql = std::string(sql)](Pool& pool) {
      return pool.with([&sql](Connection& c) { return c.query(sql); });
    });
  }
  template <class... P>
  auto execute(std::string_view sql, P... params) const {
    return call([sql = std::string(sql), ... p = std::move(params)](Pool& pool) mutable {
      return pool.with([&](Connection& c) { return c.execute(sql, p...); });
    });
  }
};

}  // namespace fern::mysql
