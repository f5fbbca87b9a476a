// A throwaway RabbitMQ broker for the integration tests: rabbitmq-server on 127.0.0.1 in its own temporary
// directory (data, logs, cookie, config), with its own epmd on a private port so that tests running in
// parallel never share a name registry. The broker runs as the `rabbitmq` user (it is started through
// setpriv), dies with the test process (parent-death signal SIGKILL) and is killed when the object goes
// away. Starting takes several seconds; every call blocks the calling thread until the broker answers or
// kStartPatience runs out (then std::runtime_error carries the broker's log).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "servers.hpp"

namespace fern_test {

class RabbitmqServer {
 public:
  // `config_lines` go into rabbitmq.conf (new-style sysctl format), e.g. "heartbeat = 1" or
  // "channel_max = 16".
  explicit RabbitmqServer(std::vector<std::string> config_lines = {});
  RabbitmqServer(const RabbitmqServer&) = delete;
  RabbitmqServer& operator=(const RabbitmqServer&) = delete;
  ~RabbitmqServer();

  int port() const { return port_; }                 // AMQP 0-9-1 on 127.0.0.1; user guest/guest
  const std::string& node() const { return node_; }  // e.g. fern1234x1@localhost
  const std::string& data_dir() const { return dir_.path(); }
  int epmd_port() const { return epmd_port_; }  // the broker's private epmd
  bool running();

  // SIGKILL, like a crash: the data directory stays, so start() brings back durable queues and the
  // persistent messages the broker had written.
  void kill();
  // Clean shutdown: SIGTERM makes the Erlang VM run init:stop (the same as `rabbitmqctl stop`).
  void stop();
  // Starts again on the same ports and the same data directory; returns once AMQP connections are
  // accepted.
  void start();
  // stop() + start().
  void restart();

  // Runs `rabbitmqctl -n NODE -q ARGS...` against this broker and returns its standard output, e.g.
  // ctl({"list_queues", "name", "messages", "--no-table-headers"}) or
  // ctl({"close_all_connections", "test"}) or ctl({"set_vm_memory_high_watermark", "0.0000001"}).
  // Throws std::runtime_error with the output if rabbitmqctl fails.
  std::string ctl(const std::vector<std::string>& args);
  // The `messages` count of `queue` in vhost "/" (ready + unacknowledged), or -1 if no such queue.
  long queue_messages(const std::string& queue);
  // Makes the broker write its metadata store (queue and exchange definitions) from its
  // transaction log into its table files, so a SIGKILL right after cannot lose a durable queue
  // declared just before (seen on a loaded machine: the declaration was gone after the restart).
  void flush_metadata();

  // The broker's console output and its log file, for failure messages.
  std::string log() const;

 private:
  void write_config(const std::vector<std::string>& config_lines);
  std::vector<std::string> environment() const;

  TempDir dir_;
  int port_;
  int dist_port_;
  int epmd_port_;
  std::string node_;
  std::unique_ptr<ChildProcess> epmd_;
  std::unique_ptr<ChildProcess> broker_;
};

}  // namespace fern_test
