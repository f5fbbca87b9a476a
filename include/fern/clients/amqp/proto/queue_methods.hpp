// The methods of the exchange and queue classes of AMQP 0-9-1 (declare, bind, unbind, purge, delete) as plain
// structs: one per method, its ids and name as constants, its arguments as members, and fields() listing the
// arguments in wire order for the encoder and decoder (fern/clients/amqp/proto/methods.hpp). Pure data.
#pragma once

#include <cstdint>
#include <string>

#include "fern/clients/amqp/proto/field_table.hpp"

namespace fern::amqp::methods {

struct ExchangeDeclare {
  static constexpr std::uint16_t kClassId = 40;
  static constexpr std::uint16_t kMethodId = 10;
  static constexpr const char* kName = "exchange.declare";
  std::uint16_t reserved_1 = 0;
  std::string exchange{};
  std::string type = "direct";
  bool passive = false;
  bool durable = false;
  bool auto_delete = false;
  bool internal = false;
  bool no_wait = false;
  FieldTable arguments{};
  template <class V>
  void fields(V& v) {
    v.u16(reserved_1);
    v.shortstr(exchange);
    v.shortstr(type);
    v.bit(passive);
    v.bit(durable);
    v.bit(auto_delete);
    v.bit(internal);
    v.bit(no_wait);
    v.table(arguments);
  }
  friend bool operator==(const ExchangeDeclare&, const ExchangeDeclare&) = default;
};

struct ExchangeDeclareOk {
  static constexpr std::uint16_t kClassId = 40;
  static constexpr std::uint16_t kMethodId = 11;
  static constexpr const char* kName = "exchange.declare-ok";
  template <class V>
  void fields(V&) {}
  friend bool operator==(const ExchangeDeclareOk&, const ExchangeDeclareOk&) = default;
};

struct ExchangeDelete {
  static constexpr std::uint16_t kClassId = 40;
  static constexpr std::uint16_t kMethodId = 20;
  static constexpr const char* kName = "exchange.delete";
  std::uint16_t reserved_1 = 0;
  std::string exchange{};
  bool if_unused = false;
  bool no_wait = false;
  template <class V>
  void fields(V& v) {
    v.u16(reserved_1);
    v.shortstr(exchange);
    v.bit(if_unused);
    v.bit(no_wait);
  }
  friend bool operator==(const ExchangeDelete&, const ExchangeDelete&) = default;
};

struct ExchangeDeleteOk {
  static constexpr std::uint16_t kClassId = 40;
  static constexpr std::uint16_t kMethodId = 21;
  static constexpr const char* kName = "exchange.delete-ok";
  template <class V>
  void fields(V&) {}
  friend bool operator==(const ExchangeDeleteOk&, const ExchangeDeleteOk&) = default;
};

struct ExchangeBind {
  static constexpr std::uint16_t kClassId = 40;
  static constexpr std::uint16_t kMethodId = 30;
  static constexpr const char* kName = "exchange.bind";
  std::uint16_t reserved_1 = 0;
  std::string destination{};
  std::string source{};
  std::string routing_key{};
  bool no_wait = false;
  FieldTable arguments{};
  template <class V>
  void fields(V& v) {
    v.u16(reserved_1);
    v.shortstr(destination);
    v.shortstr(source);
    v.shortstr(routing_key);
    v.bit(no_wait);
    v.table(arguments);
  }
  friend bool operator==(const ExchangeBind&, const ExchangeBind&) = default;
};

struct ExchangeBindOk {
  static constexpr std::uint16_t kClassId = 40;
  static constexpr std::uint16_t kMethodId = 31;
  static constexpr const char* kName = "exchange.bind-ok";
  template <class V>
  void fields(V&) {}
  friend bool operator==(const ExchangeBindOk&, const ExchangeBindOk&) = default;
};

struct ExchangeUnbind {
  static constexpr std::uint16_t kClassId = 40;
  static constexpr std::uint16_t kMethodId = 40;
  static constexpr const char* kName = "exchange.unbind";
  std::uint16_t reserved_1 = 0;
  std::string destination{};
  std::string source{};
  std::string routing_key{};
  bool no_wait = false;
  FieldTable arguments{};
  template <class V>
  void fields(V& v) {
    v.u16(reserved_1);
    v.shortstr(destination);
    v.shortstr(source);
    v.shortstr(routing_key);
    v.bit(no_wait);
    v.table(arguments);
  }
  friend bool operator==(const ExchangeUnbind&, const ExchangeUnbind&) = default;
};

struct ExchangeUnbindOk {
  static constexpr std::uint16_t kClassId = 40;
  static constexpr std::uint16_t kMethodId = 51;
  static constexpr const char* kName = "exchange.unbind-ok";
  template <class V>
  void fields(V&) {}
  friend bool operator==(const ExchangeUnbindOk&, const ExchangeUnbindOk&) = default;
};

struct QueueDeclare {
  static constexpr std::uint16_t kClassId = 50;
  static constexpr std::uint16_t kMethodId = 10;
  static constexpr const char* kName = "queue.declare";
  std::uint16_t reserved_1 = 0;
  std::string queue{};
  bool passive = false;
  bool durable = false;
  bool exclusive = false;
  bool auto_delete = false;
  bool no_wait = false;
  FieldTable arguments{};
  template <class V>
  void fields(V& v) {
    v.u16(reserved_1);
    v.shortstr(queue);
    v.bit(passive);
    v.bit(durable);
    v.bit(exclusive);
    v.bit(auto_delete);
    v.bit(no_wait);
    v.table(arguments);
  }
  friend bool operator==(const QueueDeclare&, const QueueDeclare&) = default;
};

struct QueueDeclareOk {
  static constexpr std::uint16_t kClassId = 50;
  static constexpr std::uint16_t kMethodId = 11;
  static constexpr const char* kName = "queue.declare-ok";
  std::string queue{};
  std::uint32_t message_count = 0;
  std::uint32_t consumer_count = 0;
  template <class V>
  void fields(V& v) {
    v.shortstr(queue);
    v.u32(message_count);
    v.u32(consumer_count);
  }
  friend bool operator==(const QueueDeclareOk&, const QueueDeclareOk&) = default;
};

struct QueueBind {
  static constexpr std::uint16_t kClassId = 50;
  static constexpr std::uint16_t kMethodId = 20;
  static constexpr const char* kName = "queue.bind";
  std::uint16_t reserved_1 = 0;
  std::string queue{};
  std::string exchange{};
  std::string routing_key{};
  bool no_wait = false;
  FieldTable arguments{};
  template <class V>
  void fields(V& v) {
    v.u16(reserved_1);
    v.shortstr(queue);
    v.shortstr(exchange);
    v.shortstr(routing_key);
    v.bit(no_wait);
    v.table(arguments);
  }
  friend bool operator==(const QueueBind&, const QueueBind&) = default;
};

struct QueueBindOk {
  static constexpr std::uint16_t kClassId = 50;
  static constexpr std::uint16_t kMethodId = 21;
  static constexpr const char* kName = "queue.bind-ok";
  template <class V>
  void fields(V&) {}
  friend bool operator==(const QueueBindOk&, const QueueBindOk&) = default;
};

struct QueuePurge {
  static constexpr std::uint16_t kClassId = 50;
  static constexpr std::uint16_t kMethodId = 30;
  static constexpr const char* kName = "queue.purge";
  std::uint16_t reserved_1 = 0;
  std::string queue{};
  bool no_wait = false;
  template <class V>
  void fields(V& v) {
    v.u16(reserved_1);
    v.shortstr(queue);
    v.bit(no_wait);
  }
  friend bool operator==(const QueuePurge&, const QueuePurge&) = default;
};

struct QueuePurgeOk {
  static constexpr std::uint16_t kClassId = 50;
  static constexpr std::uint16_t kMethodId = 31;
  static constexpr const char* kName = "queue.purge-ok";
  std::uint32_t message_count = 0;
  template <class V>
  void fields(V& v) {
    v.u32(message_count);
  }
  friend bool operator==(const QueuePurgeOk&, const QueuePurgeOk&) = default;
};

struct QueueDelete {
  static constexpr std::uint16_t kClassId = 50;
  static constexpr std::uint16_t kMethodId = 40;
  static constexpr const char* kName = "queue.delete";
  std::uint16_t reserved_1 = 0;
  std::string queue{};
  bool if_unused = false;
  bool if_empty = false;
  bool no_wait = false;
  template <class V>
  void fields(V& v) {
    v.u16(reserved_1);
    v.shortstr(queue);
    v.bit(if_unused);
    v.bit(if_empty);
    v.bit(no_wait);
  }
  friend bool operator==(const QueueDelete&, const QueueDelete&) = default;
};

struct QueueDeleteOk {
  static constexpr std::uint16_t kClassId = 50;
  static constexpr std::uint16_t kMethodId = 41;
  static constexpr const char* kName = "queue.delete-ok";
  std::uint32_t message_count = 0;
  template <class V>
  void fields(V& v) {
    v.u32(message_count);
  }
  friend bool operator==(const QueueDeleteOk&, const QueueDeleteOk&) = default;
};

struct QueueUnbind {
  static constexpr std::uint16_t kClassId = 50;
  static constexpr std::uint16_t kMethodId = 50;
  static constexpr const char* kName = "queue.unbind";
  std::uint16_t reserved_1 = 0;
  std::string queue{};
  std::string exchange{};
  std::string routing_key{};
  FieldTable arguments{};
  template <class V>
  void fields(V& v) {
    v.u16(reserved_1);
    v.shortstr(queue);
    v.shortstr(exchange);
    v.shortstr(routing_key);
    v.table(arguments);
  }
  friend bool operator==(const QueueUnbind&, const QueueUnbind&) = default;
};

struct QueueUnbindOk {
  static constexpr std::uint16_t kClassId = 50;
  static constexpr std::uint16_t kMethodId = 51;
  static constexpr const char* kName = "queue.unbind-ok";
  template <class V>
  void fields(V&) {}
  friend bool operator==(const QueueUnbindOk&, const QueueUnbindOk&) = default;
};

}  // namespace fern::amqp::methods
