// The methods of AMQP 0-9-1 (with RabbitMQ's extensions: exchange.bind/unbind, basic.nack,
// confirm.select, connection.blocked/unblocked/update-secret) as one plain struct each, in
// namespace fern::amqp::methods, and their encoding as a method frame's payload: class id,
// method id, then the arguments in order, consecutive bits packed into octets (first bit in the
// lowest bit). Every method of the connection, channel, exchange, queue, basic, confirm and tx
// classes is here; `Method` is their variant. Pure data and encoding; nothing here blocks.
//
// Each struct lists its arguments once, in fields(): the encoder and the decoder both walk that
// list, so the two directions cannot disagree.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <system_error>
#include <variant>

#include "fern/clients/amqp/proto/basic_methods.hpp"
#include "fern/clients/amqp/proto/connection_methods.hpp"
#include "fern/clients/amqp/proto/field_table.hpp"
#include "fern/clients/amqp/proto/queue_methods.hpp"

namespace fern::amqp {
namespace methods {

using Method = std::variant<
    ConnectionStart, ConnectionStartOk, ConnectionSecure, ConnectionSecureOk, ConnectionTune,
    ConnectionTuneOk, ConnectionOpen, ConnectionOpenOk, ConnectionClose, ConnectionCloseOk, ConnectionBlocked,
    ConnectionUnblocked, ConnectionUpdateSecret, ConnectionUpdateSecretOk, ChannelOpen, ChannelOpenOk,
    ChannelFlow, ChannelFlowOk, ChannelClose, ChannelCloseOk, ExchangeDeclare, ExchangeDeclareOk,
    ExchangeDelete, ExchangeDeleteOk, ExchangeBind, ExchangeBindOk, ExchangeUnbind, ExchangeUnbindOk,
    QueueDeclare, QueueDeclareOk, QueueBind, QueueBindOk, QueuePurge, QueuePurgeOk, QueueDelete,
    QueueDeleteOk, QueueUnbind, QueueUnbindOk, BasicQos, BasicQosOk, BasicConsume, BasicConsumeOk,
    BasicCancel, BasicCancelOk, BasicPublish, BasicReturn, BasicDeliver, BasicGet, BasicGetOk, BasicGetEmpty,
    BasicAck, BasicReject, BasicRecoverAsync, BasicRecover, BasicRecoverOk, BasicNack, ConfirmSelect,
    ConfirmSelectOk, TxSelect, TxSelectOk, TxCommit, TxCommitOk, TxRollback, TxRollbackOk>;

}  // namespace methods

using Method = methods::Method;

// (class id << 16) | method id: the key the decoder dispatches on.
constexpr std::uint32_t method_key(std::uint16_t class_id, std::uint16_t method_id) noexcept {
  return (static_cast<std::uint32_t>(class_id) << 16) | method_id;
}

// "queue.declare"; "unknown" for ids no class defines.
const char* method_name(std::uint16_t class_id, std::uint16_t method_id) noexcept;
const char* method_name(const Method& method) noexcept;
std::uint16_t class_id_of(const Method& method) noexcept;
std::uint16_t method_id_of(const Method& method) noexcept;

// Appends a method frame's payload (ids and arguments). Throws std::system_error
// (Errc::invalid_argument) for a short string argument longer than 255 bytes.
void encode_method(std::string& out, const Method& method);

// Decodes a whole method frame payload. An unknown class or method, a truncated argument or
// trailing bytes set `ec` (Errc::protocol_error) and return false.
bool decode_method(std::string_view payload, Method& out, std::error_code& ec);

}  // namespace fern::amqp
