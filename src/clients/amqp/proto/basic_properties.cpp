#include "fern/clients/amqp/proto/basic_properties.hpp"

#include "fern/base/error.hpp"
#include "wire.hpp"

namespace fern::amqp {
namespace {

// Presence bits of the property flags word, most significant first, in wire order.
enum : std::uint16_t {
  kContentType = 1u << 15,
  kContentEncoding = 1u << 14,
  kHeaders = 1u << 13,
  kDeliveryMode = 1u << 12,
  kPriority = 1u << 11,
  kCorrelationId = 1u << 10,
  kReplyTo = 1u << 9,
  kExpiration = 1u << 8,
  kMessageId = 1u << 7,
  kTimestamp = 1u << 6,
  kType = 1u << 5,
  kUserId = 1u << 4,
  kAppId = 1u << 3,
  kClusterId = 1u << 2,
  kContinuation = 1u << 0,  // another flags word follows: never used by the basic class
};

std::uint16_t flags_of(const BasicProperties& p) {
  std::uint16_t f = 0;
  if (p.content_type) f |= kContentType;
  if (p.content_encoding) f |= kContentEncoding;
  if (p.headers) f |= kHeaders;
  if (p.delivery_mode) f |= kDeliveryMode;
  if (p.priority) f |= kPriority;
  if (p.correlation_id) f |= kCorrelationId;
  if (p.reply_to) f |= kReplyTo;
  if (p.expiration) f |= kExpiration;
  if (p.message_id) f |= kMessageId;
  if (p.timestamp) f |= kTimestamp;
  if (p.type) f |= kType;
  if (p.user_id) f |= kUserId;
  if (p.app_id) f |= kAppId;
  if (p.cluster_id) f |= kClusterId;
  return f;
}

void put_opt(std::string& out, const std::optional<std::string>& s) {
  if (s) wire::put_shortstr(out, *s);
}

void get_opt(wire::WireReader& r, std::uint16_t flags, std::uint16_t bit, std::optional<std::string>& s) {
  if (flags & bit) s.emplace(r.shortstr());
}

}  // namespace

void encode_content_header(std::string& out, const ContentHeader& header) {
  wire::put_u16(out, header.class_id);
  wire::put_u16(out, header.weight);
  wire::put_u64(out, header.body_size);
  encode_basic_properties(out, header.properties);
}

void encode_basic_properties(std::string& out, const BasicProperties& p) {
  wire::put_u16(out, flags_of(p));
  put_opt(out, p.content_type);
  put_opt(out, p.content_encoding);
  if (p.headers) encode_field_table(out, *p.headers);
  if (p.delivery_mode) wire::put_u8(out, *p.delivery_mode);
  if (p.priority) wire::put_u8(out, *p.priority);
  put_opt(out, p.correlation_id);
  put_opt(out, p.reply_to);
  put_opt(out, p.expiration);
  put_opt(out, p.message_id);
  if (p.timestamp) wire::put_u64(out, *p.timestamp);
  put_opt(out, p.type);
  put_opt(out, p.user_id);
  put_opt(out, p.app_id);
  put_opt(out, p.cluster_id);
}

void decode_content_header(std::string_view payload, ContentHeader& out, std::error_code& ec) {
  wire::WireReader r(payload);
  out.class_id = r.u16();
  out.weight = r.u16();
  out.body_size = r.u64();
  const std::uint16_t flags = r.u16();
  BasicProperties& p = out.properties;
  p = BasicProperties{};
  if (r.failed() || (flags & kContinuation) || (flags & 0x0002)) {
    ec = make_error_code(Errc::protocol_error);
    return;
  }
  get_opt(r, flags, kContentType, p.content_type);
  get_opt(r, flags, kContentEncoding, p.content_encoding);
  if (flags & kHeaders) {
    if (r.failed()) {
      ec = make_error_code(Errc::protocol_error);
      return;
    }
    std::string_view rest = r.rest();
    FieldTable t;
    decode_field_table(rest, t, ec);
    if (ec) return;
    r = wire::WireReader(rest);
    p.headers.emplace(std::move(t));
  }
  if (flags & kDeliveryMode) p.delivery_mode = r.u8();
  if (flags & kPriority) p.priority = r.u8();
  get_opt(r, flags, kCorrelationId, p.correlation_id);
  get_opt(r, flags, kReplyTo, p.reply_to);
  get_opt(r, flags, kExpiration, p.expiration);
  get_opt(r, flags, kMessageId, p.message_id);
  if (flags & kTimestamp) p.timestamp = r.u64();
  get_opt(r, flags, kType, p.type);
  get_opt(r, flags, kUserId, p.user_id);
  get_opt(r, flags, kAppId, p.app_id);
  get_opt(r, flags, kClusterId, p.cluster_id);
  if (r.failed() || !r.at_end()) ec = make_error_code(Errc::protocol_error);
}

}  // namespace fern::amqp
