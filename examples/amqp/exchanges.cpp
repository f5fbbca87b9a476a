// Tutorials 3, 4 and 5: producers publish to an exchange, never to a queue; each consumer declares
// its own exclusive, broker-named queue and binds it, so it gets the messages its binding keys
// select:
//   publish_subscribe  a fanout exchange `logs`: every bound queue gets every message;
//   routing            a direct exchange `direct_logs`: a queue gets the messages whose routing key
//                      (the severity) equals one of its binding keys;
//   topics             a topic exchange `topic_logs`: binding keys are patterns over dot-separated
//                      words, `*` one word, `#` zero or more.
// In a demo the producer ends with a message whose body is kEnd, on a key every consumer is bound
// to: a consumer has seen everything meant for it when kEnd arrives (one publisher's messages reach
// each queue in order), so the checks need no timing.
#include <stdexcept>
#include <utility>

#include "tutorials.hpp"

namespace tutorial {
namespace {

const std::string kEnd = "(end of demo)";

using Log = std::vector<std::pair<std::string, std::string>>;  // (routing key, body)

void emit(int port, const char* name, const std::string& exchange, const std::string& type,
          const Log& messages) {
  amqp::Connection connection(options_for(port));
  amqp::Channel channel = connection.channel();
  channel.exchange_declare(exchange, type);
  for (const auto& [key, body] : messages) {
    channel.publish(exchange, key, body);
    if (body != kEnd) say(name, "Sent " + (key.empty() ? "" : key + ":") + "'" + body + "'");
  }
  connection.close();
}

Log receive_logs(const Run& run, const char* name, const std::string& exchange, const std::string& type,
                 const std::vector<std::string>& binding_keys) {
  amqp::Connection connection(options_for(run.port));
  amqp::Channel channel = connection.channel();
  channel.exchange_declare(exchange, type);
  // An empty name: the broker picks one; exclusive: it goes away with this connection.
  const std::string queue = channel.queue_declare("", {.exclusive = true}).name;
  std::string keys;
  for (const std::string& key : binding_keys) {
    channel.queue_bind(queue, exchange, key);
    keys += (keys.empty() ? "" : ", ") + (key.empty() ? std::string("(all)") : key);
  }
  amqp::Consumer consumer = channel.consume(queue, {.no_ack = true});
  run.announce();
  say(name, "Waiting for logs on " + keys + ".");
  Log received;
  while (true) {
    std::optional<amqp::Delivery> delivery = consumer.next(run.patience());
    if (!delivery) break;
    if (run.demo && delivery->body() == kEnd) break;
    say(name, "Received " + (delivery->routing_key.empty() ? "" : delivery->routing_key + ":") + "'" +
                  delivery->body() + "'");
    received.emplace_back(delivery->routing_key, delivery->body());
  }
  connection.close();
  return received;
}

// Runs one emitter and two receivers (bound with `keys1` and `keys2`); true when each receiver saw
// exactly what it expects, in order.
bool exchange_demo(int port, const std::string& exchange, const std::string& type,
                   const std::vector<std::string>& keys1, const std::vector<std::string>& keys2, Log messages,
                   const std::string& end_key, const Log& expect1, const Log& expect2) {
  fern::Event ready1, ready2;
  Log got1, got2;
  messages.emplace_back(end_key, kEnd);
  const bool ok = run_parties({
      [&] {
        got1 = receive_logs(Run{port, true, &ready1}, "[receiver 1]", exchange, type, keys1);
      },
      [&] {
        got2 = receive_logs(Run{port, true, &ready2}, "[receiver 2]", exchange, type, keys2);
      },
      [&] {
        if (!ready1.wait(kPatience) || !ready2.wait(kPatience))
          throw std::runtime_error("receivers not ready");
        emit(port, "[emit]", exchange, type, messages);
      },
  });
  return ok && got1 == expect1 && got2 == expect2;
}

std::string words(const std::vector<std::string>& args, std::size_t from, const char* otherwise) {
  std::string text;
  for (std::size_t i = from; i < args.size(); ++i) text += (i > from ? " " : "") + args[i];
  return text.empty() ? otherwise : text;
}

// --- 3. Publish/Subscribe

bool publish_subscribe_demo(int port) {
  const Log logs = {{"", "info: Hello World!"}, {"", "warning: disk 80% full"}, {"", "error: disk full"}};
  return exchange_demo(port, "logs", "fanout", {""}, {""}, logs, "", logs, logs);
}

int publish_subscribe_run(int port, const std::vector<std::string>& args) {
  if (args[0] == "emit_log") {
    emit(port, "[emit_log]", "logs", "fanout", {{"", words(args, 1, "info: Hello World!")}});
  } else if (args[0] == "receive_logs") {
    receive_logs(Run{port}, "[receive]", "logs", "fanout", {""});
  } else {
    return 2;
  }
  return 0;
}

// --- 4. Routing

bool routing_demo(int port) {
  const Log logs = {{"info", "Starting up"},
                    {"warning", "Disk 80% full"},
                    {"error", "Disk full"},
                    {"info", "Shutting down"}};
  return exchange_demo(port, "direct_logs", "direct", {"error"}, {"info", "warning", "error"}, logs, "error",
                       {{"error", "Disk full"}}, logs);
}

int routing_run(int port, const std::vector<std::string>& args) {
  if (args[0] == "emit_log_direct" && args.size() >= 2) {
    emit(port, "[emit_log]", "direct_logs", "direct", {{args[1], words(args, 2, "Hello World!")}});
  } else if (args[0] == "receive_logs_direct" && args.size() >= 2) {
    receive_logs(Run{port}, "[receive]", "direct_logs", "direct", {args.begin() + 1, args.end()});
  } else {
    return 2;
  }
  return 0;
}

// --- 5. Topics

bool topics_demo(int port) {
  Log logs;
  for (const char* key : {"quick.orange.rabbit", "lazy.orange.elephant", "quick.orange.fox", "lazy.brown.fox",
                          "lazy.pink.rabbit", "quick.brown.fox", "orange", "quick.orange.male.rabbit",
                          "lazy.orange.male.rabbit"})
    logs.emplace_back(key, std::string("about ") + key);
  auto only = [&](std::initializer_list<const char*> keys) {
    Log out;
    for (const auto& entry : logs)
      for (const char* key : keys)
        if (entry.first == key) out.push_back(entry);
    return out;
  };
  return exchange_demo(port, "topic_logs", "topic", {"*.orange.*"}, {"*.*.rabbit", "lazy.#"}, logs,
                       "lazy.orange.rabbit",
                       only({"quick.orange.rabbit", "lazy.orange.elephant", "quick.orange.fox"}),
                       only({"quick.orange.rabbit", "lazy.orange.elephant", "lazy.brown.fox",
                             "lazy.pink.rabbit", "lazy.orange.male.rabbit"}));
}

int topics_run(int port, const std::vector<std::string>& args) {
  if (args[0] == "emit_log_topic" && args.size() >= 2) {
    emit(port, "[emit_log]", "topic_logs", "topic", {{args[1], words(args, 2, "Hello World!")}});
  } else if (args[0] == "receive_logs_topic" && args.size() >= 2) {
    receive_logs(Run{port}, "[receive]", "topic_logs", "topic", {args.begin() + 1, args.end()});
  } else {
    return 2;
  }
  return 0;
}

}  // namespace

Tutorial publish_subscribe() {
  return {"publish_subscribe", "3. Publish/Subscribe: a fanout exchange, every receiver gets every log",
          "emit_log [MESSAGE] | receive_logs", &publish_subscribe_demo, &publish_subscribe_run};
}

Tutorial routing() {
  return {"routing", "4. Routing: a direct exchange, receivers bind the severities they want",
          "emit_log_direct SEVERITY [MESSAGE] | receive_logs_direct SEVERITY...", &routing_demo,
          &routing_run};
}

Tutorial topics() {
  return {"topics", "5. Topics: a topic exchange, receivers bind patterns (* one word, # any)",
          "emit_log_topic KEY [MESSAGE] | receive_logs_topic PATTERN...", &topics_demo, &topics_run};
}

}  // namespace tutorial
