// The fern side of bench/amqp: one Connection, one Channel, persistent messages (delivery_mode 2) to a
// durable queue through the default exchange, the same workloads as rabbitmq_c_bench.c and
// pika_bench.py:
//   publish  N publishes without confirms; the run ends when the queue holds all N (a passive
//            queue.declare repeated every millisecond until its message count is N);
//   confirm  confirm.select, then batches of B publishes in flight (each publish returns its Confirm
//            at once) and wait_for_confirms() per batch: every message acknowledged at the end;
//   consume  qos prefetch 100, one consumer, next() + ack per delivery until N were taken (the queue
//            must hold N already: see fill);
//   fill     purge and publish N as `publish` (the untimed set-up of a consume run).
// Prints one line a script reads:
//
//   messages=N seconds=S cpu_seconds=U sends=K recvs=R
//
// CPU time is this process's user+system time (getrusage) over the timed part; sends and recvs are
// the connection's transport calls in it.
#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <stdexcept>
#include <string>

#include "fern/clients/amqp/connection.hpp"
#include "fern/hub/sleep.hpp"

namespace {

namespace amqp = fern::amqp;
using namespace std::chrono_literals;

struct Settings {
  int port = 5672;
  std::string test = "publish";
  long size = 100;
  long messages = 10000;
  long batch = 1000;
  std::string queue = "fern.bench";
};

double cpu_seconds() {
  rusage u{};
  ::getrusage(RUSAGE_SELF, &u);
  auto s = [](const timeval& t) {
    return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6;
  };
  return s(u.ru_utime) + s(u.ru_stime);
}

Settings parse(int argc, char** argv) {
  Settings s;
  for (int i = 1; i + 1 < argc; i += 2) {
    const char* k = argv[i];
    const char* v = argv[i + 1];
    if (!std::strcmp(k, "--port"))
      s.port = std::atoi(v);
    else if (!std::strcmp(k, "--test"))
      s.test = v;
    else if (!std::strcmp(k, "--size"))
      s.size = std::max(0L, std::atol(v));
    else if (!std::strcmp(k, "--messages"))
      s.messages = std::max(1L, std::atol(v));
    else if (!std::strcmp(k, "--batch"))
      s.batch = std::max(1L, std::atol(v));
    else if (!std::strcmp(k, "--queue"))
      s.queue = v;
    else {
      std::fprintf(stderr, "bench_amqp_client: unknown option %s\n", k);
      std::exit(2);
    }
  }
  return s;
}

amqp::Options options(const Settings& s) {
  amqp::Options o;
  o.port = static_cast<std::uint16_t>(s.port);
  return o;
}

class Bench {
 public:
  explicit Bench(const Settings& s)
      : s_(s),
        body_(static_cast<std::size_t>(s.size), 'x'),
        connection_(options(s)),
        channel_(connection_.channel()) {
    props_.delivery_mode = 2;
    amqp::QueueOptions durable;
    durable.durable = true;
    channel_.queue_declare(s.queue, durable);
  }

  void purge() { channel_.queue_purge(s_.queue); }
  void confirm_select() { channel_.confirm_select(); }
  amqp::ConnectionStats stats() const { return connection_.stats(); }

  void run(const std::string& test) {
    if (test == "publish" || test == "fill") {
      publish_all();
    } else if (test == "confirm") {
      publish_confirmed();
    } else if (test == "consume") {
      consume();
    } else {
      throw std::invalid_argument("unknown --test " + test);
    }
  }

  // The queue's message count, asked after every earlier publish on the channel.
  std::uint32_t depth() {
    amqp::QueueOptions passive;
    passive.passive = true;
    return channel_.queue_declare(s_.queue, passive).message_count;
  }

 private:
  void publish_all() {
    for (long i = 0; i < s_.messages; ++i) channel_.publish("", s_.queue, body_, props_);
    wait_until_queued();
  }

  // The queue process may still be taking in what the channel routed: ask every millisecond, for at
  // most a minute.
  void wait_until_queued() {
    const auto n = static_cast<std::uint32_t>(s_.messages);
    for (int i = 0; i < 60000; ++i) {
      const std::uint32_t d = depth();
      if (d == n) return;
      if (d > n) throw std::runtime_error("the queue holds more messages than were published");
      fern::sleep(1ms);
    }
    throw std::runtime_error("the queue never held every published message");
  }

  void publish_confirmed() {
    for (long sent = 0; sent < s_.messages;) {
      const long n = std::min(s_.batch, s_.messages - sent);
      for (long i = 0; i < n; ++i) channel_.publish("", s_.queue, body_, props_);
      sent += n;
      const amqp::ConfirmTally tally = channel_.wait_for_confirms();
      if (!tally.all_confirmed() || tally.confirmed != static_cast<std::uint64_t>(n))
        throw std::runtime_error("a batch was not confirmed: " + std::to_string(tally.confirmed) +
                                 " confirmed, " + std::to_string(tally.nacked) + " nacked, " +
                                 std::to_string(tally.unknown) + " unknown");
    }
  }

  void consume() {
    channel_.qos(100);
    amqp::Consumer consumer = channel_.consume(s_.queue);
    for (long i = 0; i < s_.messages; ++i) {
      std::optional<amqp::Delivery> delivery = consumer.next(30s);
      if (!delivery)
        throw std::runtime_error("the consumer ran dry after " + std::to_string(i) + " messages");
      if (delivery->body().size() != body_.size()) throw std::runtime_error("delivery of the wrong size");
      delivery->ack();
    }
  }

  const Settings& s_;
  std::string body_;
  amqp::Properties props_;
  amqp::Connection connection_;
  amqp::Channel channel_;
};

}  // namespace

int main(int argc, char** argv) {
  const Settings s = parse(argc, argv);
  try {
    Bench bench(s);
    if (s.test != "consume") bench.purge();
    if (s.test == "confirm") bench.confirm_select();
    const amqp::ConnectionStats before = bench.stats();
    const double cpu0 = cpu_seconds();
    const auto t0 = std::chrono::steady_clock::now();
    bench.run(s.test);
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    const double cpu = cpu_seconds() - cpu0;
    const amqp::ConnectionStats after = bench.stats();
    if (s.test == "confirm" && bench.depth() != static_cast<std::uint32_t>(s.messages))
      throw std::runtime_error("the queue does not hold every confirmed message");
    std::printf("messages=%ld seconds=%.6f cpu_seconds=%.6f sends=%llu recvs=%llu\n", s.messages, seconds,
                cpu, static_cast<unsigned long long>(after.sends - before.sends),
                static_cast<unsigned long long>(after.recvs - before.recvs));
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bench_amqp_client: %s\n", e.what());
    return 1;
  }
  return 0;
}
