// The methods of the connection and channel classes of AMQP 0-9-1 (opening, tuning, flow, blocking and
// closing) as plain structs: one per method, its ids and name as constants, its arguments as members, and
// fields() listing the arguments in wire order for the encoder and decoder
// (fern/clients/amqp/proto/methods.hpp). Pure data.
#pragma once

#include <cstdint>
#include <string>

#include "fern/clients/amqp/proto/field_table.hpp"

namespace fern::amqp::methods {

struct ConnectionStart {
  static constexpr std::uint16_t kClassId = 10;
  static constexpr std::uint16_t kMethodId = 10;
  static constexpr const char* kName = "connection.start";
  std::uint8_t version_major = 0;
  std::uint8_t version_minor = 9;
  FieldTable server_properties{};
  std::string mechanisms = "PLAIN";
  std::string locales = "en_US";
  template <class V>
  void fields(V& v) {
    v.u8(version_major);
    v.u8(version_minor);
    v.table(server_properties);
    v.longstr(mechanisms);
    v.longstr(locales);
  }
  friend bool operator==(const ConnectionStart&, const ConnectionStart&) = default;
};

struct ConnectionStartOk {
  static constexpr std::uint16_t kClassId = 10;
  static constexpr std::uint16_t kMethodId = 11;
  static constexpr const char* kName = "connection.start-ok";
  FieldTable client_properties{};
  std::string mechanism = "PLAIN";
  std::string response{};
  std::string locale = "en_US";
  template <class V>
  void fields(V& v) {
    v.table(client_properties);
    v.shortstr(mechanism);
    v.longstr(response);
    v.shortstr(locale);
  }
  friend bool operator==(const ConnectionStartOk&, const ConnectionStartOk&) = default;
};

struct ConnectionSecure {
  static constexpr std::uint16_t kClassId = 10;
  static constexpr std::uint16_t kMethodId = 20;
  static constexpr const char* kName = "connection.secure";
  std::string challenge{};
  template <class V>
  void fields(V& v) {
    v.longstr(challenge);
  }
  friend bool operator==(const ConnectionSecure&, const ConnectionSecure&) = default;
};

struct ConnectionSecureOk {
  static constexpr std::uint16_t kClassId = 10;
  static constexpr std::uint16_t kMethodId = 21;
  static constexpr const char* kName = "connection.secure-ok";
  std::string response{};
  template <class V>
  void fields(V& v) {
    v.longstr(response);
  }
  friend bool operator==(const ConnectionSecureOk&, const ConnectionSecureOk&) = default;
};

struct ConnectionTune {
  static constexpr std::uint16_t kClassId = 10;
  static constexpr std::uint16_t kMethodId = 30;
  static constexpr const char* kName = "connection.tune";
  std::uint16_t channel_max = 0;
  std::uint32_t frame_max = 0;
  std::uint16_t heartbeat = 0;
  template <class V>
  void fields(V& v) {
    v.u16(channel_max);
    v.u32(frame_max);
    v.u16(heartbeat);
  }
  friend bool operator==(const ConnectionTune&, const ConnectionTune&) = default;
};

struct ConnectionTuneOk {
  static constexpr std::uint16_t kClassId = 10;
  static constexpr std::uint16_t kMethodId = 31;
  static constexpr const char* kName = "connection.tune-ok";
  std::uint16_t channel_max = 0;
  std::uint32_t frame_max = 0;
  std::uint16_t heartbeat = 0;
  template <class V>
  void fields(V& v) {
    v.u16(channel_max);
    v.u32(frame_max);
    v.u16(heartbeat);
  }
  friend bool operator==(const ConnectionTuneOk&, const ConnectionTuneOk&) = default;
};

struct ConnectionOpen {
  static constexpr std::uint16_t kClassId = 10;
  static constexpr std::uint16_t kMethodId = 40;
  static constexpr const char* kName = "connection.open";
  std::string virtual_host = "/";
  std::string reserved_1{};
  bool reserved_2 = false;
  template <class V>
  void fields(V& v) {
    v.shortstr(virtual_host);
    v.shortstr(reserved_1);
    v.bit(reserved_2);
  }
  friend bool operator==(const ConnectionOpen&, const ConnectionOpen&) = default;
};

struct ConnectionOpenOk {
  static constexpr std::uint16_t kClassId = 10;
  static constexpr std::uint16_t kMethodId = 41;
  static constexpr const char* kName = "connection.open-ok";
  std::string reserved_1{};
  template <class V>
  void fields(V& v) {
    v.shortstr(reserved_1);
  }
  friend bool operator==(const ConnectionOpenOk&, const ConnectionOpenOk&) = default;
};

struct ConnectionClose {
  static constexpr std::uint16_t kClassId = 10;
  static constexpr std::uint16_t kMethodId = 50;
  static constexpr const char* kName = "connection.close";
  std::uint16_t reply_code = 0;
  std::string reply_text{};
  std::uint16_t class_id = 0;
  std::uint16_t method_id = 0;
  template <class V>
  void fields(V& v) {
    v.u16(reply_code);
    v.shortstr(reply_text);
    v.u16(class_id);
    v.u16(method_id);
  }
  friend bool operator==(const ConnectionClose&, const ConnectionClose&) = default;
};

struct ConnectionCloseOk {
  static constexpr std::uint16_t kClassId = 10;
  static constexpr std::uint16_t kMethodId = 51;
  static constexpr const char* kName = "connection.close-ok";
  template <class V>
  void fields(V&) {}
  friend bool operator==(const ConnectionCloseOk&, const ConnectionCloseOk&) = default;
};

struct ConnectionBlocked {
  static constexpr std::uint16_t kClassId = 10;
  static constexpr std::uint16_t kMethodId = 60;
  static constexpr const char* kName = "connection.blocked";
  std::string reason{};
  template <class V>
  void fields(V& v) {
    v.shortstr(reason);
  }
  friend bool operator==(const ConnectionBlocked&, const ConnectionBlocked&) = default;
};

struct ConnectionUnblocked {
  static constexpr std::uint16_t kClassId = 10;
  static constexpr std::uint16_t kMethodId = 61;
  static constexpr const char* kName = "connection.unblocked";
  template <class V>
  void fields(V&) {}
  friend bool operator==(const ConnectionUnblocked&, const ConnectionUnblocked&) = default;
};

struct ConnectionUpdateSecret {
  static constexpr std::uint16_t kClassId = 10;
  static constexpr std::uint16_t kMethodId = 70;
  static constexpr const char* kName = "connection.update-secret";
  std::string new_secret{};
  std::string reason{};
  template <class V>
  void fields(V& v) {
    v.longstr(new_secret);
    v.shortstr(reason);
  }
  friend bool operator==(const ConnectionUpdateSecret&, const ConnectionUpdateSecret&) = default;
};

struct ConnectionUpdateSecretOk {
  static constexpr std::uint16_t kClassId = 10;
  static constexpr std::uint16_t kMethodId = 71;
  static constexpr const char* kName = "connection.update-secret-ok";
  template <class V>
  void fields(V&) {}
  friend bool operator==(const ConnectionUpdateSecretOk&, const ConnectionUpdateSecretOk&) = default;
};

struct ChannelOpen {
  static constexpr std::uint16_t kClassId = 20;
  static constexpr std::uint16_t kMethodId = 10;
  static constexpr const char* kName = "channel.open";
  std::string reserved_1{};
  template <class V>
  void fields(V& v) {
    v.shortstr(reserved_1);
  }
  friend bool operator==(const ChannelOpen&, const ChannelOpen&) = default;
};

struct ChannelOpenOk {
  static constexpr std::uint16_t kClassId = 20;
  static constexpr std::uint16_t kMethodId = 11;
  static constexpr const char* kName = "channel.open-ok";
  std::string reserved_1{};
  template <class V>
  void fields(V& v) {
    v.longstr(reserved_1);
  }
  friend bool operator==(const ChannelOpenOk&, const ChannelOpenOk&) = default;
};

struct ChannelFlow {
  static constexpr std::uint16_t kClassId = 20;
  static constexpr std::uint16_t kMethodId = 20;
  static constexpr const char* kName = "channel.flow";
  bool active = true;
  template <class V>
  void fields(V& v) {
    v.bit(active);
  }
  friend bool operator==(const ChannelFlow&, const ChannelFlow&) = default;
};

struct ChannelFlowOk {
  static constexpr std::uint16_t kClassId = 20;
  static constexpr std::uint16_t kMethodId = 21;
  static constexpr const char* kName = "channel.flow-ok";
  bool active = true;
  template <class V>
  void fields(V& v) {
    v.bit(active);
  }
  friend bool operator==(const ChannelFlowOk&, const ChannelFlowOk&) = default;
};

struct ChannelClose {
  static constexpr std::uint16_t kClassId = 20;
  static constexpr std::uint16_t kMethodId = 40;
  static constexpr const char* kName = "channel.close";
  std::uint16_t reply_code = 0;
  std::string reply_text{};
  std::uint16_t class_id = 0;
  std::uint16_t method_id = 0;
  template <class V>
  void fields(V& v) {
    v.u16(reply_code);
    v.shortstr(reply_text);
    v.u16(class_id);
    v.u16(method_id);
  }
  friend bool operator==(const ChannelClose&, const ChannelClose&) = default;
};

struct ChannelCloseOk {
  static constexpr std::uint16_t kClassId = 20;
  static constexpr std::uint16_t kMethodId = 41;
  static constexpr const char* kName = "channel.close-ok";
  template <class V>
  void fields(V&) {}
  friend bool operator==(const ChannelCloseOk&, const ChannelCloseOk&) = default;
};

}  // namespace fern::amqp::methods
