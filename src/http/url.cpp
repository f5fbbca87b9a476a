// URL parsing and reference resolution for the HTTP client (see include/fern/http/url.hpp).
#include "fern/http/url.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <string>
#include <system_error>

#include "fern/base/error.hpp"

namespace fern::http {
namespace {

char lower(char c) noexcept { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

bool is_hex(char c) noexcept { return (c >= '0' && c <= '9') || (lower(c) >= 'a' && lower(c) <= 'f'); }

bool is_host_char(char c) noexcept {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
         c == '_' || c == '~';
}

// `text` with control bytes shown as '?', so an error message never carries a NUL or a line break.
std::string printable(std::string_view text) {
  std::string out(text);
  for (char& c : out)
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = '?';
  return out;
}

// A fault found while parsing; the message is completed with the URL by the caller.
struct Fault {
  std::string text;
};

// Splits "scheme:rest"; the scheme must be http or https (any case).
std::optional<std::string> take_scheme(std::string_view& text, Fault& fault) {
  std::size_t colon = text.find(':');
  if (colon == std::string_view::npos || colon == 0) {
    fault.text = "no scheme (expected http:// or https://)";
    return std::nullopt;
  }
  std::string scheme;
  for (char c : text.substr(0, colon)) scheme.push_back(lower(c));
  if (scheme != "http" && scheme != "https") {
    fault.text = "unsupported scheme \"" + printable(scheme) + "\" (only http and https)";
    return std::nullopt;
  }
  text.remove_prefix(colon + 1);
  if (text.substr(0, 2) != "//") {
    fault.text = "no \"//\" after the scheme";
    return std::nullopt;
  }
  text.remove_prefix(2);
  return scheme;
}

bool parse_port(std::string_view digits, std::uint16_t default_port, std::uint16_t& port, Fault& fault) {
  if (digits.empty()) {
    port = default_port;
    return true;
  }
  unsigned long value = 0;
  for (char c : digits) {
    if (c < '0' || c > '9') {
      fault.text = "port \"" + printable(digits) + "\" is not a number";
      return false;
    }
    value = value * 10 + static_cast<unsigned>(c - '0');
    if (value > 65535) break;
  }
  if (value == 0 || value > 65535) {
    fault.text = "port " + printable(digits) + " out of range (1..65535)";
    return false;
  }
  port = static_cast<std::uint16_t>(value);
  return true;
}

bool parse_ipv6_host(std::string_view authority, Url& url, std::string_view& port_text, Fault& fault) {
  std::size_t close = authority.find(']');
  if (close == std::string_view::npos) {
    fault.text = "IPv6 literal without a closing ']'";
    return false;
  }
  std::string literal(authority.substr(1, close - 1));
  in6_addr address{};
  if (literal.find('%') != std::string::npos) {
    fault.text = "IPv6 zone identifiers are not supported";
    return false;
  }
  // inet_pton reads a C string: a NUL inside the brackets would end the literal early.
  bool plain =
      std::all_of(literal.begin(), literal.end(), [](char c) { return is_hex(c) || c == ':' || c == '.'; });
  if (!plain || ::inet_pton(AF_INET6, literal.c_str(), &address) != 1) {
    fault.text = "\"" + printable(literal) + "\" is not an IPv6 address";
    return false;
  }
  for (char& c : literal) c = lower(c);
  url.host = std::move(literal);
  std::string_view rest = authority.substr(close + 1);
  if (!rest.empty() && rest.front() != ':') {
    fault.text = "unexpected characters after the IPv6 literal";
    return false;
  }
  port_text = rest.empty() ? rest : rest.substr(1);
  return true;
}

bool parse_authority(std::string_view authority, Url& url, Fault& fault) {
  if (authority.find('@') != std::string_view::npos) {
    fault.text = "user information (\"user@\") is not supported";
    return false;
  }
  std::string_view port_text;
  if (!authority.empty() && authority.front() == '[') {
    if (!parse_ipv6_host(authority, url, port_text, fault)) return false;
  } else {
    std::size_t colon = authority.find(':');
    std::string_view host = authority.substr(0, colon);
    if (colon != std::string_view::npos) port_text = authority.substr(colon + 1);
    if (host.empty()) {
      fault.text = "empty host";
      return false;
    }
    for (char c : host) {
      if (!is_host_char(c)) {
        fault.text = "invalid character in host \"" + printable(host) + "\"";
        return false;
      }
      url.host.push_back(lower(c));
    }
  }
  return parse_port(port_text, Url::default_port(url.scheme), url.port, fault);
}

// The path and query as sent: printable ASCII, valid %XX escapes; the fragment removed.
bool parse_target(std::string_view rest, Url& url, Fault& fault) {
  rest = rest.substr(0, rest.find('#'));
  for (std::size_t i = 0; i < rest.size(); ++i) {
    auto c = static_cast<unsigned char>(rest[i]);
    if (c <= 0x20 || c >= 0x7f) {
      fault.text = "space, control or non-ASCII byte at position " + std::to_string(i) + " of the path";
      return false;
    }
    if (c == '%' && (i + 2 >= rest.size() || !is_hex(rest[i + 1]) || !is_hex(rest[i + 2]))) {
      fault.text = "'%' not followed by two hex digits in the path";
      return false;
    }
  }
  if (rest.empty() || rest.front() == '?') url.target = "/";
  url.target.append(rest);
  return true;
}

std::optional<Url> parse(std::string_view text, Fault& fault) {
  Url url;
  std::string_view rest = text;
  auto scheme = take_scheme(rest, fault);
  if (!scheme) return std::nullopt;
  url.scheme = std::move(*scheme);
  std::size_t end = rest.find_first_of("/?#");
  if (!parse_authority(rest.substr(0, end), url, fault)) return std::nullopt;
  if (end != std::string_view::npos && !parse_target(rest.substr(end), url, fault)) return std::nullopt;
  if (url.target.empty()) url.target = "/";
  return url;
}

[[noreturn]] void throw_invalid(std::string_view text, const Fault& fault) {
  std::string shown = printable(text.substr(0, 200));
  std::string message = "invalid URL \"" + shown + (text.size() > 200 ? "...\": " : "\": ") + fault.text;
  throw std::system_error(make_error_code(Errc::invalid_argument), message);
}

// RFC 3986 section 5.2.4.
std::string remove_dot_segments(std::string_view path) {
  std::string out;
  while (!path.empty()) {
    if (path.starts_with("../")) {
      path.remove_prefix(3);
    } else if (path.starts_with("./")) {
      path.remove_prefix(2);
    } else if (path.starts_with("/./")) {
      path.remove_prefix(2);
    } else if (path == "/.") {
      path = "/";
    } else if (path.starts_with("/../") || path == "/..") {
      path = path.size() == 3 ? std::string_view("/") : path.substr(3);
      std::size_t last = out.rfind('/');
      out.erase(last == std::string::npos ? 0 : last);
    } else if (path == "." || path == "..") {
      path = {};
    } else {
      std::size_t next = path.find('/', 1);
      out.append(path.substr(0, next));
      path = next == std::string_view::npos ? std::string_view() : path.substr(next);
    }
  }
  return out;
}

}  // namespace

std::string Url::authority() const {
  std::string out = is_ipv6() ? "[" + host + "]" : host;
  if (!has_default_port()) out += ":" + std::to_string(port);
  return out;
}

std::string Url::origin() const { return scheme + "://" + authority(); }

std::string Url::to_string() const { return origin() + target; }

std::optional<Url> try_parse_url(std::string_view text, std::string* why) {
  Fault fault;
  auto url = parse(text, fault);
  if (!url && why != nullptr) *why = std::move(fault.text);
  return url;
}

Url parse_url(std::string_view text) {
  Fault fault;
  auto url = parse(text, fault);
  if (!url) throw_invalid(text, fault);
  return std::move(*url);
}

Url resolve_url(const Url& base, std::string_view reference) {
  reference = reference.substr(0, reference.find('#'));
  std::size_t colon = reference.find(':');
  bool has_scheme = colon != std::string_view::npos && colon > 0 && reference.find_first_of("/?") > colon;
  if (has_scheme) return parse_url(reference);
  if (reference.starts_with("//")) return parse_url(base.scheme + ":" + std::string(reference));
  std::string base_path = base.target.substr(0, base.target.find('?'));
  std::string target;
  if (reference.empty()) {
    target = base.target;
  } else if (reference.front() == '?') {
    target = base_path + std::string(reference);
  } else {
    std::size_t query = reference.find('?');
    std::string_view path = reference.substr(0, query);
    std::string merged = path.front() == '/'
                             ? std::string(path)
                             : base_path.substr(0, base_path.rfind('/') + 1) + std::string(path);
    target = remove_dot_segments(merged);
    if (target.empty() || target.front() != '/') target.insert(0, "/");
    if (query != std::string_view::npos) target.append(reference.substr(query));
  }
  return parse_url(base.origin() + target);
}

}  // namespace fern::http
