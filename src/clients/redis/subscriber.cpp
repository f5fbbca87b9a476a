#include "fern/clients/redis/subscriber.hpp"

#include <cctype>
#include <utility>

#include "fern/base/error.hpp"
#include "fern/base/error_context.hpp"
#include "fern/clients/redis/reply_error.hpp"
#include "setup.hpp"

namespace fern::redis {
namespace {

std::string lowercase(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// "message", "pmessage", "subscribe", ... for a pub/sub reply; empty for anything else.
std::string_view pubsub_kind(const ReplyView& reply) {
  if (reply.kind() != Kind::array && reply.kind() != Kind::push) return {};
  ReplyElements e = reply.elements();
  if (e.empty() || !e[0].is_string()) return {};
  return e[0].as_string();
}

std::optional<Message> to_message(const ReplyView& reply) {
  std::string_view kind = pubsub_kind(reply);
  ReplyElements e = reply.elements();
  if ((kind == "message" || kind == "smessage") && e.size() == 3 && e[1].is_string() && e[2].is_string()) {
    return Message{std::string(e[1].as_string()), std::string(e[2].as_string()), {}};
  }
  if (kind == "pmessage" && e.size() == 4 && e[1].is_string() && e[2].is_string() && e[3].is_string()) {
    return Message{std::string(e[2].as_string()), std::string(e[3].as_string()),
                   std::string(e[1].as_string())};
  }
  return std::nullopt;
}

}  // namespace

Subscriber::Subscriber(Options options) : options_(std::move(options)) {}

void Subscriber::close() noexcept {
  socket_.close();
  parser_.reset();
}

void Subscriber::change(std::string_view verb, const std::vector<std::string>& names) {
  const bool patterns = verb.front() == 'P';
  const bool adding = verb.find("UNSUB") == std::string_view::npos;
  std::set<std::string>& names_set = patterns ? patterns_ : channels_;
  if (!adding && !socket_.is_open()) {
    // Nothing to tell a server we are not connected to.
    if (names.empty()) names_set.clear();
    for (const std::string& n : names) names_set.erase(n);
    return;
  }
  ensure_connected();
  // UNSUBSCRIBE with no names confirms each channel, or once when there were none.
  const std::size_t confirmations =
      !names.empty() ? names.size() : std::max<std::size_t>(1, names_set.size());
  send_change(verb, names);
  await_confirmations(lowercase(verb), confirmations);
  if (adding) {
    names_set.insert(names.begin(), names.end());
  } else if (names.empty()) {
    names_set.clear();
  } else {
    for (const std::string& n : names) names_set.erase(n);
  }
}

void Subscriber::ensure_connected() {
  if (socket_.is_open()) return;
  parser_.reset();
  socket_ = detail::open_socket(options_);
  try {
    detail::run_handshake(socket_, parser_, options_);
    // After a reconnect: everything subscribed before.
    std::vector<std::string> names(channels_.begin(), channels_.end());
    if (!names.empty()) {
      send_change("SUBSCRIBE", names);
      await_confirmations("subscribe", names.size());
    }
    names.assign(patterns_.begin(), patterns_.end());
    if (!names.empty()) {
      send_change("PSUBSCRIBE", names);
      await_confirmations("psubscribe", names.size());
    }
  } catch (...) {
    close();
    throw;
  }
}

void Subscriber::send_change(std::string_view verb, const std::vector<std::string>& names) {
  std::string out;
  encode_command(out, verb, names);
  socket_.set_timeout(options_.connect_timeout);
  try {
    socket_.send_all(out);
  } catch (const std::system_error& e) {
    lose(with_context(e, "redis " + options_.endpoint() + ": connection lost sending " + std::string(verb)));
  }
}

void Subscriber::await_confirmations(std::string_view kind, std::size_t count) {
  const Duration patience = options_.command_timeout;
  const TimePoint deadline = patience == kForever ? TimePoint::max() : deadline_after(patience);
  while (count > 0) {
    std::optional<Reply> reply = read_reply(deadline);
    if (!reply) {
      close();
      throw std::system_error(make_error_code(fern::Errc::timed_out),
                              "redis " + options_.endpoint() + ": no confirmation of " + std::string(kind));
    }
    if (reply->is_error()) throw ReplyError(reply->as_string());
    if (pubsub_kind(*reply) == kind) {
      --count;
    } else if (std::optional<Message> m = to_message(*reply)) {
      queued_.push_back(std::move(*m));
    }
  }
}

std::optional<Message> Subscriber::next_message(Duration timeout) {
  if (!queued_.empty()) {
    Message m = std::move(queued_.front());
    queued_.pop_front();
    return m;
  }
  ensure_connected();
  const TimePoint deadline = timeout == kForever ? TimePoint::max() : deadline_after(timeout);
  for (;;) {
    std::optional<Reply> reply = read_reply(deadline);
    if (!reply) return std::nullopt;
    if (std::optional<Message> m = to_message(*reply)) return m;
  }
}

std::optional<Reply> Subscriber::read_reply(TimePoint deadline) {
  for (;;) {
    std::error_code ec;
    if (std::optional<Reply> reply = parser_.next(ec)) return reply;
    if (ec) {
      lose(std::system_error(ec, "redis " + options_.endpoint() +
                                     ": connection lost: malformed reply: " + parser_.error_message()));
    }
    const TimePoint now = Clock::now();
    if (deadline != TimePoint::max() && now >= deadline) return std::nullopt;
    socket_.set_timeout(deadline == TimePoint::max() ? kForever : deadline - now);
    std::span<char> room = parser_.prepare(4096);
    std::size_t n = socket_.recv(room.data(), room.size(), ec);
    if (ec == fern::Errc::timed_out) return std::nullopt;
    if (ec) lose(std::system_error(ec, "redis " + options_.endpoint() + ": connection lost"));
    if (n == 0) {
      lose(std::system_error(make_error_code(fern::Errc::unexpected_eof),
                             "redis " + options_.endpoint() + ": connection lost: the server closed it"));
    }
    parser_.commit(n);
  }
}

void Subscriber::lose(const std::system_error& error) {
  close();
  throw error;
}

}  // namespace fern::redis
