// Subscriber: Redis pub/sub on a connection of its own (a subscribed connection can do nothing
// else). subscribe()/psubscribe() send the command and wait for the server's confirmations, so a
// message published after they return is delivered; next_message(timeout) parks until a message
// arrives or the timeout passes. Works under RESP2 (arrays) and RESP3 (pushes) alike.
//
// If the connection is lost, next_message throws std::system_error once; the next call reconnects
// and subscribes again to every channel and pattern (messages published in between are lost, as
// pub/sub promises no more). Owned by one greenlet at a time.
//
//   redis::Subscriber sub(options);
//   sub.subscribe("news");
//   while (auto m = sub.next_message(1s)) std::cout << m->channel << ": " << m->payload << "\n";
#pragma once

#include <cstddef>
#include <deque>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "fern/base/clock.hpp"
#include "fern/clients/redis/options.hpp"
#include "fern/clients/redis/proto/command_writer.hpp"
#include "fern/clients/redis/proto/reply_parser.hpp"
#include "fern/net/socket.hpp"

namespace fern::redis {

struct Message {
  std::string channel;
  std::string payload;
  std::string pattern;  // the pattern that matched, for psubscribe; empty for subscribe
};

class Subscriber {
 public:
  // Connects on the first subscribe.
  explicit Subscriber(Options options = {});
  Subscriber(Subscriber&&) noexcept = default;
  Subscriber& operator=(Subscriber&&) noexcept = default;
  ~Subscriber() = default;

  template <CommandArg... Channels>
  void subscribe(const Channels&... channels) {
    change("SUBSCRIBE", words(channels...));
  }
  template <CommandArg... Patterns>
  void psubscribe(const Patterns&... patterns) {
    change("PSUBSCRIBE", words(patterns...));
  }
  template <CommandArg... Channels>
  void unsubscribe(const Channels&... channels) {
    change("UNSUBSCRIBE", words(channels...));
  }
  template <CommandArg... Patterns>
  void punsubscribe(const Patterns&... patterns) {
    change("PUNSUBSCRIBE", words(patterns...));
  }

  // The next message, or nullopt when `timeout` passes first.
  std::optional<Message> next_message(Duration timeout = kForever);

  const std::set<std::string>& channels() const noexcept { return channels_; }
  const std::set<std::string>& patterns() const noexcept { return patterns_; }
  bool connected() const noexcept { return socket_.is_open(); }
  void close() noexcept;

 private:
  template <class... Args>
  static std::vector<std::string> words(const Args&... args) {
    std::vector<std::string> out;
    [[maybe_unused]] auto add = [&](std::string_view w) { out.emplace_back(w); };
    (detail::for_each_word(args, add), ...);
    return out;
  }

  void change(std::string_view verb, const std::vector<std::string>& names);
  void ensure_connected();
  void send_change(std::string_view verb, const std::vector<std::string>& names);
  void await_confirmations(std::string_view kind, std::size_t count);
  // Parses one reply, receiving as needed; nullopt when `deadline` passes.
  std::optional<Reply> read_reply(TimePoint deadline);
  void lose(const std::system_error& error);

  Options options_;
  net::Socket socket_;
  ReplyParser parser_;
  std::deque<Message> queued_;  // messages that arrived while waiting for confirmations
  std::set<std::string> channels_;
  std::set<std::string> patterns_;
};

}  // namespace fern::redis
