#include "fern/net/datagram_server.hpp"

#include <cstdio>
#include <exception>
#include <string>
#include <system_error>
#include <utility>

#include "fern/base/error.hpp"
#include "fern/greenlet/greenlet.hpp"
#include "fern/hub/sleep.hpp"

namespace fern::net {
DatagramServer::DatagramServer(const Address& local, Handler handler, DatagramServerOptions options)
    : local_(local), handler_(std::move(handler)), options_(std::move(options)) {
  if (!options_.log) options_.log = log_to_stderr;
  if (options_.max_datagram == 0)
    throw_error(Errc::invalid_argument, "fern: DatagramServer max_datagram is 0");
  if (options_.concurrency > 0) pool_ = std::make_unique<Pool>(options_.concurrency);
}

DatagramServer::DatagramServer(std::string_view ip, std::uint16_t port, Handler handler,
                               DatagramServerOptions options)
    : DatagramServer(Address::ip(ip, port), std::move(handler), std::move(options)) {}

DatagramServer::DatagramServer(Socket socket, Handler handler, DatagramServerOptions options)
    : DatagramServer(socket.local_address(), std::move(handler), std::move(options)) {
  socket_ = std::move(socket);
}

DatagramServer::~DatagramServer() {
  stopping_ = true;
  socket_.close();
  try {
    if (receiver_) receiver_->kill();
    if (pool_) pool_->kill();
  } catch (...) {
    // Nowhere to park (the hub is going away): the hub unwinds them itself.
  }
}

void DatagramServer::start() {
  if (started_) return;
  if (stopping_) throw_error(Errc::closed, "fern: DatagramServer::start after stop");
  if (!socket_.is_open()) {
    Socket s(local_.family(), SOCK_DGRAM);
    if (options_.reuse_port) s.set_reuse_port();
    s.bind(local_);
    socket_ = std::move(s);
  }
  bound_ = socket_.local_address();
  buffer_.resize(options_.max_datagram);
  receiver_ = spawn([this] { receive_loop(); });
  started_ = true;
}

void DatagramServer::serve_forever() {
  start();
  stopped_.wait();
}

bool DatagramServer::stop(Duration grace) {
  if (stop_in_progress_) {
    if (!stopped_.is_set()) stopped_.wait();
    return !pool_ || pool_->empty();
  }
  stop_in_progress_ = true;
  stopping_ = true;
  // The receiver may be running a handler inline: let it finish within the grace, like the others.
  bool clean = true;
  if (receiver_ && current_spawned() != receiver_.get_pointer()) {
    if (receiving_) {
      receiver_->kill();  // parked in recvfrom (or a free Pool slot): nothing to finish
    } else if (!receiver_->join(grace)) {
      clean = false;
      receiver_->kill();
    }
  }
  if (pool_) {
    if (HubGreenlet* self = current_spawned()) pool_->discard(GreenletRef<>(self));
    if (!pool_->join(clean ? grace : Duration::zero())) {
      clean = false;
      pool_->kill();
    }
  }
  socket_.close();
  stopped_.set();
  return clean;
}

void DatagramServer::receive_loop() {
  while (!stopping_) {
    Address from;
    std::error_code ec;
    receiving_ = true;
    if (pool_ && pool_->full()) pool_->wait_available();
    std::size_t n = socket_.recv_from(buffer_.data(), buffer_.size(), from, ec);
    receiving_ = false;
    if (stopping_ || ec == make_error_code(Errc::closed)) return;
    if (ec) {
      // ICMP errors of earlier send_to calls (ECONNREFUSED) surface here; they concern one peer.
      if (ec != std::errc::connection_refused && ec != std::errc::interrupted)
        log("fern: DatagramServer " + bound_.to_string() + ": recvfrom failed: " + ec.message());
      if (ec == std::errc::no_buffer_space || ec == std::errc::not_enough_memory)
        sleep(std::chrono::milliseconds(10));
      continue;
    }
    dispatch(std::string_view(buffer_.data(), n), from);
  }
}

void DatagramServer::dispatch(std::string_view datagram, const Address& from) {
  if (!pool_) {
    run_handler(datagram, from);
    return;
  }
  auto g = spawn([this](std::string copy, Address sender) { run_handler(copy, sender); },
                 std::string(datagram), from);
  pool_->add(g);
}

void DatagramServer::run_handler(std::string_view datagram, const Address& from) {
  try {
    handler_(datagram, from, *this);
  } catch (const GreenletExit&) {
    throw;
  } catch (...) {
    log("fern: DatagramServer " + bound_.to_string() + ": handler for " + from.to_string() +
        " failed: " + describe_exception(std::current_exception()));
  }
}

}  // namespace fern::net
