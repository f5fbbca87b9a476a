// Frame writing: appending whole AMQP frames to an output buffer, so a client can queue any number
// of frames and send them in one write. The general forms take a Method or a payload; the hot paths
// of a client (a publish's method + content header + body frames, acks) have direct forms that
// encode straight from their arguments without building a Method. Nothing here blocks.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fern/clients/amqp/proto/basic_properties.hpp"
#include "fern/clients/amqp/proto/frame_parser.hpp"
#include "fern/clients/amqp/proto/methods.hpp"

namespace fern::amqp {

// Appends one frame around `payload`.
void append_frame(std::string& out, FrameType type, std::uint16_t channel, std::string_view payload);
// Appends a frame header with a size to be filled in; append the payload, then end_frame(out, at).
std::size_t begin_frame(std::string& out, FrameType type, std::uint16_t channel);
void end_frame(std::string& out, std::size_t at);

void append_method_frame(std::string& out, std::uint16_t channel, const Method& method);
void append_heartbeat(std::string& out);

// A content header frame and the body frames of `body` split to fit `frame_max` (0: no limit).
void append_content(std::string& out, std::uint16_t channel, const BasicProperties& properties,
                    std::string_view body, std::uint32_t frame_max);

// basic.publish + its content, in one piece.
void append_publish(std::string& out, std::uint16_t channel, std::string_view exchange,
                    std::string_view routing_key, bool mandatory, const BasicProperties& properties,
                    std::string_view body, std::uint32_t frame_max);
void append_ack(std::string& out, std::uint16_t channel, std::uint64_t delivery_tag, bool multiple);
void append_nack(std::string& out, std::uint16_t channel, std::uint64_t delivery_tag, bool multiple,
                 bool requeue);
void append_reject(std::string& out, std::uint16_t channel, std::uint64_t delivery_tag, bool requeue);

}  // namespace fern::amqp
