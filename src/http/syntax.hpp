// Character classes and small scanners of RFC 9110/9112 grammar, shared by the parsers and the
// serializers. Internal to the http layer.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

namespace fern::http::syntax {

namespace table {
constexpr std::array<bool, 256> make_tchar() {
  std::array<bool, 256> t{};
  for (int c = '0'; c <= '9'; ++c) t[c] = true;
  for (int c = 'a'; c <= 'z'; ++c) t[c] = true;
  for (int c = 'A'; c <= 'Z'; ++c) t[c] = true;
  for (char c : std::string_view("!#$%&'*+-.^_`|~")) t[static_cast<unsigned char>(c)] = true;
  return t;
}
inline constexpr std::array<bool, 256> kTchar = make_tchar();
}  // namespace table

// token = 1*tchar
constexpr bool is_tchar(char c) noexcept { return table::kTchar[static_cast<unsigned char>(c)]; }

constexpr bool is_token(std::string_view s) noexcept {
  if (s.empty()) return false;
  for (char c : s) {
    if (!is_tchar(c)) return false;
  }
  return true;
}

// field-content characters: VCHAR, obs-text, SP and HTAB; never CR, LF, NUL or another control.
constexpr bool is_field_char(char c) noexcept {
  auto u = static_cast<unsigned char>(c);
  return u == '\t' || (u >= 0x20 && u != 0x7f);
}

constexpr bool is_field_value(std::string_view s) noexcept {
  for (char c : s) {
    if (!is_field_char(c)) return false;
  }
  return true;
}

// A request-target character: visible ASCII or obs-text (no space, no control).
constexpr bool is_target_char(char c) noexcept {
  auto u = static_cast<unsigned char>(c);
  return u > 0x20 && u != 0x7f;
}

constexpr bool is_ows(char c) noexcept { return c == ' ' || c == '\t'; }
constexpr bool is_digit(char c) noexcept { return c >= '0' && c <= '9'; }

constexpr std::string_view trim_ows(std::string_view s) noexcept {
  while (!s.empty() && is_ows(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_ows(s.back())) s.remove_suffix(1);
  return s;
}

constexpr int hex_value(char c) noexcept {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// 1*DIGIT without sign or spaces, into *out; false on anything else or overflow.
constexpr bool parse_decimal(std::string_view s, std::uint64_t* out) noexcept {
  if (s.empty()) return false;
  std::uint64_t v = 0;
  for (char c : s) {
    if (!is_digit(c)) return false;
    auto d = static_cast<std::uint64_t>(c - '0');
    if (v > (UINT64_MAX - d) / 10) return false;
    v = v * 10 + d;
  }
  *out = v;
  return true;
}

}  // namespace fern::http::syntax
