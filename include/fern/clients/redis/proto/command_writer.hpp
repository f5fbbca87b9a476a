// encode_command and CommandWriter: the request half of the Redis codec. A command is a RESP array of
// bulk strings, one per word; words may be strings, string views, byte spans, integers or floating
// point numbers, and a range of such words (a vector of keys for DEL or MGET) adds each element as a
// word. Commands append to one buffer, so a pipeline of any length goes out in one write. Nothing
// here blocks or does I/O.
//
//   std::string out;
//   encode_command(out, "SET", key, value, "EX", 60);   // *5\r\n$3\r\nSET\r\n...
//   encode_command(out, "DEL", std::vector<std::string>{"a", "b"});
#pragma once

#include <concepts>
#include <cstddef>
#include <cstdint>
#include <ranges>
#include <string>
#include <string_view>
#include <type_traits>

namespace fern::redis {
namespace detail {

template <class T>
concept TextWord = std::convertible_to<const T&, std::string_view>;

template <class T>
concept ByteType = std::same_as<T, char> || std::same_as<T, unsigned char> || std::same_as<T, signed char> ||
    std::same_as<T, std::byte>;

template <class T>
concept ByteWord =
    !TextWord<T> && std::ranges::contiguous_range<const T> && std::ranges::sized_range<const T> &&
    ByteType<std::remove_cv_t<std::ranges::range_value_t<const T>>>;

// A char is neither clearly a byte nor a number, so it is refused; so is bool.
template <class T>
concept IntegerWord =
    std::integral<T> && !std::same_as<T, bool> && !ByteType<T> && !std::same_as<T, char8_t> &&
    !std::same_as<T, char16_t> && !std::same_as<T, char32_t> && !std::same_as<T, wchar_t>;

template <class T>
concept Word = TextWord<T> || ByteWord<T> || IntegerWord<T> || std::floating_point<T>;

template <class T>
concept WordRange =
    !Word<T> && std::ranges::forward_range<const T> && Word<std::ranges::range_value_t<const T>>;

// Longest formatted number: a double's shortest round-trip form is at most 24 bytes.
using NumberScratch = char[32];

std::string_view format_integer(std::int64_t value, NumberScratch& scratch) noexcept;
std::string_view format_integer(std::uint64_t value, NumberScratch& scratch) noexcept;
std::string_view format_double(double value, NumberScratch& scratch) noexcept;

template <Word T>
std::string_view word_bytes(const T& word, NumberScratch& scratch) {
  if constexpr (TextWord<T>) {
    return std::string_view(word);
  } else if constexpr (ByteWord<T>) {
    return std::string_view(reinterpret_cast<const char*>(std::ranges::data(word)), std::ranges::size(word));
  } else if constexpr (std::floating_point<T>) {
    return format_double(static_cast<double>(word), scratch);
  } else if constexpr (std::is_signed_v<T>) {
    return format_integer(static_cast<std::int64_t>(word), scratch);
  } else {
    return format_integer(static_cast<std::uint64_t>(word), scratch);
  }
}

// Calls f(bytes) for each word `arg` contributes: one for a word, one per element for a range.
template <class T, class F>
void for_each_word(const T& arg, F& f) {
  NumberScratch scratch;
  if constexpr (Word<T>) {
    f(word_bytes(arg, scratch));
  } else {
    for (const auto& word : arg) f(word_bytes(word, scratch));
  }
}

std::size_t encoded_header_size(std::size_t words) noexcept;
std::size_t encoded_word_size(std::size_t length) noexcept;
void append_array_header(std::string& out, std::size_t words);
void append_bulk(std::string& out, std::string_view bytes);
[[noreturn]] void throw_empty_command();

}  // namespace detail

// A word, or a range of words.
template <class T>
concept CommandArg = detail::Word<T> || detail::WordRange<T>;

// Appends one command to `out`, reserving its exact size first. Throws std::system_error
// (fern::Errc::invalid_argument) when the arguments add up to no word at all.
template <CommandArg... Args>
void encode_command(std::string& out, const Args&... args) {
  std::size_t words = 0;
  std::size_t bytes = 0;
  auto measure = [&](std::string_view word) {
    ++words;
    bytes += detail::encoded_word_size(word.size());
  };
  (detail::for_each_word(args, measure), ...);
  if (words == 0) detail::throw_empty_command();
  out.reserve(out.size() + detail::encoded_header_size(words) + bytes);
  detail::append_array_header(out, words);
  auto write = [&](std::string_view word) { detail::append_bulk(out, word); };
  (detail::for_each_word(args, write), ...);
}

// An output buffer of encoded commands for one connection: append commands, write pending() to the
// socket, and consume() what the socket took, so a partial write resumes where it stopped.
class CommandWriter {
 public:
  template <CommandArg... Args>
  CommandWriter& command(const Args&... args) {
    encode_command(buffer_, args...);
    return *this;
  }

  // Encoded bytes not yet consumed.
  std::string_view pending() const noexcept { return std::string_view(buffer_).substr(written_); }
  bool empty() const noexcept { return written_ == buffer_.size(); }
  // Marks the first n bytes of pending() as written. Throws std::system_error
  // (fern::Errc::invalid_argument) when n > pending().size().
  void consume(std::size_t n);
  // Drops everything pending (the connection that would have carried it is gone).
  void clear() noexcept {
    buffer_.clear();
    written_ = 0;
  }

 private:
  std::string buffer_;
  std::size_t written_ = 0;
};

}  // namespace fern::redis
