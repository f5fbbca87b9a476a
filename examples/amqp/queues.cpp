// Tutorials 1 and 2: a queue between a producer and consumers.
//   hello_world  "Hello World!" through the queue `hello`: the sender and the receiver both declare it,
//                so whichever starts first, the message waits in it.
//   work_queues  tasks on the durable queue `task_queue`, persistent, handed to several workers with
//                fair dispatch (prefetch 1: a busy worker gets nothing new until it acknowledges) and
//                manual acks (a worker that dies before its ack gives its task back). Each dot in a
//                task is a second of work (a tenth of a second in the demo).
#include <algorithm>
#include <chrono>
#include <set>
#include <stdexcept>

#include "fern/hub/sleep.hpp"
#include "tutorials.hpp"

namespace tutorial {
namespace {

using namespace std::chrono_literals;

// --- 1. Hello World

void hello_send(int port) {
  amqp::Connection connection(options_for(port));
  amqp::Channel channel = connection.channel();
  channel.queue_declare("hello");
  channel.publish("", "hello", "Hello World!");
  say("[send]", "Sent 'Hello World!'");
  connection.close();
}

// Prints every message; stops after `limit` (0: never) or, in a demo, after kPatience of silence.
std::vector<std::string> hello_receive(const Run& run, std::size_t limit) {
  amqp::Connection connection(options_for(run.port));
  amqp::Channel channel = connection.channel();
  channel.queue_declare("hello");
  amqp::Consumer consumer = channel.consume("hello", {.no_ack = true});
  run.announce();
  say("[receive]", "Waiting for messages.");
  std::vector<std::string> received;
  while (limit == 0 || received.size() < limit) {
    std::optional<amqp::Delivery> delivery = consumer.next(run.patience());
    if (!delivery) break;
    say("[receive]", "Received '" + delivery->body() + "'");
    received.push_back(delivery->body());
  }
  connection.close();
  return received;
}

bool hello_demo(int port) {
  std::vector<std::string> received;
  const bool ok = run_parties({[&] {
                                 received = hello_receive(Run{port, true}, 1);
                               },
                               [&] { hello_send(port); }});
  return ok && received == std::vector<std::string>{"Hello World!"};
}

int hello_run(int port, const std::vector<std::string>& args) {
  if (args[0] == "send") {
    hello_send(port);
  } else if (args[0] == "receive") {
    hello_receive(Run{port}, 0);
  } else {
    return 2;
  }
  return 0;
}

// --- 2. Work queues

void new_task(int port, const std::vector<std::string>& tasks) {
  amqp::Connection connection(options_for(port));
  amqp::Channel channel = connection.channel();
  channel.queue_declare("task_queue", {.durable = true});
  amqp::Properties persistent;
  persistent.delivery_mode = 2;  // survives a broker restart, with the durable queue
  for (const std::string& task : tasks) {
    channel.publish("", "task_queue", task, persistent);
    say("[new_task]", "Sent '" + task + "'");
  }
  connection.close();
}

struct WorkerLog {
  std::vector<std::string> done;
  bool fair = true;  // never held a second task while working on one
};

// Takes tasks one at a time. With prefetch 1 the broker sends nothing else to this worker before the
// ack, which the worker checks: its consumer's buffer stays empty while it works. In a demo it stops
// once `all_done` tasks were finished by all workers together.
WorkerLog worker(const Run& run, const char* name, std::chrono::milliseconds per_dot, int* finished = nullptr,
                 int all_done = 0) {
  amqp::Connection connection(options_for(run.port));
  amqp::Channel channel = connection.channel();
  channel.queue_declare("task_queue", {.durable = true});
  channel.qos(1);
  amqp::Consumer consumer = channel.consume("task_queue");
  run.announce();
  say(name, "Waiting for messages.");
  WorkerLog log;
  auto silence = fern::Duration::zero();
  while (!finished || *finished < all_done) {
    std::optional<amqp::Delivery> task = consumer.next(run.demo ? fern::Duration(100ms) : fern::kForever);
    if (!task) {
      silence += 100ms;
      if (silence > run.patience()) break;
      continue;
    }
    silence = fern::Duration::zero();
    say(name, "Received '" + task->body() + "'");
    if (consumer.buffered() != 0) log.fair = false;
    fern::sleep(per_dot * std::count(task->body().begin(), task->body().end(), '.'));
    if (consumer.buffered() != 0) log.fair = false;
    say(name, "Done");
    task->ack();
    log.done.push_back(task->body());
    if (finished) ++*finished;
  }
  connection.close();
  return log;
}

bool work_queues_demo(int port) {
  const std::vector<std::string> tasks = {"A long task..........", "Short one.", "Short two.", "Short three.",
                                          "Short four."};
  fern::Event a_ready, b_ready;
  int finished = 0;
  WorkerLog a, b;
  const bool ok = run_parties({
      [&] {
        a = worker(Run{port, true, &a_ready}, "[worker A]", 100ms, &finished, int(tasks.size()));
      },
      [&] {
        b = worker(Run{port, true, &b_ready}, "[worker B]", 100ms, &finished, int(tasks.size()));
      },
      [&] {
        if (!a_ready.wait(kPatience) || !b_ready.wait(kPatience))
          throw std::runtime_error("workers not ready");
        new_task(port, tasks);
      },
  });
  std::multiset<std::string> done(a.done.begin(), a.done.end());
  done.insert(b.done.begin(), b.done.end());
  say("[summary]", "worker A did " + std::to_string(a.done.size()) + ", worker B did " +
                       std::to_string(b.done.size()) +
                       "; no worker ever held two tasks: " + (a.fair && b.fair ? "yes" : "no"));
  return ok && a.fair && b.fair && done == std::multiset<std::string>(tasks.begin(), tasks.end());
}

int work_queues_run(int port, const std::vector<std::string>& args) {
  if (args[0] == "new_task") {
    std::string task;
    for (std::size_t i = 1; i < args.size(); ++i) task += (i > 1 ? " " : "") + args[i];
    new_task(port, {task.empty() ? "Hello World!" : task});
  } else if (args[0] == "worker") {
    worker(Run{port}, "[worker]", 1000ms);
  } else {
    return 2;
  }
  return 0;
}

}  // namespace

Tutorial hello_world() {
  return {"hello_world", "1. Hello World: one producer, one consumer, the queue `hello`", "send | receive",
          &hello_demo, &hello_run};
}

Tutorial work_queues() {
  return {"work_queues",
          "2. Work queues: persistent tasks, two workers, fair dispatch (prefetch 1) and manual acks",
          "new_task [TASK WORDS...] | worker", &work_queues_demo, &work_queues_run};
}

}  // namespace tutorial
