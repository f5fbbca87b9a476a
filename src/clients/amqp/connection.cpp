// Connection: the handle over a ConnectionCore.
#include "fern/clients/amqp/connection.hpp"

#include "channel_core.hpp"
#include "connection_core.hpp"

namespace fern::amqp {

Connection::Connection(Options options)
    : core_(std::make_shared<detail::ConnectionCore>(std::move(options))) {
  core_->open();
}
Connection::Connection(Connection&&) noexcept = default;
Connection& Connection::operator=(Connection&& other) noexcept {
  if (this != &other) {
    if (core_) core_->abort();
    core_ = std::move(other.core_);
  }
  return *this;
}
Connection::~Connection() {
  if (core_) core_->abort();
}

Channel Connection::channel() { return Channel(core_->open_channel()); }
void Connection::close() { core_->close(); }
void Connection::abort() noexcept { core_->abort(); }
bool Connection::is_open() const noexcept { return core_ && core_->is_open(); }
bool Connection::blocked() const noexcept { return core_->blocked(); }
std::optional<CloseReason> Connection::close_reason() const { return core_->close_reason(); }
std::exception_ptr Connection::error() const { return core_->error(); }
std::uint32_t Connection::frame_max() const noexcept { return core_->tuning().frame_max; }
std::uint16_t Connection::channel_max() const noexcept { return core_->tuning().channel_max; }
std::chrono::seconds Connection::heartbeat() const noexcept { return core_->tuning().heartbeat; }
const FieldTable& Connection::server_properties() const noexcept { return core_->server_properties(); }
const Options& Connection::options() const noexcept { return core_->options(); }
ConnectionStats Connection::stats() const noexcept { return core_->stats(); }

}  // namespace fern::amqp
