// TaskClient: the Redis client's task form. Every command a Client offers, from an aio task:
//
//   fern::redis::TaskClient redis(client);
//   co_await redis.set("greeting", "hello");
//   std::optional<std::string> v = co_await redis.get("greeting");
//
// It is a view of a Client (which must outlive it), not a second client: tasks and greenlets share
// the Client's connections, its pipelining and its outcomes (fern::OperationError says whether a
// failed write was applied). Each call runs on a carrier greenlet (fern/aio/bridge.hpp); anything
// not listed here (pipelines, transactions, sessions) goes through call([](Client& c) { ... }).
#pragma once

#include "fern/aio/bridge.hpp"
#include "fern/clients/redis/client.hpp"

namespace fern::redis {

class TaskClient : public aio::Bridge<Client> {
 public:
  using aio::Bridge<Client>::Bridge;

  FERN_AIO_FORWARD(command)
  // connection
  FERN_AIO_FORWARD(ping)
  FERN_AIO_FORWARD(dbsize)
  FERN_AIO_FORWARD(flushdb)
  // strings
  FERN_AIO_FORWARD(get)
  FERN_AIO_FORWARD(set)
  FERN_AIO_FORWARD(getdel)
  FERN_AIO_FORWARD(mget)
  FERN_AIO_FORWARD(mset)
  FERN_AIO_FORWARD(append)
  FERN_AIO_FORWARD(strlen)
  // keys and expiry
  FERN_AIO_FORWARD(del)
  FERN_AIO_FORWARD(exists)
  FERN_AIO_FORWARD(expire)
  FERN_AIO_FORWARD(pexpire)
  FERN_AIO_FORWARD(ttl)
  FERN_AIO_FORWARD(pttl)
  FERN_AIO_FORWARD(persist)
  FERN_AIO_FORWARD(type)
  // counters
  FERN_AIO_FORWARD(incr)
  FERN_AIO_FORWARD(incrby)
  FERN_AIO_FORWARD(decr)
  FERN_AIO_FORWARD(decrby)
  FERN_AIO_FORWARD(incrbyfloat)
  // hashes
  FERN_AIO_FORWARD(hset)
  FERN_AIO_FORWARD(hget)
  FERN_AIO_FORWARD(hgetall)
  FERN_AIO_FORWARD(hmget)
  FERN_AIO_FORWARD(hdel)
  FERN_AIO_FORWARD(hexists)
  FERN_AIO_FORWARD(hincrby)
  FERN_AIO_FORWARD(hlen)
  FERN_AIO_FORWARD(hkeys)
  // lists
  FERN_AIO_FORWARD(lpush)
  FERN_AIO_FORWARD(rpush)
  FERN_AIO_FORWARD(lpop)
  FERN_AIO_FORWARD(rpop)
  FERN_AIO_FORWARD(lrange)
  FERN_AIO_FORWARD(llen)
  FERN_AIO_FORWARD(lindex)
  // sets
  FERN_AIO_FORWARD(sadd)
  FERN_AIO_FORWARD(srem)
  FERN_AIO_FORWARD(smembers)
  FERN_AIO_FORWARD(sismember)
  FERN_AIO_FORWARD(scard)
  // sorted sets
  FERN_AIO_FORWARD(zadd)
  FERN_AIO_FORWARD(zincrby)
  FERN_AIO_FORWARD(zscore)
  FERN_AIO_FORWARD(zrank)
  FERN_AIO_FORWARD(zrem)
  FERN_AIO_FORWARD(zcard)
  FERN_AIO_FORWARD(zrange)
  FERN_AIO_FORWARD(zrange_withscores)
  FERN_AIO_FORWARD(zrangebyscore)
  // SCAN and pub/sub publishing
  FERN_AIO_FORWARD(scan)
  FERN_AIO_FORWARD(scan_all)
  FERN_AIO_FORWARD(publish)
};

}  // namespace fern::redis
