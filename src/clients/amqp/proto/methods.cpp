#include "fern/clients/amqp/proto/methods.hpp"

#include "fern/base/error.hpp"
#include "wire.hpp"

namespace fern::amqp {
namespace {

// Walks a method's fields() and appends them; bits accumulate into one octet until a field of
// another type (or the end) flushes it.
class FieldEncoder {
 public:
  explicit FieldEncoder(std::string& out) : out_(out) {}
  void u8(std::uint8_t v) { flush_bits(), wire::put_u8(out_, v); }
  void u16(std::uint16_t v) { flush_bits(), wire::put_u16(out_, v); }
  void u32(std::uint32_t v) { flush_bits(), wire::put_u32(out_, v); }
  void u64(std::uint64_t v) { flush_bits(), wire::put_u64(out_, v); }
  void shortstr(const std::string& v) { flush_bits(), wire::put_shortstr(out_, v); }
  void longstr(const std::string& v) { flush_bits(), wire::put_longstr(out_, v); }
  void table(const FieldTable& v) { flush_bits(), encode_field_table(out_, v); }
  void bit(bool v) {
    if (nbits_ == 8) flush_bits();
    if (v) bits_ |= static_cast<std::uint8_t>(1u << nbits_);
    ++nbits_;
  }
  void flush_bits() {
    if (nbits_ == 0) return;
    wire::put_u8(out_, bits_);
    bits_ = 0;
    nbits_ = 0;
  }

 private:
  std::string& out_;
  std::uint8_t bits_ = 0;
  int nbits_ = 0;
};

class FieldDecoder {
 public:
  explicit FieldDecoder(std::string_view in) : r_(in) {}
  void u8(std::uint8_t& v) { end_bits(), v = r_.u8(); }
  void u16(std::uint16_t& v) { end_bits(), v = r_.u16(); }
  void u32(std::uint32_t& v) { end_bits(), v = r_.u32(); }
  void u64(std::uint64_t& v) { end_bits(), v = r_.u64(); }
  void shortstr(std::string& v) { end_bits(), v.assign(r_.shortstr()); }
  void longstr(std::string& v) { end_bits(), v.assign(r_.longstr()); }
  void table(FieldTable& v) {
    end_bits();
    if (r_.failed()) return;
    std::string_view rest = r_.rest();
    std::error_code ec;
    decode_field_table(rest, v, ec);
    if (ec) {
      r_.fail();
      return;
    }
    r_ = wire::WireReader(rest);
  }
  void bit(bool& v) {
    if (nbits_ == 0 || nbits_ == 8) {
      bits_ = r_.u8();
      nbits_ = 0;
    }
    v = (bits_ >> nbits_) & 1u;
    ++nbits_;
  }
  void end_bits() { nbits_ = 0; }
  bool ok() const { return !r_.failed() && r_.at_end(); }

 private:
  wire::WireReader r_;
  std::uint8_t bits_ = 0;
  int nbits_ = 0;
};

template <class M>
bool decode_as(std::string_view args, Method& out) {
  M m;
  FieldDecoder d(args);
  m.fields(d);
  if (!d.ok()) return false;
  out = std::move(m);
  return true;
}

bool decode_args(std::uint32_t id, std::string_view r, Method& out, bool& known) {
  known = true;
  constexpr auto key = method_key;
  switch (id) {
    case key(10, 10): return decode_as<methods::ConnectionStart>(r, out);
    case key(10, 11): return decode_as<methods::ConnectionStartOk>(r, out);
    case key(10, 20): return decode_as<methods::ConnectionSecure>(r, out);
    case key(10, 21): return decode_as<methods::ConnectionSecureOk>(r, out);
    case key(10, 30): return decode_as<methods::ConnectionTune>(r, out);
    case key(10, 31): return decode_as<methods::ConnectionTuneOk>(r, out);
    case key(10, 40): return decode_as<methods::ConnectionOpen>(r, out);
    case key(10, 41): return decode_as<methods::ConnectionOpenOk>(r, out);
    case key(10, 50): return decode_as<methods::ConnectionClose>(r, out);
    case key(10, 51): return decode_as<methods::ConnectionCloseOk>(r, out);
    case key(10, 60): return decode_as<methods::ConnectionBlocked>(r, out);
    case key(10, 61): return decode_as<methods::ConnectionUnblocked>(r, out);
    case key(10, 70): return decode_as<methods::ConnectionUpdateSecret>(r, out);
    case key(10, 71): return decode_as<methods::ConnectionUpdateSecretOk>(r, out);
    case key(20, 10): return decode_as<methods::ChannelOpen>(r, out);
    case key(20, 11): return decode_as<methods::ChannelOpenOk>(r, out);
    case key(20, 20): return decode_as<methods::ChannelFlow>(r, out);
    case key(20, 21): return decode_as<methods::ChannelFlowOk>(r, out);
    case key(20, 40): return decode_as<methods::ChannelClose>(r, out);
    case key(20, 41): return decode_as<methods::ChannelCloseOk>(r, out);
    case key(40, 10): return decode_as<methods::ExchangeDeclare>(r, out);
    case key(40, 11): return decode_as<methods::ExchangeDeclareOk>(r, out);
    case key(40, 20): return decode_as<methods::ExchangeDelete>(r, out);
    case key(40, 21): return decode_as<methods::ExchangeDeleteOk>(r, out);
    case key(40, 30): return decode_as<methods::ExchangeBind>(r, out);
    case key(40, 31): return decode_as<methods::ExchangeBindOk>(r, out);
    case key(40, 40): return decode_as<methods::ExchangeUnbind>(r, out);
    case key(40, 51): return decode_as<methods::ExchangeUnbindOk>(r, out);
    case key(50, 10): return decode_as<methods::QueueDeclare>(r, out);
    case key(50, 11): return decode_as<methods::QueueDeclareOk>(r, out);
    case key(50, 20): return decode_as<methods::QueueBind>(r, out);
    case key(50, 21): return decode_as<methods::QueueBindOk>(r, out);
    case key(50, 30): return decode_as<methods::QueuePurge>(r, out);
    case key(50, 31): return decode_as<methods::QueuePurgeOk>(r, out);
    case key(50, 40): return decode_as<methods::QueueDelete>(r, out);
    case key(50, 41): return decode_as<methods::QueueDeleteOk>(r, out);
    case key(50, 50): return decode_as<methods::QueueUnbind>(r, out);
    case key(50, 51): return decode_as<methods::QueueUnbindOk>(r, out);
    case key(60, 10): return decode_as<methods::BasicQos>(r, out);
    case key(60, 11): return decode_as<methods::BasicQosOk>(r, out);
    case key(60, 20): return decode_as<methods::BasicConsume>(r, out);
    case key(60, 21): return decode_as<methods::BasicConsumeOk>(r, out);
    case key(60, 30): return decode_as<methods::BasicCancel>(r, out);
    case key(60, 31): return decode_as<methods::BasicCancelOk>(r, out);
    case key(60, 40): return decode_as<methods::BasicPublish>(r, out);
    case key(60, 50): return decode_as<methods::BasicReturn>(r, out);
    case key(60, 60): return decode_as<methods::BasicDeliver>(r, out);
    case key(60, 70): return decode_as<methods::BasicGet>(r, out);
    case key(60, 71): return decode_as<methods::BasicGetOk>(r, out);
    case key(60, 72): return decode_as<methods::BasicGetEmpty>(r, out);
    case key(60, 80): return decode_as<methods::BasicAck>(r, out);
    case key(60, 90): return decode_as<methods::BasicReject>(r, out);
    case key(60, 100): return decode_as<methods::BasicRecoverAsync>(r, out);
    case key(60, 110): return decode_as<methods::BasicRecover>(r, out);
    case key(60, 111): return decode_as<methods::BasicRecoverOk>(r, out);
    case key(60, 120): return decode_as<methods::BasicNack>(r, out);
    case key(85, 10): return decode_as<methods::ConfirmSelect>(r, out);
    case key(85, 11): return decode_as<methods::ConfirmSelectOk>(r, out);
    case key(90, 10): return decode_as<methods::TxSelect>(r, out);
    case key(90, 11): return decode_as<methods::TxSelectOk>(r, out);
    case key(90, 20): return decode_as<methods::TxCommit>(r, out);
    case key(90, 21): return decode_as<methods::TxCommitOk>(r, out);
    case key(90, 30): return decode_as<methods::TxRollback>(r, out);
    case key(90, 31): return decode_as<methods::TxRollbackOk>(r, out);
    default: known = false; return false;
  }
}

}  // namespace

void encode_method(std::string& out, const Method& method) {
  std::visit(
      [&](const auto& m) {
        using M = std::decay_t<decltype(m)>;
        wire::put_u16(out, M::kClassId);
        wire::put_u16(out, M::kMethodId);
        FieldEncoder e(out);
        // fields() takes the visitor's view of every member; the encoder only reads them.
        const_cast<M&>(m).fields(e);
        e.flush_bits();
      },
      method);
}

bool decode_method(std::string_view payload, Method& out, std::error_code& ec) {
  wire::WireReader r(payload);
  const std::uint16_t class_id = r.u16();
  const std::uint16_t method_id = r.u16();
  bool known = false;
  if (r.failed() || !decode_args(method_key(class_id, method_id), r.rest(), out, known)) {
    ec = make_error_code(Errc::protocol_error);
    return false;
  }
  return true;
}

const char* method_name(const Method& method) noexcept {
  return std::visit([](const auto& m) { return std::decay_t<decltype(m)>::kName; }, method);
}

std::uint16_t class_id_of(const Method& method) noexcept {
  return std::visit([](const auto& m) { return std::decay_t<decltype(m)>::kClassId; }, method);
}

std::uint16_t method_id_of(const Method& method) noexcept {
  return std::visit([](const auto& m) { return std::decay_t<decltype(m)>::kMethodId; }, method);
}

const char* method_name(std::uint16_t class_id, std::uint16_t method_id) noexcept {
  const char* name = "unknown";
  [&]<std::size_t... I>(std::index_sequence<I...>) {
    ((std::variant_alternative_t<I, Method>::kClassId == class_id &&
              std::variant_alternative_t<I, Method>::kMethodId == method_id
          ? (name = std::variant_alternative_t<I, Method>::kName, 0)
          : 0),
     ...);
  }
  (std::make_index_sequence<std::variant_size_v<Method>>{});
  return name;
}

}  // namespace fern::amqp
