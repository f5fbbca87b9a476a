// A parser run written out as text: each message's start line, fields, framing, body and trailers,
// and how the run ended. Two runs over the same bytes must give the same transcript however the bytes
// were split; tests compare transcripts, and the fuzzers use the same code.
#pragma once

#include <cstddef>
#include <cstdio>
#include <functional>
#include <span>
#include <string>
#include <string_view>

#include <fern/http/request_parser.hpp>
#include <fern/http/response_parser.hpp>

namespace fern::http::testing {

inline void append_escaped(std::string& out, std::string_view bytes) {
  for (unsigned char c : bytes) {
    if (c >= 0x20 && c < 0x7f && c != '\\') {
      out += static_cast<char>(c);
    } else {
      char hex[8];
      std::snprintf(hex, sizeof hex, "\\x%02x", c);
      out += hex;
    }
  }
}

inline void append_fields(std::string& out, std::string_view prefix, Headers fields) {
  for (const HeaderField& f : fields) {
    out.append(prefix);
    append_escaped(out, f.name);
    out += ": ";
    append_escaped(out, f.value);
    out += '\n';
  }
}

inline std::string start_line(const RequestParser& p) {
  RequestHead h = p.request();
  return std::string(h.method) + " " + std::string(h.target) + " HTTP/" + std::to_string(h.version.major) +
         "." + std::to_string(h.version.minor);
}

inline std::string start_line(const ResponseParser& p) {
  ResponseHead h = p.response();
  return "HTTP/" + std::to_string(h.version.major) + "." + std::to_string(h.version.minor) + " " +
         std::to_string(h.status) + " " + std::string(h.reason);
}

inline Headers head_fields(const RequestParser& p) { return p.request().headers; }
inline Headers head_fields(const ResponseParser& p) { return p.response().headers; }

inline const char* kind_name(BodyKind k) {
  switch (k) {
    case BodyKind::none: return "none";
    case BodyKind::length: return "length";
    case BodyKind::chunked: return "chunked";
    case BodyKind::until_close: return "until_close";
  }
  return "?";
}

// Collects events into a transcript until a terminal event (closed, error) or need_data.
template <typename Parser>
class Transcriber {
 public:
  explicit Transcriber(Parser& parser, std::function<void(ParseEvent)> observe = {})
      : parser_(parser), observe_(std::move(observe)) {}

  // Pulls events; returns false once the run ended (closed or error).
  bool drain() {
    if (ended_) return false;
    for (;;) {
      const ParseEvent event = parser_.next_event();
      if (observe_) observe_(event);
      switch (event) {
        case ParseEvent::need_data: return true;
        case ParseEvent::headers_complete: on_head(); break;
        case ParseEvent::body:
          if (parser_.body().empty()) text_ += "! empty body event\n";
          body_ += parser_.body();
          ++body_events_;
          break;
        case ParseEvent::message_complete: on_complete(); break;
        case ParseEvent::closed: return end("= closed\n");
        case ParseEvent::error:
          return end("= error " + parser_.error().message() + " " + std::to_string(parser_.error_status()) +
                     "\n");
      }
    }
  }

  // Text so far; after the input is exhausted without end, "= need_data" is appended.
  std::string finish() {
    if (!ended_) {
      if (!body_.empty()) flush_body();
      text_ += "= need_data\n";
      ended_ = true;
    }
    return text_;
  }
  std::size_t body_events() const { return body_events_; }

 private:
  void on_head() {
    text_ += "> " + start_line(parser_) + "\n";
    append_fields(text_, "  ", head_fields(parser_));
    text_ += std::string("  [") + kind_name(parser_.body_kind()) +
             (parser_.content_length() ? " " + std::to_string(*parser_.content_length()) : std::string()) +
             (parser_.keep_alive() ? " keep-alive" : " close") + "]\n";
  }
  void flush_body() {
    text_ += "  body " + std::to_string(body_.size()) + " ";
    append_escaped(text_, body_);
    text_ += "\n";
    body_.clear();
  }
  void on_complete() {
    if (!body_.empty()) flush_body();
    append_fields(text_, "  trailer ", parser_.trailers());
    text_ += "< complete\n";
  }
  bool end(const std::string& line) {
    if (!body_.empty()) flush_body();
    text_ += line;
    ended_ = true;
    return false;
  }

  Parser& parser_;
  std::function<void(ParseEvent)> observe_;
  std::string text_;
  std::string body_;
  std::size_t body_events_ = 0;
  bool ended_ = false;
};

// Feeds `input` split at the (ascending) offsets in `cuts`, then EOF if `eof`, and returns the
// transcript; `observe` sees every event as it happens.
template <typename Parser>
std::string transcript(Parser& parser, std::string_view input, std::span<const std::size_t> cuts = {},
                       bool eof = true, std::function<void(ParseEvent)> observe = {}) {
  Transcriber<Parser> t(parser, std::move(observe));
  std::size_t from = 0;
  for (std::size_t i = 0; i <= cuts.size(); ++i) {
    const std::size_t to = i < cuts.size() ? cuts[i] : input.size();
    parser.feed(input.substr(from, to - from));
    from = to;
    if (!t.drain()) break;
  }
  if (eof) {
    parser.feed_eof();
    t.drain();
  }
  return t.finish();
}

}  // namespace fern::http::testing
