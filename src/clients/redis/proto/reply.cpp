#include "fern/clients/redis/proto/reply.hpp"

#include <charconv>
#include <cmath>
#include <ostream>
#include <string>

#include "fern/base/error.hpp"

namespace fern::redis {

std::string_view kind_name(Kind kind) noexcept {
  switch (kind) {
    case Kind::simple_string: return "simple_string";
    case Kind::error: return "error";
    case Kind::integer: return "integer";
    case Kind::bulk_string: return "bulk_string";
    case Kind::array: return "array";
    case Kind::nil: return "nil";
    case Kind::double_: return "double";
    case Kind::boolean: return "boolean";
    case Kind::big_number: return "big_number";
    case Kind::verbatim_string: return "verbatim_string";
    case Kind::map: return "map";
    case Kind::set: return "set";
    case Kind::push: return "push";
    case Kind::attribute: return "attribute";
  }
  return "unknown";
}

namespace {

bool has_text(Kind kind) noexcept {
  switch (kind) {
    case Kind::simple_string:
    case Kind::error:
    case Kind::bulk_string:
    case Kind::big_number:
    case Kind::verbatim_string: return true;
    default: return false;
  }
}

bool has_children(Kind kind) noexcept {
  switch (kind) {
    case Kind::array:
    case Kind::map:
    case Kind::set:
    case Kind::push:
    case Kind::attribute: return true;
    default: return false;
  }
}

// Verbatim strings carry "fmt:" before their text.
constexpr std::size_t kVerbatimPrefix = 4;

}  // namespace

ReplyView ReplyElements::iterator::operator*() const {
  return ReplyView(storage_, &storage_->nodes[static_cast<std::size_t>(index_)]);
}

ReplyView ReplyElements::operator[](std::size_t i) const {
  if (i >= size_) {
    throw_error(Errc::invalid_argument, ("redis reply: element " + std::to_string(i) + " of " +
                                         std::to_string(size_) + " is out of range")
                                            .c_str());
  }
  return ReplyView(storage_, &storage_->nodes[static_cast<std::size_t>(first_ + i)]);
}

std::pair<ReplyView, ReplyView> ReplyEntries::iterator::operator*() const {
  return {elements_[2 * pair_], elements_[2 * pair_ + 1]};
}

bool ReplyView::is_string() const noexcept {
  Kind k = kind();
  return k == Kind::simple_string || k == Kind::bulk_string || k == Kind::verbatim_string;
}

bool ReplyView::is_aggregate() const noexcept {
  Kind k = kind();
  return k == Kind::array || k == Kind::map || k == Kind::set || k == Kind::push;
}

std::string_view ReplyView::text() const noexcept {
  const auto& span = node_->payload.span;
  return std::string_view(storage_->bytes)
      .substr(static_cast<std::size_t>(span.begin), static_cast<std::size_t>(span.size));
}

void ReplyView::wrong_kind(const char* accessor) const {
  std::string what = std::string("redis reply: ") + accessor + " called on a reply of kind " +
                     std::string(kind_name(kind()));
  throw_error(Errc::invalid_argument, what.c_str());
}

void ReplyView::expect(Kind kind, const char* accessor) const {
  if (this->kind() != kind) wrong_kind(accessor);
}

std::string_view ReplyView::as_string() const {
  if (!has_text(kind())) wrong_kind("as_string()");
  std::string_view t = text();
  return kind() == Kind::verbatim_string ? t.substr(kVerbatimPrefix) : t;
}

std::string Reply::take_string() && {
  std::string_view t = as_string();
  const auto& span = root_.payload.span;
  std::string out;
  if (kind() != Kind::verbatim_string && root_.attribute == detail::ReplyNode::none && span.begin == 0 &&
      span.size == storage_.bytes.size()) {
    out = std::move(storage_.bytes);
  } else {
    out.assign(t);
  }
  root_ = {};
  storage_ = {};
  return out;
}

std::int64_t ReplyView::as_integer() const {
  expect(Kind::integer, "as_integer()");
  return node_->payload.integer;
}

double ReplyView::as_double() const {
  expect(Kind::double_, "as_double()");
  return node_->payload.real;
}

bool ReplyView::as_boolean() const {
  expect(Kind::boolean, "as_boolean()");
  return node_->payload.boolean;
}

std::string_view ReplyView::verbatim_format() const {
  expect(Kind::verbatim_string, "verbatim_format()");
  return text().substr(0, kVerbatimPrefix - 1);
}

ReplyElements ReplyView::elements() const {
  if (!has_children(kind())) wrong_kind("elements()");
  return ReplyElements(storage_, node_->payload.span.begin, node_->payload.span.size);
}

ReplyEntries ReplyView::entries() const {
  if (kind() != Kind::map && kind() != Kind::attribute) wrong_kind("entries()");
  return ReplyEntries(elements());
}

std::optional<ReplyView> ReplyView::find(std::string_view key) const {
  for (auto [k, v] : entries()) {
    if (has_text(k.kind()) && k.as_string() == key) return v;
    if (k.kind() == Kind::integer) {
      char digits[24];
      auto [end, ec] = std::to_chars(digits, digits + sizeof digits, k.as_integer());
      std::string_view text(digits, static_cast<std::size_t>(end - digits));
      if (ec == std::errc() && text == key) return v;
    }
  }
  return std::nullopt;
}

std::optional<ReplyView> ReplyView::attribute() const {
  if (node_->attribute == detail::ReplyNode::none) return std::nullopt;
  return ReplyView(storage_, &storage_->nodes[node_->attribute]);
}

// --- equality ------------------------------------------------------------------------------------

namespace {

bool same_scalar(const ReplyView& a, const ReplyView& b) {
  switch (a.kind()) {
    case Kind::integer: return a.as_integer() == b.as_integer();
    case Kind::boolean: return a.as_boolean() == b.as_boolean();
    case Kind::double_: {
      double x = a.as_double(), y = b.as_double();
      return x == y || (std::isnan(x) && std::isnan(y));
    }
    case Kind::verbatim_string:
      return a.verbatim_format() == b.verbatim_format() && a.as_string() == b.as_string();
    case Kind::nil: return true;
    default: return a.as_string() == b.as_string();
  }
}

}  // namespace

// Iterative, so a deeply nested reply cannot exhaust the stack.
bool operator==(const ReplyView& a, const ReplyView& b) {
  std::vector<std::pair<ReplyView, ReplyView>> pending{{a, b}};
  while (!pending.empty()) {
    auto [x, y] = pending.back();
    pending.pop_back();
    if (x.kind() != y.kind()) return false;
    auto xa = x.attribute(), ya = y.attribute();
    if (xa.has_value() != ya.has_value()) return false;
    if (xa) pending.emplace_back(*xa, *ya);
    if (!has_children(x.kind())) {
      if (!same_scalar(x, y)) return false;
      continue;
    }
    ReplyElements xs = x.elements(), ys = y.elements();
    if (xs.size() != ys.size()) return false;
    for (std::size_t i = 0; i < xs.size(); ++i) pending.emplace_back(xs[i], ys[i]);
  }
  return true;
}

// --- printing ------------------------------------------------------------------------------------

namespace {

void append_quoted(std::string& out, std::string_view text) {
  static constexpr char kHex[] = "0123456789abcdef";
  out += '"';
  for (char c : text) {
    auto u = static_cast<unsigned char>(c);
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\r': out += "\\r"; break;
      case '\n': out += "\\n"; break;
      case '\t': out += "\\t"; break;
      default:
        if (u < 0x20 || u >= 0x7f) {
          out += "\\x";
          out += kHex[u >> 4];
          out += kHex[u & 0xf];
        } else {
          out += c;
        }
    }
  }
  out += '"';
}

void append_double(std::string& out, double value) {
  char digits[32];
  auto [end, ec] = std::to_chars(digits, digits + sizeof digits, value);
  std::string_view text(digits, ec == std::errc() ? static_cast<std::size_t>(end - digits) : 0);
  out += text;
  // Keep a double recognisable as one: "3" would read as an integer.
  if (text.find_first_of(".eEn") == std::string_view::npos) out += ".0";
}

void append_scalar(std::string& out, const ReplyView& reply) {
  switch (reply.kind()) {
    case Kind::simple_string:
      out += '+';
      append_quoted(out, reply.as_string());
      break;
    case Kind::error:
      out += '-';
      append_quoted(out, reply.as_string());
      break;
    case Kind::bulk_string: append_quoted(out, reply.as_string()); break;
    case Kind::verbatim_string:
      out += reply.verbatim_format();
      out += ':';
      append_quoted(out, reply.as_string());
      break;
    case Kind::integer: out += std::to_string(reply.as_integer()); break;
    case Kind::double_: append_double(out, reply.as_double()); break;
    case Kind::boolean: out += reply.as_boolean() ? "true" : "false"; break;
    case Kind::big_number:
      out += reply.as_string();
      out += 'n';
      break;
    default: out += "nil"; break;
  }
}

std::pair<const char*, const char*> brackets(Kind kind) {
  switch (kind) {
    case Kind::set: return {"~[", "]"};
    case Kind::push: return {">[", "]"};
    case Kind::map:
    case Kind::attribute: return {"{", "}"};
    default: return {"[", "]"};
  }
}

// Printing is iterative, like everything else that walks a reply: a deep reply printed on a
// greenlet's small stack must not overflow it. Tasks run last in, first out.
struct PrintTask {
  enum Type { node, bare_node, children, text } type;
  ReplyView view;
  std::size_t index = 0;
  const char* literal = "";
};

void print(std::string& out, const ReplyView& root) {
  std::vector<PrintTask> tasks{{PrintTask::node, root}};
  while (!tasks.empty()) {
    PrintTask task = tasks.back();
    tasks.pop_back();
    switch (task.type) {
      case PrintTask::node:
        if (auto attribute = task.view.attribute()) {
          out += "|{";
          tasks.push_back({PrintTask::bare_node, task.view});
          tasks.push_back({PrintTask::text, task.view, 0, "}| "});
          tasks.push_back({PrintTask::children, *attribute});
          break;
        }
        [[fallthrough]];
      case PrintTask::bare_node:
        if (!has_children(task.view.kind())) {
          append_scalar(out, task.view);
          break;
        }
        out += brackets(task.view.kind()).first;
        tasks.push_back({PrintTask::text, task.view, 0, brackets(task.view.kind()).second});
        tasks.push_back({PrintTask::children, task.view});
        break;
      case PrintTask::children: {
        ReplyElements elements = task.view.elements();
        if (task.index == elements.size()) break;
        if (task.index > 0) {
          bool is_map = task.view.kind() == Kind::map || task.view.kind() == Kind::attribute;
          out += is_map && task.index % 2 == 1 ? ": " : ", ";
        }
        tasks.push_back({PrintTask::children, task.view, task.index + 1});
        tasks.push_back({PrintTask::node, elements[task.index]});
        break;
      }
      case PrintTask::text: out += task.literal; break;
    }
  }
}

}  // namespace

std::string ReplyView::to_string() const {
  std::string out;
  print(out, *this);
  return out;
}

std::ostream& operator<<(std::ostream& out, const ReplyView& reply) { return out << reply.to_string(); }

}  // namespace fern::redis
