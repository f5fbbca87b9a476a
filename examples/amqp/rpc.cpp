// Tutorial 6: RPC over queues. The server consumes `rpc_queue` (prefetch 1, so several servers
// share the load) and answers each request on the queue named by its reply_to, with the request's
// correlation_id. The client declares an exclusive, broker-named callback queue, sends
// fib(n) requests with reply_to = that queue and a fresh correlation_id, and takes the reply whose
// correlation_id matches (anything else on the callback queue is ignored).
#include <unistd.h>

#include <atomic>
#include <stdexcept>

#include "tutorials.hpp"

namespace tutorial {
namespace {

// Iterative: the tutorial's recursive fib would hold the thread, and every greenlet on it, for seconds.
std::uint64_t fib(unsigned n) {
  std::uint64_t a = 0, b = 1;
  for (unsigned i = 0; i < n; ++i) {
    const std::uint64_t next = a + b;
    a = b;
    b = next;
  }
  return a;
}

// Serves `limit` requests (0: forever).
int rpc_server(const Run& run, int limit) {
  amqp::Connection connection(options_for(run.port));
  amqp::Channel channel = connection.channel();
  channel.queue_declare("rpc_queue");
  channel.qos(1);
  amqp::Consumer consumer = channel.consume("rpc_queue");
  run.announce();
  say("[server]", "Awaiting RPC requests");
  int served = 0;
  while (limit == 0 || served < limit) {
    std::optional<amqp::Delivery> request = consumer.next(run.patience());
    if (!request) break;
    const unsigned n = static_cast<unsigned>(std::stoul(request->body()));
    say("[server]", "fib(" + std::to_string(n) + ")");
    amqp::Properties reply;
    reply.correlation_id = request->properties().correlation_id;
    channel.publish("", request->properties().reply_to.value_or(""), std::to_string(fib(n)), reply);
    request->ack();
    ++served;
  }
  connection.close();
  return served;
}

class FibonacciRpcClient {
 public:
  FibonacciRpcClient(const Run& run)
      : run_(run),
        connection_(options_for(run.port)),
        channel_(connection_.channel()),
        callback_queue_(channel_.queue_declare("", {.exclusive = true}).name),
        replies_(channel_.consume(callback_queue_, {.no_ack = true})) {}

  std::uint64_t call(unsigned n) {
    static std::atomic<unsigned> next_id{0};
    const std::string correlation_id = "fib-" + std::to_string(::getpid()) + "-" + std::to_string(++next_id);
    amqp::Properties request;
    request.reply_to = callback_queue_;
    request.correlation_id = correlation_id;
    channel_.publish("", "rpc_queue", std::to_string(n), request);
    while (true) {
      std::optional<amqp::Delivery> reply = replies_.next(run_.patience());
      if (!reply) throw std::runtime_error("no reply to fib(" + std::to_string(n) + ")");
      if (reply->properties().correlation_id == correlation_id) return std::stoull(reply->body());
    }
  }

  void close() { connection_.close(); }

 private:
  Run run_;
  amqp::Connection connection_;
  amqp::Channel channel_;
  std::string callback_queue_;
  amqp::Consumer replies_;
};

std::vector<std::uint64_t> rpc_client(const Run& run, const std::vector<unsigned>& ns) {
  FibonacciRpcClient client(run);
  std::vector<std::uint64_t> answers;
  for (unsigned n : ns) {
    say("[client]", "Requesting fib(" + std::to_string(n) + ")");
    answers.push_back(client.call(n));
    say("[client]", "Got " + std::to_string(answers.back()));
  }
  client.close();
  return answers;
}

bool rpc_demo(int port) {
  const std::vector<unsigned> ns = {10, 30, 90};
  fern::Event server_ready;
  int served = 0;
  std::vector<std::uint64_t> answers;
  const bool ok = run_parties({
      [&] {
        served = rpc_server(Run{port, true, &server_ready}, static_cast<int>(ns.size()));
      },
      [&] {
        if (!server_ready.wait(kPatience)) throw std::runtime_error("server not ready");
        answers = rpc_client(Run{port, true}, ns);
      },
  });
  return ok && served == 3 && answers == std::vector<std::uint64_t>{55, 832040, 2880067194370816120ull};
}

int rpc_run(int port, const std::vector<std::string>& args) {
  if (args[0] == "server") {
    rpc_server(Run{port}, 0);
  } else if (args[0] == "client") {
    std::vector<unsigned> ns;
    for (std::size_t i = 1; i < args.size(); ++i) ns.push_back(static_cast<unsigned>(std::stoul(args[i])));
    if (ns.empty()) ns.push_back(30);
    rpc_client(Run{port}, ns);
  } else {
    return 2;
  }
  return 0;
}

}  // namespace

Tutorial rpc() {
  return {"rpc", "6. RPC: a fib server, a client with reply_to and correlation_id", "server | client [N...]",
          &rpc_demo, &rpc_run};
}

}  // namespace tutorial
