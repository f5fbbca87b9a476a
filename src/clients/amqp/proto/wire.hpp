// The AMQP wire primitives every codec file shares: big-endian integers, short strings (octet
// length, at most 255 bytes) and long strings (32-bit length). WireReader consumes a string_view
// and turns every overrun into a sticky failure flag instead of reading past the end, so a
// decoder checks once at the end rather than after each field.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "fern/base/error.hpp"

namespace fern::amqp::wire {

inline void put_u8(std::string& out, std::uint8_t v) { out.push_back(static_cast<char>(v)); }
inline void put_u16(std::string& out, std::uint16_t v) {
  const char b[2] = {static_cast<char>(v >> 8), static_cast<char>(v)};
  out.append(b, 2);
}
inline void put_u32(std::string& out, std::uint32_t v) {
  const char b[4] = {static_cast<char>(v >> 24), static_cast<char>(v >> 16), static_cast<char>(v >> 8),
                     static_cast<char>(v)};
  out.append(b, 4);
}
inline void put_u64(std::string& out, std::uint64_t v) {
  put_u32(out, static_cast<std::uint32_t>(v >> 32));
  put_u32(out, static_cast<std::uint32_t>(v));
}
// Overwrites 4 bytes at `pos` (a length written before its content was known).
inline void patch_u32(std::string& out, std::size_t pos, std::uint32_t v) {
  out[pos] = static_cast<char>(v >> 24);
  out[pos + 1] = static_cast<char>(v >> 16);
  out[pos + 2] = static_cast<char>(v >> 8);
  out[pos + 3] = static_cast<char>(v);
}
inline void put_shortstr(std::string& out, std::string_view s) {
  if (s.size() > 255) throw_error(Errc::invalid_argument, "amqp: a short string is longer than 255 bytes");
  put_u8(out, static_cast<std::uint8_t>(s.size()));
  out.append(s);
}
inline void put_longstr(std::string& out, std::string_view s) {
  if (s.size() > 0xFFFFFFFFu) throw_error(Errc::invalid_argument, "amqp: a long string is over 4 GiB");
  put_u32(out, static_cast<std::uint32_t>(s.size()));
  out.append(s);
}

class WireReader {
 public:
  explicit WireReader(std::string_view in) noexcept : in_(in) {}

  bool failed() const noexcept { return failed_; }
  void fail() noexcept { failed_ = true; }
  std::string_view rest() const noexcept { return in_; }
  bool at_end() const noexcept { return in_.empty(); }

  std::uint8_t u8() noexcept { return static_cast<std::uint8_t>(take(1)); }
  std::uint16_t u16() noexcept { return static_cast<std::uint16_t>(take(2)); }
  std::uint32_t u32() noexcept { return static_cast<std::uint32_t>(take(4)); }
  std::uint64_t u64() noexcept { return take(8); }
  std::string_view bytes(std::size_t n) noexcept {
    if (failed_ || in_.size() < n) {
      failed_ = true;
      return {};
    }
    std::string_view s = in_.substr(0, n);
    in_.remove_prefix(n);
    return s;
  }
  std::string_view shortstr() noexcept { return bytes(u8()); }
  std::string_view longstr() noexcept { return bytes(u32()); }

 private:
  std::uint64_t take(std::size_t n) noexcept {
    if (failed_ || in_.size() < n) {
      failed_ = true;
      return 0;
    }
    std::uint64_t v = 0;
    for (std::size_t i = 0; i < n; ++i) v = (v << 8) | static_cast<unsigned char>(in_[i]);
    in_.remove_prefix(n);
    return v;
  }

  std::string_view in_;
  bool failed_ = false;
};

}  // namespace fern::amqp::wire
