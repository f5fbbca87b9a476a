#include "fern/http/router.hpp"

#include <stdexcept>

#include "fern/http/request_error.hpp"

namespace fern::http {

namespace {

int hex_value(char c) noexcept {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// %XX decoded; a malformed escape is a client error.
std::string percent_decoded(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '%') {
      out += text[i];
      continue;
    }
    int high = i + 2 < text.size() ? hex_value(text[i + 1]) : -1;
    int low = high >= 0 ? hex_value(text[i + 2]) : -1;
    if (low < 0) throw RequestError(400, "malformed percent escape in the path");
    out += static_cast<char>(high * 16 + low);
    i += 2;
  }
  return out;
}

// The path's segments between slashes ("/a/b" -> "a", "b"; "/" -> one empty segment).
std::vector<std::string_view> split_path(std::string_view path) {
  std::vector<std::string_view> parts;
  if (!path.empty() && path.front() == '/') path.remove_prefix(1);
  for (;;) {
    std::size_t slash = path.find('/');
    parts.push_back(path.substr(0, slash));
    if (slash == std::string_view::npos) return parts;
    path.remove_prefix(slash + 1);
  }
}

}  // namespace

std::optional<std::string_view> RouteParams::get(std::string_view name) const noexcept {
  for (const auto& [key, value] : values_) {
    if (key == name) return value;
  }
  return std::nullopt;
}

std::string_view RouteParams::operator[](std::string_view name) const {
  if (auto v = get(name)) return *v;
  throw std::out_of_range("fern: no route capture named '" + std::string(name) + "'");
}

Router& Router::add(std::string_view method, std::string_view pattern, RouteHandler handler) {
  if (pattern.empty() || pattern.front() != '/')
    throw std::invalid_argument("fern: a route pattern starts with '/'");
  Route route{std::string(method), {}, std::move(handler)};
  std::vector<std::string_view> parts = split_path(pattern);
  for (std::size_t i = 0; i < parts.size(); ++i) {
    std::string_view p = parts[i];
    Segment s;
    if (p.size() >= 2 && p.front() == '{' && p.back() == '}') {
      p = p.substr(1, p.size() - 2);
      s.capture = true;
      if (p.size() > 3 && p.substr(p.size() - 3) == "...") {
        if (i + 1 != parts.size()) throw std::invalid_argument("fern: a {name...} capture must come last");
        s.rest = true;
        p.remove_suffix(3);
      }
    } else if (p.find_first_of("{}") != std::string_view::npos) {
      throw std::invalid_argument("fern: a route capture must be a whole segment: " + std::string(pattern));
    }
    s.text = std::string(p);
    route.segments.push_back(std::move(s));
  }
  routes_.push_back(std::move(route));
  return *this;
}

bool Router::match(const Route& route, std::string_view path, RouteParams& params) {
  std::vector<std::string_view> parts = split_path(path);
  std::size_t i = 0;
  for (const Segment& s : route.segments) {
    if (s.rest) {
      std::string rest;
      for (std::size_t j = i; j < parts.size(); ++j) rest += (j > i ? "/" : "") + std::string(parts[j]);
      params.add(s.text, percent_decoded(rest));
      return true;
    }
    if (i >= parts.size()) return false;
    if (s.capture) {
      if (parts[i].empty()) return false;
      params.add(s.text, percent_decoded(parts[i]));
    } else if (parts[i] != s.text) {
      return false;
    }
    ++i;
  }
  return i == parts.size();
}

ServerResponse Router::operator()(ServerRequest& request) const {
  const std::string_view method = request.method();
  std::string allowed;
  const Route* get_route = nullptr;
  RouteParams get_params;
  for (const Route& route : routes_) {
    RouteParams params;
    if (!match(route, request.path(), params)) continue;
    if (route.method == method) return route.handler(request, params);
    if (method == "HEAD" && route.method == "GET" && !get_route) {
      get_route = &route;
      get_params = std::move(params);
    }
    if (allowed.find(route.method) == std::string::npos)
      allowed += (allowed.empty() ? "" : ", ") + route.method;
  }
  if (get_route) return get_route->handler(request, get_params);
  if (allowed.empty()) throw RequestError(404, "not found");
  ServerResponse response = ServerResponse::text("method not allowed", 405);
  response.headers.emplace_back("Allow", allowed);
  return response;
}

}  // namespace fern::http
