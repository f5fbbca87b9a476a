// Reply: one complete RESP2/RESP3 reply from a Redis server, as an owning value type, and ReplyView, a
// cheap non-owning handle to one node (the root or any nested element) of a Reply. Nothing here
// blocks or does I/O; replies come from ReplyParser.
//
// Implementation: a reply is stored flat. The root node lives inside the Reply; every nested node
// lives in one vector in which the children of each aggregate are contiguous, so `view[i]` is O(1);
// all string bytes live in one arena string. A reply therefore costs at most two allocations however
// many elements it has, and none for a scalar whose text fits the small-string buffer. Views point
// into their Reply: they stay valid while the Reply lives and is not moved or assigned to.
#pragma once

#include <cstddef>
#include <cstdint>
#include <iosfwd>
#include <iterator>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace fern::redis {

// What a reply is. RESP2 has the first five (plus arrays); the rest are RESP3 (`HELLO 3`).
enum class Kind : std::uint8_t {
  simple_string,    // +OK
  error,            // -ERR ... or the RESP3 blob error !<len>
  integer,          // :42
  bulk_string,      // $<len> (binary safe)
  array,            // *<n>
  nil,              // $-1 or *-1 (RESP2), _ (RESP3)
  double_,          // ,3.14 (also inf, -inf, nan)
  boolean,          // #t / #f
  big_number,       // (12345678901234567890 (kept as its decimal text)
  verbatim_string,  // =<len> "txt:..." (a bulk string with a 3-byte format)
  map,              // %<n> key/value pairs
  set,              // ~<n>
  push,             // ><n> out-of-band data (pub/sub, client tracking)
  attribute,        // |<n> key/value metadata annotating the reply that follows it
};

// The name of a kind ("bulk_string"), for messages.
std::string_view kind_name(Kind kind) noexcept;

namespace detail {

// One node of a stored reply. Text spans index the reply's arena; aggregates index its node vector.
struct ReplyNode {
  static constexpr std::uint32_t none = std::numeric_limits<std::uint32_t>::max();
  struct Span {
    std::uint64_t begin;  // text: byte offset in the arena; aggregate: index of the first child
    std::uint64_t size;   // text: byte length; aggregate: number of children (a map's: 2 * pairs)
  };
  union Payload {
    Span span{0, 0};
    std::int64_t integer;
    double real;
    bool boolean;
  };

  Kind kind = Kind::nil;
  std::uint32_t attribute = none;  // index of the attribute node annotating this one, if any
  Payload payload;
};

struct ReplyStorage {
  std::vector<ReplyNode> nodes;  // every node but the root
  std::string bytes;             // every string's bytes, back to back
};

}  // namespace detail

class ReplyView;

// The children of an aggregate, in order, as views. Random access; a map's children alternate key,
// value.
class ReplyElements {
 public:
  ReplyElements() = default;  // empty

  class iterator {
   public:
    using iterator_concept = std::forward_iterator_tag;
    using value_type = ReplyView;
    using difference_type = std::ptrdiff_t;
    iterator() = default;
    ReplyView operator*() const;
    iterator& operator++() noexcept {
      ++index_;
      return *this;
    }
    iterator operator++(int) noexcept {
      iterator old = *this;
      ++index_;
      return old;
    }
    bool operator==(const iterator& other) const noexcept { return index_ == other.index_; }

   private:
    friend class ReplyElements;
    iterator(const detail::ReplyStorage* storage, std::uint64_t index) : storage_(storage), index_(index) {}
    const detail::ReplyStorage* storage_ = nullptr;
    std::uint64_t index_ = 0;
  };

  std::size_t size() const noexcept { return static_cast<std::size_t>(size_); }
  bool empty() const noexcept { return size_ == 0; }
  iterator begin() const noexcept { return {storage_, first_}; }
  iterator end() const noexcept { return {storage_, first_ + size_}; }
  // Element i; throws std::system_error (fern::Errc::invalid_argument) when i is out of range.
  ReplyView operator[](std::size_t i) const;

 private:
  friend class ReplyView;
  ReplyElements(const detail::ReplyStorage* storage, std::uint64_t first, std::uint64_t size)
      : storage_(storage), first_(first), size_(size) {}
  const detail::ReplyStorage* storage_ = nullptr;
  std::uint64_t first_ = 0;
  std::uint64_t size_ = 0;
};

// The key/value pairs of a map or an attribute.
class ReplyEntries {
 public:
  class iterator {
   public:
    using iterator_concept = std::forward_iterator_tag;
    using value_type = std::pair<ReplyView, ReplyView>;
    using difference_type = std::ptrdiff_t;
    iterator() = default;
    std::pair<ReplyView, ReplyView> operator*() const;
    iterator& operator++() noexcept {
      ++pair_;
      return *this;
    }
    iterator operator++(int) noexcept {
      iterator old = *this;
      ++pair_;
      return old;
    }
    bool operator==(const iterator& other) const noexcept { return pair_ == other.pair_; }

   private:
    friend class ReplyEntries;
    iterator(ReplyElements elements, std::size_t pair) : elements_(elements), pair_(pair) {}
    ReplyElements elements_;
    std::size_t pair_ = 0;
  };

  std::size_t size() const noexcept { return elements_.size() / 2; }
  bool empty() const noexcept { return elements_.empty(); }
  iterator begin() const noexcept { return {elements_, 0}; }
  iterator end() const noexcept { return {elements_, size()}; }

 private:
  friend class ReplyView;
  explicit ReplyEntries(ReplyElements elements) : elements_(elements) {}
  ReplyElements elements_;
};

// A non-owning handle to one node of a Reply. The accessors throw std::system_error with
// fern::Errc::invalid_argument when asked for something the node is not (as_integer() on a string).
class ReplyView {
 public:
  Kind kind() const noexcept { return node_->kind; }
  bool is_nil() const noexcept { return kind() == Kind::nil; }
  bool is_error() const noexcept { return kind() == Kind::error; }
  // simple_string, bulk_string or verbatim_string: the kinds a client reads as "the value".
  bool is_string() const noexcept;
  // array, map, set or push.
  bool is_aggregate() const noexcept;

  // The text of a simple, bulk or verbatim string (without the verbatim format), an error's message or
  // a big number's digits.
  std::string_view as_string() const;
  std::int64_t as_integer() const;
  double as_double() const;
  bool as_boolean() const;
  // The 3-byte format of a verbatim string ("txt", "mkd").
  std::string_view verbatim_format() const;

  // The children of an array, set, push, map (keys and values alternating) or attribute.
  ReplyElements elements() const;
  // The pairs of a map or attribute.
  ReplyEntries entries() const;
  // elements()[i].
  ReplyView operator[](std::size_t i) const { return elements()[i]; }
  // The value of a map or attribute whose key is a string, integer or big number spelled `key`;
  // a linear scan. nullopt when no key matches.
  std::optional<ReplyView> find(std::string_view key) const;
  // The RESP3 attribute sent just before this reply, if any (a view of kind attribute).
  std::optional<ReplyView> attribute() const;

  // A one-line rendering for logs and test failures: simple strings print as +"OK", bulk strings as
  // "...", verbatim strings as txt:"...", errors as -"ERR ...", doubles always with a point, exponent,
  // inf or nan (3.0), big numbers as 123n, arrays as [...], sets as ~[...], pushes as >[...], maps as
  // {k: v}, and an attribute as |{k: v}| before the value it annotates.
  std::string to_string() const;

  // Structural equality: same kinds, values, children and attributes.
  friend bool operator==(const ReplyView& a, const ReplyView& b);

 protected:
  ReplyView(const detail::ReplyStorage* storage, const detail::ReplyNode* node) noexcept
      : storage_(storage), node_(node) {}

 private:
  friend class ReplyElements;
  std::string_view text() const noexcept;
  void expect(Kind kind, const char* accessor) const;
  [[noreturn]] void wrong_kind(const char* accessor) const;

  const detail::ReplyStorage* storage_;
  const detail::ReplyNode* node_;
};

std::ostream& operator<<(std::ostream& out, const ReplyView& reply);

// An owning reply: a value type (copyable, movable) that is also a view of its own root. A
// default-constructed Reply is nil.
class Reply : public ReplyView {
 public:
  Reply() noexcept : ReplyView(&storage_, &root_) {}
  Reply(const Reply& other) : ReplyView(&storage_, &root_), root_(other.root_), storage_(other.storage_) {}
  // A moved-from Reply is nil.
  Reply(Reply&& other) noexcept
      : ReplyView(&storage_, &root_),
        root_(std::exchange(other.root_, {})),
        storage_(std::move(other.storage_)) {}
  Reply& operator=(const Reply& other) {
    if (this != &other) {
      root_ = other.root_;
      storage_ = other.storage_;
    }
    return *this;
  }
  Reply& operator=(Reply&& other) noexcept {
    if (this != &other) {
      root_ = std::exchange(other.root_, {});
      storage_ = std::move(other.storage_);
    }
    return *this;
  }
  ~Reply() = default;

  // as_string() as an owned string, moving the reply's byte arena out instead of copying it when
  // the string is all the reply holds (a plain GET's bulk string); the reply is nil afterwards.
  // Throws like as_string() on a reply without text.
  std::string take_string() &&;

 private:
  friend class ReplyParser;
  Reply(detail::ReplyNode root, detail::ReplyStorage storage) noexcept
      : ReplyView(&storage_, &root_), root_(root), storage_(std::move(storage)) {}

  detail::ReplyNode root_;
  detail::ReplyStorage storage_;
};

}  // namespace fern::redis
