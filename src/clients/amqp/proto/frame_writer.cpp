#include "fern/clients/amqp/proto/frame_writer.hpp"

#include <algorithm>

#include "wire.hpp"

namespace fern::amqp {

std::size_t begin_frame(std::string& out, FrameType type, std::uint16_t channel) {
  const std::size_t at = out.size();
  wire::put_u8(out, static_cast<std::uint8_t>(type));
  wire::put_u16(out, channel);
  wire::put_u32(out, 0);
  return at;
}

void end_frame(std::string& out, std::size_t at) {
  wire::patch_u32(out, at + 3, static_cast<std::uint32_t>(out.size() - at - kFrameHeaderSize));
  out.push_back(static_cast<char>(kFrameEnd));
}

void append_frame(std::string& out, FrameType type, std::uint16_t channel, std::string_view payload) {
  wire::put_u8(out, static_cast<std::uint8_t>(type));
  wire::put_u16(out, channel);
  wire::put_u32(out, static_cast<std::uint32_t>(payload.size()));
  out.append(payload);
  out.push_back(static_cast<char>(kFrameEnd));
}

void append_method_frame(std::string& out, std::uint16_t channel, const Method& method) {
  const std::size_t at = begin_frame(out, FrameType::method, channel);
  try {
    encode_method(out, method);
  } catch (...) {
    out.resize(at);
    throw;
  }
  end_frame(out, at);
}

void append_heartbeat(std::string& out) { append_frame(out, FrameType::heartbeat, 0, {}); }

void append_content(std::string& out, std::uint16_t channel, const BasicProperties& properties,
                    std::string_view body, std::uint32_t frame_max) {
  const std::size_t at = begin_frame(out, FrameType::header, channel);
  wire::put_u16(out, 60);  // basic
  wire::put_u16(out, 0);   // weight
  wire::put_u64(out, body.size());
  encode_basic_properties(out, properties);
  end_frame(out, at);
  const std::size_t chunk = frame_max == 0 ? body.size() : frame_max - kFrameOverhead;
  while (!body.empty()) {
    const std::size_t n = std::min(chunk, body.size());
    append_frame(out, FrameType::body, channel, body.substr(0, n));
    body.remove_prefix(n);
  }
}

void append_publish(std::string& out, std::uint16_t channel, std::string_view exchange,
                    std::string_view routing_key, bool mandatory, const BasicProperties& properties,
                    std::string_view body, std::uint32_t frame_max) {
  const std::size_t start = out.size();
  try {
    const std::size_t at = begin_frame(out, FrameType::method, channel);
    wire::put_u16(out, methods::BasicPublish::kClassId);
    wire::put_u16(out, methods::BasicPublish::kMethodId);
    wire::put_u16(out, 0);  // ticket
    wire::put_shortstr(out, exchange);
    wire::put_shortstr(out, routing_key);
    wire::put_u8(out, mandatory ? 1 : 0);
    end_frame(out, at);
    append_content(out, channel, properties, body, frame_max);
  } catch (...) {
    out.resize(start);
    throw;
  }
}

namespace {

void append_tag_method(std::string& out, std::uint16_t channel, std::uint16_t method_id, std::uint64_t tag,
                       std::uint8_t bits) {
  const std::size_t at = begin_frame(out, FrameType::method, channel);
  wire::put_u16(out, 60);
  wire::put_u16(out, method_id);
  wire::put_u64(out, tag);
  wire::put_u8(out, bits);
  end_frame(out, at);
}

}  // namespace

void append_ack(std::string& out, std::uint16_t channel, std::uint64_t delivery_tag, bool multiple) {
  append_tag_method(out, channel, methods::BasicAck::kMethodId, delivery_tag, multiple ? 1 : 0);
}

void append_nack(std::string& out, std::uint16_t channel, std::uint64_t delivery_tag, bool multiple,
                 bool requeue) {
  append_tag_method(out, channel, methods::BasicNack::kMethodId, delivery_tag,
                    static_cast<std::uint8_t>((multiple ? 1 : 0) | (requeue ? 2 : 0)));
}

void append_reject(std::string& out, std::uint16_t channel, std::uint64_t delivery_tag, bool requeue) {
  append_tag_method(out, channel, methods::BasicReject::kMethodId, delivery_tag, requeue ? 1 : 0);
}

}  // namespace fern::amqp
