// MessageParser, part one: the lines of a head (start line and field lines) or of a trailer block,
// and the body framing a head implies (RFC 9112 sections 2-6).
//
// Why limits are checked the way they are: the parser must give the same verdict whatever the
// chunking of its input (the fuzzers check this). So each line has exactly one size check, and a
// partial line (no LF yet) fails only when the complete line would fail the same check: a start
// line is measured against max_start_line, every other line against max_header_block.
#include <algorithm>
#include <cstring>

#include "fern/http/message_parser.hpp"
#include "syntax.hpp"

namespace fern::http {

MessageParser::ScanStatus MessageParser::scan_block(bool trailers) {
  for (;;) {
    const char* base = in_.data() + pos_;
    const std::size_t avail = available();
    const void* lf = scan_.scan < avail ? std::memchr(base + scan_.scan, '\n', avail - scan_.scan) : nullptr;
    if (lf == nullptr) {
      scan_.scan = avail;
      return check_partial_line(scan_, trailers) ? ScanStatus::need_more : ScanStatus::failed;
    }
    const auto line_end = static_cast<std::size_t>(static_cast<const char*>(lf) - base);
    scan_.scan = line_end + 1;
    const ScanStatus status = take_line(line_end, trailers);
    if (status != ScanStatus::need_more) return status;
  }
}

bool MessageParser::check_partial_line(const BlockScan& s, bool trailers) {
  const std::size_t avail = available();
  if (!trailers && !s.start_line_done) {
    // The complete line is longer by at least its LF; content plus CR may reach max_start_line + 1.
    if (avail - s.line_start > limits_.max_start_line + 1) return reject(ParseError::start_line_too_long);
  } else if (avail >= limits_.max_header_block) {
    return reject(ParseError::header_block_too_large);
  }
  return true;
}

// Handles the complete line [line_start, line_end) whose LF is at line_end: need_more to go on with
// the next line, done at the empty line that ends the block.
MessageParser::ScanStatus MessageParser::take_line(std::size_t line_end, bool trailers) {
  const bool is_start_line = !trailers && !scan_.start_line_done;
  const std::size_t line_start = scan_.line_start;
  const ScanStatus failed = ScanStatus::failed;
  if (is_start_line) {
    if (line_end + 1 - line_start > limits_.max_start_line + 2)
      return fail_scan(ParseError::start_line_too_long);
  } else if (line_end + 1 > limits_.max_header_block) {
    return fail_scan(ParseError::header_block_too_large);
  }
  const char* base = in_.data() + pos_;
  if (line_end == line_start || base[line_end - 1] != '\r') return fail_scan(ParseError::bad_line_ending);
  const std::string_view line(base + line_start, line_end - 1 - line_start);
  scan_.line_start = line_end + 1;

  if (line.empty()) {
    if (!is_start_line) return ScanStatus::done;
    // An empty line before the start line (e.g. a stray CRLF after a body) is skipped.
    pos_ += scan_.line_start;
    scan_.scan = scan_.line_start = 0;
    return ScanStatus::need_more;
  }
  if (is_start_line) {
    if (!parse_start_line(line)) return failed;
    scan_.start_line_done = true;
    return ScanStatus::need_more;
  }
  if (!parse_field_line(line, line_start)) return failed;
  if (++scan_.fields > limits_.max_header_count) return fail_scan(ParseError::too_many_headers);
  return ScanStatus::need_more;
}

bool MessageParser::parse_start_line(std::string_view line) {
  return role_ == Role::request ? parse_request_line(line) : parse_status_line(line);
}

namespace {

std::uint32_t offset_in(std::string_view part, const char* base) {
  return static_cast<std::uint32_t>(part.data() - base);
}

}  // namespace

// request-line = method SP request-target SP HTTP-version
bool MessageParser::parse_request_line(std::string_view line) {
  const std::size_t sp1 = line.find(' ');
  if (sp1 == std::string_view::npos) return reject(ParseError::bad_request_line);
  const std::string_view method = line.substr(0, sp1);
  if (!syntax::is_token(method)) return reject(ParseError::bad_method);
  const std::string_view rest = line.substr(sp1 + 1);
  const std::size_t sp2 = rest.find(' ');
  if (sp2 == std::string_view::npos) return reject(ParseError::bad_request_line);
  const std::string_view target = rest.substr(0, sp2);
  if (target.empty() || !std::all_of(target.begin(), target.end(), syntax::is_target_char)) {
    return reject(ParseError::bad_target);
  }
  const std::string_view version = rest.substr(sp2 + 1);
  if (!parse_version(version)) return false;
  const char* base = in_.data() + pos_;
  start_parts_[0] = {offset_in(method, base), static_cast<std::uint32_t>(method.size())};
  start_parts_[1] = {offset_in(target, base), static_cast<std::uint32_t>(target.size())};
  start_parts_[2] = {offset_in(version, base), static_cast<std::uint32_t>(version.size())};
  return true;
}

// status-line = HTTP-version SP status-code SP [ reason-phrase ]; a missing SP before an empty
// reason is tolerated, as real servers send "HTTP/1.1 200\r\n".
bool MessageParser::parse_status_line(std::string_view line) {
  if (line.size() < 12 || line[8] != ' ') return reject(ParseError::bad_status_line);
  const std::string_view version = line.substr(0, 8);
  if (!parse_version(version)) return false;
  const std::string_view code = line.substr(9, 3);
  if (!std::all_of(code.begin(), code.end(), syntax::is_digit) || code[0] == '0') {
    return reject(ParseError::bad_status_line);
  }
  std::string_view reason = line.substr(12);
  if (!reason.empty()) {
    if (reason[0] != ' ' || !syntax::is_field_value(reason)) return reject(ParseError::bad_status_line);
    reason.remove_prefix(1);
  }
  status_ = (code[0] - '0') * 100 + (code[1] - '0') * 10 + (code[2] - '0');
  const char* base = in_.data() + pos_;
  start_parts_[0] = {offset_in(version, base), static_cast<std::uint32_t>(version.size())};
  start_parts_[1] = {offset_in(code, base), static_cast<std::uint32_t>(code.size())};
  start_parts_[2] = {offset_in(reason, base), static_cast<std::uint32_t>(reason.size())};
  return true;
}

// HTTP-version = "HTTP/" DIGIT "." DIGIT; any 1.x is served with HTTP/1.1 semantics.
bool MessageParser::parse_version(std::string_view text) {
  if (text.size() != 8 || text.substr(0, 5) != "HTTP/" || !syntax::is_digit(text[5]) || text[6] != '.' ||
      !syntax::is_digit(text[7])) {
    return reject(ParseError::bad_version);
  }
  if (text[5] != '1') return reject(ParseError::unsupported_version);
  version_ = {1, text[7] - '0'};
  return true;
}

// field-line = field-name ":" OWS field-value OWS
bool MessageParser::parse_field_line(std::string_view line, std::size_t line_offset) {
  if (syntax::is_ows(line.front())) return reject(ParseError::obs_fold);
  const std::size_t colon = line.find(':');
  if (colon == std::string_view::npos || colon == 0) return reject(ParseError::bad_header);
  const std::string_view name = line.substr(0, colon);
  if (syntax::is_ows(name.back())) return reject(ParseError::space_before_colon);
  if (!syntax::is_token(name)) return reject(ParseError::bad_header);
  const std::string_view value = syntax::trim_ows(line.substr(colon + 1));
  if (!syntax::is_field_value(value)) return reject(ParseError::bad_header_value);
  const auto value_offset = static_cast<std::uint32_t>(value.data() - line.data() + line_offset);
  field_spans_.push_back({{static_cast<std::uint32_t>(line_offset), static_cast<std::uint32_t>(colon)},
                          {value_offset, static_cast<std::uint32_t>(value.size())}});
  return true;
}

// Copies the block [pos_, pos_ + length) out of the input buffer, so the views survive later feeds.
void MessageParser::copy_block(std::size_t length, std::vector<char>& buffer,
                               std::vector<HeaderField>& fields) {
  buffer.assign(in_.begin() + static_cast<std::ptrdiff_t>(pos_),
                in_.begin() + static_cast<std::ptrdiff_t>(pos_ + length));
  fields.clear();
  fields.reserve(field_spans_.size());
  for (const FieldSpans& f : field_spans_) {
    fields.push_back(
        {{buffer.data() + f.name.offset, f.name.length}, {buffer.data() + f.value.offset, f.value.length}});
  }
  field_spans_.clear();
  pos_ += length;
  scan_ = {};
}

ParseEvent MessageParser::finish_head() {
  copy_block(scan_.line_start, head_, fields_);
  trailer_buffer_.clear();
  trailer_fields_.clear();
  Framing framing;
  if (!collect_framing(framing) || !decide_body(framing)) return ParseEvent::error;
  return ParseEvent::headers_complete;
}

namespace {

bool is_field(const HeaderField& f, std::string_view name) { return iequals(f.name, name); }

}  // namespace

// Reads the fields that decide framing and persistence. Errors here depend on field order only.
bool MessageParser::collect_framing(Framing& framing) {
  bool unknown_coding = false;
  bool chunked_last = false;
  ParseError error = ParseError::ok;
  for (const HeaderField& f : fields_) {
    if (is_field(f, "content-length")) {
      bool any = false;
      for_each_list_element(f.value, [&](std::string_view element) {
        std::uint64_t value = 0;
        any = true;
        if (!syntax::parse_decimal(element, &value)) {
          error = ParseError::bad_content_length;
        } else if (framing.content_length && *framing.content_length != value) {
          error = ParseError::conflicting_content_length;
        } else {
          framing.content_length = value;
        }
        return error == ParseError::ok;
      });
      if (error == ParseError::ok && !any) error = ParseError::bad_content_length;
    } else if (is_field(f, "transfer-encoding")) {
      framing.transfer_encoding = true;
      for_each_list_element(f.value, [&](std::string_view coding) {
        chunked_last = iequals(coding, "chunked");
        if (!chunked_last) {
          unknown_coding = true;
        } else if (framing.chunked) {
          error = ParseError::bad_transfer_encoding;  // chunked twice
        }
        framing.chunked = framing.chunked || chunked_last;
        return error == ParseError::ok;
      });
    } else if (is_field(f, "connection")) {
      for_each_list_element(f.value, [&](std::string_view option) {
        if (iequals(option, "close")) framing.close = true;
        if (iequals(option, "keep-alive")) framing.keep_alive = true;
        if (iequals(option, "upgrade")) framing.upgrade = true;
        return true;
      });
    } else if (is_field(f, "host")) {
      ++framing.hosts;
    }
    if (error != ParseError::ok) return reject(error);
  }
  if (!framing.transfer_encoding) return true;
  // Content-Length next to Transfer-Encoding, or chunked framing in HTTP/1.0, is how requests are
  // smuggled past a proxy that reads the other header: refuse rather than pick one.
  if (framing.content_length) return reject(ParseError::content_length_and_transfer_encoding);
  if (version_.minor == 0) return reject(ParseError::bad_transfer_encoding);
  if (unknown_coding) return reject(ParseError::unsupported_transfer_encoding);
  if (!chunked_last) return reject(ParseError::bad_transfer_encoding);
  return true;
}

// RFC 9112 section 6.3: which of none / length / chunked / until_close frames this body.
bool MessageParser::decide_body(const Framing& framing) {
  const bool http11 = version_.minor >= 1;
  keep_alive_ = !framing.close && (http11 || framing.keep_alive);
  content_length_ = framing.content_length;
  body_total_ = 0;
  interim_ = false;
  if (role_ == Role::request) {
    if (framing.hosts > 1) return reject(ParseError::duplicate_host);
    if (framing.hosts == 0 && http11) return reject(ParseError::missing_host);
    upgrade_ = framing.upgrade && headers().contains("upgrade");
    body_kind_ = framing.chunked          ? BodyKind::chunked
                 : framing.content_length ? BodyKind::length
                                          : BodyKind::none;
  } else {
    const PendingMethod method = pending_methods_.empty() ? PendingMethod::other : pending_methods_.front();
    const bool connect_ok = method == PendingMethod::connect && status_ >= 200 && status_ < 300;
    interim_ = status_ < 200 && status_ != 101;
    upgrade_ = status_ == 101 || connect_ok;
    if (status_forbids_body(status_) || method == PendingMethod::head || connect_ok) {
      body_kind_ = BodyKind::none;
    } else if (framing.chunked) {
      body_kind_ = BodyKind::chunked;
    } else if (framing.content_length) {
      body_kind_ = BodyKind::length;
    } else {
      body_kind_ = BodyKind::until_close;
      keep_alive_ = false;
    }
  }
  switch (body_kind_) {
    case BodyKind::none: state_ = State::message_done; break;
    case BodyKind::length:
      if (*content_length_ > limits_.max_body) return reject(ParseError::body_too_large);
      remaining_ = *content_length_;
      state_ = remaining_ == 0 ? State::message_done : State::body_length;
      break;
    case BodyKind::chunked:
      chunk_scan_ = 0;
      state_ = State::chunk_size;
      break;
    case BodyKind::until_close: state_ = State::body_until_close; break;
  }
  return true;
}

}  // namespace fern::http
