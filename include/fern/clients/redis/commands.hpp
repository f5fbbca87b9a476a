// CommandSet: the typed helpers every Redis command interface offers (Client, a Session, a timed
// view of a Client), written once over a `command(args...) -> Reply` that the derived class
// provides. Strings, counters, expiry, hashes, lists, sets, sorted sets, SCAN, pub/sub publishing.
// Helpers block as their command() does; error replies throw ReplyError. Replies are read the same
// way under RESP2 and RESP3 (maps or flat arrays, doubles or their text).
//
// The reply conversions (optional_string, string_map, ...) are public for use on pipeline results.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "fern/clients/redis/proto/command_writer.hpp"
#include "fern/clients/redis/proto/reply.hpp"

namespace fern::redis {

// --- reply conversions; a reply of another shape throws std::system_error (invalid_argument)

// A string, or nullopt for nil. From a Reply rvalue the bytes are moved, not copied.
std::optional<std::string> optional_string(const ReplyView& reply);
std::optional<std::string> optional_string(Reply&& reply);
std::int64_t integer(const ReplyView& reply);
// A double or its text (RESP2 sends ZSCORE as a string); nullopt for nil.
std::optional<double> optional_double(const ReplyView& reply);
// +OK.
bool is_ok(const ReplyView& reply) noexcept;
// An array or set of strings.
std::vector<std::string> string_list(const ReplyView& reply);
// An array whose elements may be nil (MGET, HMGET).
std::vector<std::optional<std::string>> optional_string_list(const ReplyView& reply);
// A RESP3 map or a RESP2 flat array of key, value, key, value.
std::unordered_map<std::string, std::string> string_map(const ReplyView& reply);
// ZRANGE ... WITHSCORES: flat member, score pairs (RESP2) or an array of [member, score] (RESP3).
std::vector<std::pair<std::string, double>> scored_members(const ReplyView& reply);

// SET's conditions and expiry.
struct SetOptions {
  std::chrono::milliseconds ttl{0};  // > 0: PX ttl
  bool only_if_absent = false;       // NX
  bool only_if_exists = false;       // XX
  bool keep_ttl = false;             // KEEPTTL
};
std::vector<std::string> set_option_words(const SetOptions& options);

// One page of SCAN: the cursor for the next call (0 when done) and the keys found.
struct ScanPage {
  std::uint64_t cursor = 0;
  std::vector<std::string> keys;
};
ScanPage scan_page(const ReplyView& reply);

template <class Derived>
class CommandSet {
 public:
  // --- connection
  std::string ping() { return std::string(call("PING").as_string()); }
  std::int64_t dbsize() { return integer(call("DBSIZE")); }
  void flushdb() { call("FLUSHDB"); }

  // --- strings
  std::optional<std::string> get(std::string_view key) { return optional_string(call("GET", key)); }
  // True when set (false only when NX or XX prevented it).
  bool set(std::string_view key, std::string_view value) { return is_ok(call("SET", key, value)); }
  bool set(std::string_view key, std::string_view value, const SetOptions& options) {
    return is_ok(call("SET", key, value, set_option_words(options)));
  }
  std::optional<std::string> getdel(std::string_view key) { return optional_string(call("GETDEL", key)); }
  template <CommandArg... Keys>
  std::vector<std::optional<std::string>> mget(const Keys&... keys) {
    return optional_string_list(call("MGET", keys...));
  }
  // MSET with alternating keys and values, or ranges of them.
  template <CommandArg... KeysAndValues>
  void mset(const KeysAndValues&... words) {
    call("MSET", words...);
  }
  std::int64_t append(std::string_view key, std::string_view value) {
    return integer(call("APPEND", key, value));
  }
  std::int64_t strlen(std::string_view key) { return integer(call("STRLEN", key)); }

  // --- keys and expiry
  template <CommandArg... Keys>
  std::int64_t del(const Keys&... keys) {
    return integer(call("DEL", keys...));
  }
  template <CommandArg... Keys>
  std::int64_t exists(const Keys&... keys) {
    return integer(call("EXISTS", keys...));
  }
  bool expire(std::string_view key, std::chrono::seconds ttl) {
    return integer(call("EXPIRE", key, ttl.count())) == 1;
  }
  bool pexpire(std::string_view key, std::chrono::milliseconds ttl) {
    return integer(call("PEXPIRE", key, ttl.count())) == 1;
  }
  // Seconds left; -1 when the key has no expiry, -2 when it does not exist.
  std::int64_t ttl(std::string_view key) { return integer(call("TTL", key)); }
  std::int64_t pttl(std::string_view key) { return integer(call("PTTL", key)); }
  bool persist(std::string_view key) { return integer(call("PERSIST", key)) == 1; }
  std::string type(std::string_view key) { return std::string(call("TYPE", key).as_string()); }

  // --- counters
  std::int64_t incr(std::string_view key) { return integer(call("INCR", key)); }
  std::int64_t incrby(std::string_view key, std::int64_t by) { return integer(call("INCRBY", key, by)); }
  std::int64_t decr(std::string_view key) { return integer(call("DECR", key)); }
  std::int64_t decrby(std::string_view key, std::int64_t by) { return integer(call("DECRBY", key, by)); }
  double incrbyfloat(std::string_view key, double by) {
    return *optional_double(call("INCRBYFLOAT", key, by));
  }

  // --- hashes
  // Fields added (not updated).
  template <CommandArg... FieldsAndValues>
  std::int64_t hset(std::string_view key, const FieldsAndValues&... words) {
    return integer(call("HSET", key, words...));
  }
  std::optional<std::string> hget(std::string_view key, std::string_view field) {
    return optional_string(call("HGET", key, field));
  }
  std::unordered_map<std::string, std::string> hgetall(std::string_view key) {
    return string_map(call("HGETALL", key));
  }
  template <CommandArg... Fields>
  std::vector<std::optional<std::string>> hmget(std::string_view key, const Fields&... fields) {
    return optional_string_list(call("HMGET", key, fields...));
  }
  template <CommandArg... Fields>
  std::int64_t hdel(std::string_view key, const Fields&... fields) {
    return integer(call("HDEL", key, fields...));
  }
  bool hexists(std::string_view key, std::string_view field) {
    return integer(call("HEXISTS", key, field)) == 1;
  }
  std::int64_t hincrby(std::string_view key, std::string_view field, std::int64_t by) {
    return integer(call("HINCRBY", key, field, by));
  }
  std::int64_t hlen(std::string_view key) { return integer(call("HLEN", key)); }
  std::vector<std::string> hkeys(std::string_view key) { return string_list(call("HKEYS", key)); }

  // --- lists
  template <CommandArg... Values>
  std::int64_t lpush(std::string_view key, const Values&... values) {
    return integer(call("LPUSH", key, values...));
  }
  template <CommandArg... Values>
  std::int64_t rpush(std::string_view key, const Values&... values) {
    return integer(call("RPUSH", key, values...));
  }
  std::optional<std::string> lpop(std::string_view key) { return optional_string(call("LPOP", key)); }
  std::optional<std::string> rpop(std::string_view key) { return optional_string(call("RPOP", key)); }
  std::vector<std::string> lrange(std::string_view key, std::int64_t start, std::int64_t stop) {
    return string_list(call("LRANGE", key, start, stop));
  }
  std::int64_t llen(std::string_view key) { return integer(call("LLEN", key)); }
  std::optional<std::string> lindex(std::string_view key, std::int64_t index) {
    return optional_string(call("LINDEX", key, index));
  }

  // --- sets
  template <CommandArg... Members>
  std::int64_t sadd(std::string_view key, const Members&... members) {
    return integer(call("SADD", key, members...));
  }
  template <CommandArg... Members>
  std::int64_t srem(std::string_view key, const Members&... members) {
    return integer(call("SREM", key, members...));
  }
  std::vector<std::string> smembers(std::string_view key) { return string_list(call("SMEMBERS", key)); }
  bool sismember(std::string_view key, std::string_view member) {
    return integer(call("SISMEMBER", key, member)) == 1;
  }
  std::int64_t scard(std::string_view key) { return integer(call("SCARD", key)); }

  // --- sorted sets
  // Members added (not updated).
  std::int64_t zadd(std::string_view key, double score, std::string_view member) {
    return integer(call("ZADD", key, score, member));
  }
  double zincrby(std::string_view key, double by, std::string_view member) {
    return *optional_double(call("ZINCRBY", key, by, member));
  }
  std::optional<double> zscore(std::string_view key, std::string_view member) {
    return optional_double(call("ZSCORE", key, member));
  }
  std::optional<std::int64_t> zrank(std::string_view key, std::string_view member) {
    Reply r = call("ZRANK", key, member);
    if (r.is_nil()) return std::nullopt;
    return integer(r);
  }
  template <CommandArg... Members>
  std::int64_t zrem(std::string_view key, const Members&... members) {
    return integer(call("ZREM", key, members...));
  }
  std::int64_t zcard(std::string_view key) { return integer(call("ZCARD", key)); }
  std::vector<std::string> zrange(std::string_view key, std::int64_t start, std::int64_t stop) {
    return string_list(call("ZRANGE", key, start, stop));
  }
  std::vector<std::pair<std::string, double>> zrange_withscores(std::string_view key, std::int64_t start,
                                                                std::int64_t stop) {
    return scored_members(call("ZRANGE", key, start, stop, "WITHSCORES"));
  }
  std::vector<std::string> zrangebyscore(std::string_view key, double min, double max) {
    return string_list(call("ZRANGEBYSCORE", key, min, max));
  }

  // --- SCAN
  // One page; pass the returned cursor back until it is 0. `match` empty: every key.
  ScanPage scan(std::uint64_t cursor, std::string_view match = {}, std::int64_t count = 0) {
    if (match.empty() && count <= 0) return scan_page(call("SCAN", cursor));
    if (count <= 0) return scan_page(call("SCAN", cursor, "MATCH", match));
    if (match.empty()) return scan_page(call("SCAN", cursor, "COUNT", count));
    return scan_page(call("SCAN", cursor, "MATCH", match, "COUNT", count));
  }
  // Every key matching `match`, through as many SCAN pages as it takes (a key may appear twice
  // if it was changed meanwhile, as SCAN promises).
  std::vector<std::string> scan_all(std::string_view match = {}, std::int64_t count = 1000) {
    std::vector<std::string> keys;
    std::uint64_t cursor = 0;
    do {
      ScanPage page = scan(cursor, match, count);
      cursor = page.cursor;
      for (std::string& k : page.keys) keys.push_back(std::move(k));
    } while (cursor != 0);
    return keys;
  }

  // --- pub/sub (subscribing has its own connection: Subscriber)
  // Subscribers that received the message.
  std::int64_t publish(std::string_view channel, std::string_view message) {
    return integer(call("PUBLISH", channel, message));
  }

 private:
  template <class... Args>
  Reply call(const Args&... args) {
    return static_cast<Derived&>(*this).command(args...);
  }
};

}  // namespace fern::redis
