// The methods of the basic, confirm and tx classes of AMQP 0-9-1 (publish, consume, deliver, get,
// ack/nack/reject, qos, recover, confirms, transactions) as plain structs: one per method, its ids and name
// as constants, its arguments as members, and fields() listing the arguments in wire order for the encoder
// and decoder (fern/clients/amqp/proto/methods.hpp). Pure data.
#pragma once

#include <cstdint>
#include <string>

#include "fern/clients/amqp/proto/field_table.hpp"

namespace fern::amqp::methods {

struct BasicQos {
  static constexpr std::uint16_t kClassId = 60;
  static constexpr std::uint16_t kMethodId = 10;
  static constexpr const char* kName = "basic.qos";
  std::uint32_t prefetch_size = 0;
  std::uint16_t prefetch_count = 0;
  bool global = false;
  template <class V>
  void fields(V& v) {
    v.u32(prefetch_size);
    v.u16(prefetch_count);
    v.bit(global);
  }
  friend bool operator==(const BasicQos&, const BasicQos&) = default;
};

struct BasicQosOk {
  static constexpr std::uint16_t kClassId = 60;
  static constexpr std::uint16_t kMethodId = 11;
  static constexpr const char* kName = "basic.qos-ok";
  template <class V>
  void fields(V&) {}
  friend bool operator==(const BasicQosOk&, const BasicQosOk&) = default;
};

struct BasicConsume {
  static constexpr std::uint16_t kClassId = 60;
  static constexpr std::uint16_t kMethodId = 20;
  static constexpr const char* kName = "basic.consume";
  std::uint16_t reserved_1 = 0;
  std::string queue{};
  std::string consumer_tag{};
  bool no_local = false;
  bool no_ack = false;
  bool exclusive = false;
  bool no_wait = false;
  FieldTable arguments{};
  template <class V>
  void fields(V& v) {
    v.u16(reserved_1);
    v.shortstr(queue);
    v.shortstr(consumer_tag);
    v.bit(no_local);
    v.bit(no_ack);
    v.bit(exclusive);
    v.bit(no_wait);
    v.table(arguments);
  }
  friend bool operator==(const BasicConsume&, const BasicConsume&) = default;
};

struct BasicConsumeOk {
  static constexpr std::uint16_t kClassId = 60;
  static constexpr std::uint16_t kMethodId = 21;
  static constexpr const char* kName = "basic.consume-ok";
  std::string consumer_tag{};
  template <class V>
  void fields(V& v) {
    v.shortstr(consumer_tag);
  }
  friend bool operator==(const BasicConsumeOk&, const BasicConsumeOk&) = default;
};

struct BasicCancel {
  static constexpr std::uint16_t kClassId = 60;
  static constexpr std::uint16_t kMethodId = 30;
  static constexpr const char* kName = "basic.cancel";
  std::string consumer_tag{};
  bool no_wait = false;
  template <class V>
  void fields(V& v) {
    v.shortstr(consumer_tag);
    v.bit(no_wait);
  }
  friend bool operator==(const BasicCancel&, const BasicCancel&) = default;
};

struct BasicCancelOk {
  static constexpr std::uint16_t kClassId = 60;
  static constexpr std::uint16_t kMethodId = 31;
  static constexpr const char* kName = "basic.cancel-ok";
  std::string consumer_tag{};
  template <class V>
  void fields(V& v) {
    v.shortstr(consumer_tag);
  }
  friend bool operator==(const BasicCancelOk&, const BasicCancelOk&) = default;
};

struct BasicPublish {
  static constexpr std::uint16_t kClassId = 60;
  static constexpr std::uint16_t kMethodId = 40;
  static constexpr const char* kName = "basic.publish";
  std::uint16_t reserved_1 = 0;
  std::string exchange{};
  std::string routing_key{};
  bool mandatory = false;
  bool immediate = false;
  template <class V>
  void fields(V& v) {
    v.u16(reserved_1);
    v.shortstr(exchange);
    v.shortstr(routing_key);
    v.bit(mandatory);
    v.bit(immediate);
  }
  friend bool operator==(const BasicPublish&, const BasicPublish&) = default;
};

struct BasicReturn {
  static constexpr std::uint16_t kClassId = 60;
  static constexpr std::uint16_t kMethodId = 50;
  static constexpr const char* kName = "basic.return";
  std::uint16_t reply_code = 0;
  std::string reply_text{};
  std::string exchange{};
  std::string routing_key{};
  template <class V>
  void fields(V& v) {
    v.u16(reply_code);
    v.shortstr(reply_text);
    v.shortstr(exchange);
    v.shortstr(routing_key);
  }
  friend bool operator==(const BasicReturn&, const BasicReturn&) = default;
};

struct BasicDeliver {
  static constexpr std::uint16_t kClassId = 60;
  static constexpr std::uint16_t kMethodId = 60;
  static constexpr const char* kName = "basic.deliver";
  std::string consumer_tag{};
  std::uint64_t delivery_tag = 0;
  bool redelivered = false;
  std::string exchange{};
  std::string routing_key{};
  template <class V>
  void fields(V& v) {
    v.shortstr(consumer_tag);
    v.u64(delivery_tag);
    v.bit(redelivered);
    v.shortstr(exchange);
    v.shortstr(routing_key);
  }
  friend bool operator==(const BasicDeliver&, const BasicDeliver&) = default;
};

struct BasicGet {
  static constexpr std::uint16_t kClassId = 60;
  static constexpr std::uint16_t kMethodId = 70;
  static constexpr const char* kName = "basic.get";
  std::uint16_t reserved_1 = 0;
  std::string queue{};
  bool no_ack = false;
  template <class V>
  void fields(V& v) {
    v.u16(reserved_1);
    v.shortstr(queue);
    v.bit(no_ack);
  }
  friend bool operator==(const BasicGet&, const BasicGet&) = default;
};

struct BasicGetOk {
  static constexpr std::uint16_t kClassId = 60;
  static constexpr std::uint16_t kMethodId = 71;
  static constexpr const char* kName = "basic.get-ok";
  std::uint64_t delivery_tag = 0;
  bool redelivered = false;
  std::string exchange{};
  std::string routing_key{};
  std::uint32_t message_count = 0;
  template <class V>
  void fields(V& v) {
    v.u64(delivery_tag);
    v.bit(redelivered);
    v.shortstr(exchange);
    v.shortstr(routing_key);
    v.u32(message_count);
  }
  friend bool operator==(const BasicGetOk&, const BasicGetOk&) = default;
};

struct BasicGetEmpty {
  static constexpr std::uint16_t kClassId = 60;
  static constexpr std::uint16_t kMethodId = 72;
  static constexpr const char* kName = "basic.get-empty";
  std::string reserved_1{};
  template <class V>
  void fields(V& v) {
    v.shortstr(reserved_1);
  }
  friend bool operator==(const BasicGetEmpty&, const BasicGetEmpty&) = default;
};

struct BasicAck {
  static constexpr std::uint16_t kClassId = 60;
  static constexpr std::uint16_t kMethodId = 80;
  static constexpr const char* kName = "basic.ack";
  std::uint64_t delivery_tag = 0;
  bool multiple = false;
  template <class V>
  void fields(V& v) {
    v.u64(delivery_tag);
    v.bit(multiple);
  }
  friend bool operator==(const BasicAck&, const BasicAck&) = default;
};

struct BasicReject {
  static constexpr std::uint16_t kClassId = 60;
  static constexpr std::uint16_t kMethodId = 90;
  static constexpr const char* kName = "basic.reject";
  std::uint64_t delivery_tag = 0;
  bool requeue = true;
  template <class V>
  void fields(V& v) {
    v.u64(delivery_tag);
    v.bit(requeue);
  }
  friend bool operator==(const BasicReject&, const BasicReject&) = default;
};

struct BasicRecoverAsync {
  static constexpr std::uint16_t kClassId = 60;
  static constexpr std::uint16_t kMethodId = 100;
  static constexpr const char* kName = "basic.recover-async";
  bool requeue = false;
  template <class V>
  void fields(V& v) {
    v.bit(requeue);
  }
  friend bool operator==(const BasicRecoverAsync&, const BasicRecoverAsync&) = default;
};

struct BasicRecover {
  static constexpr std::uint16_t kClassId = 60;
  static constexpr std::uint16_t kMethodId = 110;
  static constexpr const char* kName = "basic.recover";
  bool requeue = false;
  template <class V>
  void fields(V& v) {
    v.bit(requeue);
  }
  friend bool operator==(const BasicRecover&, const BasicRecover&) = default;
};

struct BasicRecoverOk {
  static constexpr std::uint16_t kClassId = 60;
  static constexpr std::uint16_t kMethodId = 111;
  static constexpr const char* kName = "basic.recover-ok";
  template <class V>
  void fields(V&) {}
  friend bool operator==(const BasicRecoverOk&, const BasicRecoverOk&) = default;
};

struct BasicNack {
  static constexpr std::uint16_t kClassId = 60;
  static constexpr std::uint16_t kMethodId = 120;
  static constexpr const char* kName = "basic.nack";
  std::uint64_t delivery_tag = 0;
  bool multiple = false;
  bool requeue = true;
  template <class V>
  void fields(V& v) {
    v.u64(delivery_tag);
    v.bit(multiple);
    v.bit(requeue);
  }
  friend bool operator==(const BasicNack&, const BasicNack&) = default;
};

struct ConfirmSelect {
  static constexpr std::uint16_t kClassId = 85;
  static constexpr std::uint16_t kMethodId = 10;
  static constexpr const char* kName = "confirm.select";
  bool no_wait = false;
  template <class V>
  void fields(V& v) {
    v.bit(no_wait);
  }
  friend bool operator==(const ConfirmSelect&, const ConfirmSelect&) = default;
};

struct ConfirmSelectOk {
  static constexpr std::uint16_t kClassId = 85;
  static constexpr std::uint16_t kMethodId = 11;
  static constexpr const char* kName = "confirm.select-ok";
  template <class V>
  void fields(V&) {}
  friend bool operator==(const ConfirmSelectOk&, const ConfirmSelectOk&) = default;
};

struct TxSelect {
  static constexpr std::uint16_t kClassId = 90;
  static constexpr std::uint16_t kMethodId = 10;
  static constexpr const char* kName = "tx.select";
  template <class V>
  void fields(V&) {}
  friend bool operator==(const TxSelect&, const TxSelect&) = default;
};

struct TxSelectOk {
  static constexpr std::uint16_t kClassId = 90;
  static constexpr std::uint16_t kMethodId = 11;
  static constexpr const char* kName = "tx.select-ok";
  template <class V>
  void fields(V&) {}
  friend bool operator==(const TxSelectOk&, const TxSelectOk&) = default;
};

struct TxCommit {
  static constexpr std::uint16_t kClassId = 90;
  static constexpr std::uint16_t kMethodId = 20;
  static constexpr const char* kName = "tx.commit";
  template <class V>
  void fields(V&) {}
  friend bool operator==(const TxCommit&, const TxCommit&) = default;
};

struct TxCommitOk {
  static constexpr std::uint16_t kClassId = 90;
  static constexpr std::uint16_t kMethodId = 21;
  static constexpr const char* kName = "tx.commit-ok";
  template <class V>
  void fields(V&) {}
  friend bool operator==(const TxCommitOk&, const TxCommitOk&) = default;
};

struct TxRollback {
  static constexpr std::uint16_t kClassId = 90;
  static constexpr std::uint16_t kMethodId = 30;
  static constexpr const char* kName = "tx.rollback";
  template <class V>
  void fields(V&) {}
  friend bool operator==(const TxRollback&, const TxRollback&) = default;
};

struct TxRollbackOk {
  static constexpr std::uint16_t kClassId = 90;
  static constexpr std::uint16_t kMethodId = 31;
  static constexpr const char* kName = "tx.rollback-ok";
  template <class V>
  void fields(V&) {}
  friend bool operator==(const TxRollbackOk&, const TxRollbackOk&) = default;
};

}  // namespace fern::amqp::methods
