// BasicProperties: the 14 properties of a basic-class content header (a published or delivered
// message's metadata), each optional, and the content header frame's payload they travel in:
// class id, weight, body size, a 16-bit presence mask, then the present properties in order.
// Pure data and encoding; nothing here blocks.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>

#include "fern/clients/amqp/proto/field_table.hpp"

namespace fern::amqp {

struct BasicProperties {
  std::optional<std::string> content_type{};      // "application/json"
  std::optional<std::string> content_encoding{};  // "gzip"
  std::optional<FieldTable> headers{};            // application headers (headers exchanges match these)
  std::optional<std::uint8_t> delivery_mode{};    // 1 transient, 2 persistent
  std::optional<std::uint8_t> priority{};         // 0..9 on a queue declared with x-max-priority
  std::optional<std::string> correlation_id{};
  std::optional<std::string> reply_to{};
  std::optional<std::string> expiration{};  // per-message TTL in milliseconds, as text ("60000")
  std::optional<std::string> message_id{};
  std::optional<std::uint64_t> timestamp{};  // seconds since the Unix epoch
  std::optional<std::string> type{};
  std::optional<std::string> user_id{};  // checked by RabbitMQ against the connection's user
  std::optional<std::string> app_id{};
  std::optional<std::string> cluster_id{};  // deprecated in 0-9-1, kept for round trips

  bool persistent() const noexcept { return delivery_mode && *delivery_mode == 2; }
  friend bool operator==(const BasicProperties&, const BasicProperties&) = default;
};

// The payload of a content header frame.
struct ContentHeader {
  std::uint16_t class_id = 60;  // basic
  std::uint16_t weight = 0;     // always 0
  std::uint64_t body_size = 0;
  BasicProperties properties;
  friend bool operator==(const ContentHeader&, const ContentHeader&) = default;
};

// Appends the property flags and the present properties (the tail of a content header payload).
void encode_basic_properties(std::string& out, const BasicProperties& properties);
// Appends a content header payload (not the frame around it) to `out`. Throws
// std::system_error(Errc::invalid_argument) for a short string property longer than 255 bytes.
void encode_content_header(std::string& out, const ContentHeader& header);
// Decodes a whole content header payload; malformed or trailing bytes set `ec`
// (Errc::protocol_error).
void decode_content_header(std::string_view payload, ContentHeader& out, std::error_code& ec);

}  // namespace fern::amqp
