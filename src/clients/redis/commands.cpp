#include "fern/clients/redis/commands.hpp"

#include <charconv>
#include <string>

#include "fern/base/error.hpp"

namespace fern::redis {
namespace {

[[noreturn]] void unexpected(const ReplyView& reply, const char* wanted) {
  throw std::system_error(
      make_error_code(fern::Errc::invalid_argument),
      std::string("redis: expected ") + wanted + ", got " + reply.to_string().substr(0, 120));
}

double parse_double(const ReplyView& reply) {
  if (reply.kind() == Kind::double_) return reply.as_double();
  if (reply.kind() == Kind::integer) return static_cast<double>(reply.as_integer());
  if (!reply.is_string()) unexpected(reply, "a number");
  std::string text(reply.as_string());
  // Redis spells infinities "inf" / "-inf"; strtod reads those and every finite form.
  char* end = nullptr;
  double value = std::strtod(text.c_str(), &end);
  if (text.empty() || end != text.c_str() + text.size()) unexpected(reply, "a number");
  return value;
}

bool is_list(const ReplyView& reply) noexcept {
  return reply.kind() == Kind::array || reply.kind() == Kind::set || reply.kind() == Kind::push;
}

}  // namespace

std::optional<std::string> optional_string(const ReplyView& reply) {
  if (reply.is_nil()) return std::nullopt;
  if (!reply.is_string()) unexpected(reply, "a string");
  return std::string(reply.as_string());
}

std::optional<std::string> optional_string(Reply&& reply) {
  if (reply.is_nil()) return std::nullopt;
  if (!reply.is_string()) unexpected(reply, "a string");
  return std::move(reply).take_string();
}

std::int64_t integer(const ReplyView& reply) {
  if (reply.kind() == Kind::integer) return reply.as_integer();
  if (reply.is_string()) {
    std::string_view text = reply.as_string();
    std::int64_t value = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec == std::errc() && end == text.data() + text.size() && !text.empty()) return value;
  }
  unexpected(reply, "an integer");
}

std::optional<double> optional_double(const ReplyView& reply) {
  if (reply.is_nil()) return std::nullopt;
  return parse_double(reply);
}

bool is_ok(const ReplyView& reply) noexcept {
  return reply.kind() == Kind::simple_string && reply.as_string() == "OK";
}

std::vector<std::string> string_list(const ReplyView& reply) {
  if (!is_list(reply)) unexpected(reply, "an array of strings");
  std::vector<std::string> out;
  out.reserve(reply.elements().size());
  for (ReplyView e : reply.elements()) {
    if (!e.is_string()) unexpected(e, "a string element");
    out.emplace_back(e.as_string());
  }
  return out;
}

std::vector<std::optional<std::string>> optional_string_list(const ReplyView& reply) {
  if (!is_list(reply)) unexpected(reply, "an array");
  std::vector<std::optional<std::string>> out;
  out.reserve(reply.elements().size());
  for (ReplyView e : reply.elements()) out.push_back(optional_string(e));
  return out;
}

std::unordered_map<std::string, std::string> string_map(const ReplyView& reply) {
  if (reply.kind() != Kind::map && !(is_list(reply) && reply.elements().size() % 2 == 0)) {
    unexpected(reply, "a map");
  }
  std::unordered_map<std::string, std::string> out;
  ReplyElements e = reply.elements();
  out.reserve(e.size() / 2);
  for (std::size_t i = 0; i + 1 < e.size(); i += 2) {
    if (!e[i].is_string() || !e[i + 1].is_string()) unexpected(reply, "a map of strings");
    out.emplace(std::string(e[i].as_string()), std::string(e[i + 1].as_string()));
  }
  return out;
}

std::vector<std::pair<std::string, double>> scored_members(const ReplyView& reply) {
  if (!is_list(reply)) unexpected(reply, "members with scores");
  std::vector<std::pair<std::string, double>> out;
  ReplyElements e = reply.elements();
  if (!e.empty() && is_list(e[0])) {  // RESP3: [[member, score], ...]
    for (ReplyView pair : e) {
      if (pair.elements().size() != 2 || !pair[0].is_string()) unexpected(pair, "a [member, score] pair");
      out.emplace_back(std::string(pair[0].as_string()), parse_double(pair[1]));
    }
    return out;
  }
  if (e.size() % 2 != 0) unexpected(reply, "member, score pairs");
  for (std::size_t i = 0; i < e.size(); i += 2) {
    if (!e[i].is_string()) unexpected(e[i], "a member");
    out.emplace_back(std::string(e[i].as_string()), parse_double(e[i + 1]));
  }
  return out;
}

std::vector<std::string> set_option_words(const SetOptions& options) {
  std::vector<std::string> words;
  if (options.ttl.count() > 0) {
    words.emplace_back("PX");
    words.push_back(std::to_string(options.ttl.count()));
  }
  if (options.keep_ttl) words.emplace_back("KEEPTTL");
  if (options.only_if_absent) words.emplace_back("NX");
  if (options.only_if_exists) words.emplace_back("XX");
  return words;
}

ScanPage scan_page(const ReplyView& reply) {
  if (!is_list(reply) || reply.elements().size() != 2) unexpected(reply, "a SCAN page");
  ScanPage page;
  std::string_view cursor = reply[0].as_string();
  auto [end, ec] = std::from_chars(cursor.data(), cursor.data() + cursor.size(), page.cursor);
  if (ec != std::errc() || end != cursor.data() + cursor.size()) unexpected(reply, "a SCAN cursor");
  page.keys = string_list(reply[1]);
  return page;
}

}  // namespace fern::redis
