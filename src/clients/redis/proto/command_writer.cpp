#include "fern/clients/redis/proto/command_writer.hpp"

#include <charconv>

#include "fern/base/error.hpp"

namespace fern::redis {
namespace detail {
namespace {

std::size_t decimal_digits(std::size_t n) noexcept {
  std::size_t digits = 1;
  for (; n >= 10; n /= 10) ++digits;
  return digits;
}

void append_decimal(std::string& out, std::size_t n) {
  char digits[24];
  auto [end, ec] = std::to_chars(digits, digits + sizeof digits, n);
  out.append(digits, end);
}

}  // namespace

std::string_view format_integer(std::int64_t value, NumberScratch& scratch) noexcept {
  auto [end, ec] = std::to_chars(scratch, scratch + sizeof scratch, value);
  return {scratch, static_cast<std::size_t>(end - scratch)};
}

std::string_view format_integer(std::uint64_t value, NumberScratch& scratch) noexcept {
  auto [end, ec] = std::to_chars(scratch, scratch + sizeof scratch, value);
  return {scratch, static_cast<std::size_t>(end - scratch)};
}

// The shortest text that reads back as the same double; Redis parses "inf", "-inf" and exponents.
std::string_view format_double(double value, NumberScratch& scratch) noexcept {
  auto [end, ec] = std::to_chars(scratch, scratch + sizeof scratch, value);
  return {scratch, static_cast<std::size_t>(end - scratch)};
}

std::size_t encoded_header_size(std::size_t words) noexcept { return 1 + decimal_digits(words) + 2; }

std::size_t encoded_word_size(std::size_t length) noexcept {
  return 1 + decimal_digits(length) + 2 + length + 2;
}

void append_array_header(std::string& out, std::size_t words) {
  out += '*';
  append_decimal(out, words);
  out += "\r\n";
}

void append_bulk(std::string& out, std::string_view bytes) {
  out += '$';
  append_decimal(out, bytes.size());
  out += "\r\n";
  out += bytes;
  out += "\r\n";
}

void throw_empty_command() {
  throw_error(Errc::invalid_argument, "encode_command: a command needs at least one word");
}

}  // namespace detail

void CommandWriter::consume(std::size_t n) {
  if (n > buffer_.size() - written_) {
    throw_error(Errc::invalid_argument, "CommandWriter::consume: more bytes than pending()");
  }
  written_ += n;
  if (written_ == buffer_.size()) {
    clear();  // keeps the capacity for the next batch
  } else if (written_ >= buffer_.size() / 2) {
    // Compact once at least half is written, so a run of partial writes moves each byte O(1) times.
    buffer_.erase(0, written_);
    written_ = 0;
  }
}

}  // namespace fern::redis
