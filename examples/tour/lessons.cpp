#include "lessons.hpp"

#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <utility>

#include "server_lessons.hpp"

extern char** environ;

namespace tour {
namespace {

int lesson_l1() { return run_example("greenlet_switch", {}); }
int lesson_l2() { return run_example("gevent_sleep", {"--scale", "0.2"}); }
int lesson_l3() {
  int fern_client = run_example("crawl", {"--demo"});
  int patched_libc = run_example("monkey_patch/monkey_patch", {});
  return fern_client != 0 ? fern_client : patched_libc;
}
int lesson_l12() { return run_example("aio_sleep", {"1"}); }
int lesson_l13() { return run_example("aio_generators", {"1"}); }
int lesson_l14() { return run_example("event_loop", {}); }
int lesson_l15() { return run_example("amqp/amqp_tutorials", {"--demo"}); }
int lesson_l16() { return run_example("redis_cache", {"--demo"}); }
int lesson_l17() { return run_example("mysql_bank", {"--demo"}); }
int step_observe() { return run_example("observe", {}); }

}  // namespace

int run_example(const std::string& name, const std::vector<std::string>& args) {
  std::string path = std::string(FERN_EXAMPLES_DIR) + "/" + name;
  std::vector<char*> argv;
  argv.push_back(path.data());
  std::vector<std::string> copies(args);
  for (std::string& a : copies) argv.push_back(a.data());
  argv.push_back(nullptr);
  int out[2];
  if (::pipe(out) != 0) return -1;
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, out[1], 1);
  posix_spawn_file_actions_adddup2(&actions, out[1], 2);
  posix_spawn_file_actions_addclose(&actions, out[0]);
  pid_t pid;
  int rc = posix_spawn(&pid, path.c_str(), &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  ::close(out[1]);
  if (rc != 0) {
    ::close(out[0]);
    std::printf("    (cannot start %s: %s)\n", path.c_str(), std::strerror(rc));
    return -1;
  }
  FILE* in = ::fdopen(out[0], "r");
  char line[4096];
  while (std::fgets(line, sizeof line, in)) std::printf("    %s", line);
  std::fclose(in);
  int status = 0;
  ::waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

const std::vector<Lesson>& lessons() {
  static const std::vector<Lesson> all = [] {
    std::vector<Lesson> v = {
        {"L1", "greenlet: two greenlets switch explicitly (test1/test2)",
         "control moves only where switch_to says: the prints come 12, 56, 34, 78", &lesson_l1},
        {"L2", "gevent: foo, bar and func sleep 5 s, 2 s and 0.5 s (scaled x0.2 here)",
         "sleeping parks a greenlet in the hub: wake-ups come in deadline order and the run takes the "
         "longest sleep, not the sum",
         &lesson_l2},
        {"L3", "concurrent page fetch: URLs serially vs with spawn (and with monkey patching)",
         "fern's HTTP client against a local server with per-path delays: serial = the sum, spawn = the "
         "slowest; then unmodified blocking libc code made cooperative by patch_all()",
         &lesson_l3},
        {"L12", "asyncio: two tasks await sleep(1), run_until_complete(wait([...]))",
         "C++20 tasks on the hub: both sleeps overlap, so the run takes about 1 s, not 2", &lesson_l12},
        {"L13", "generators: yield, send, yield from, and a mini scheduler",
         "Generator<T, Send> prints in the seed's order; the scheduler sleeps until the nearest wake time",
         &lesson_l13},
        {"L14", "event-driven model: an event queue and a loop dispatching handlers",
         "call_soon, call_later (one cancelled), add_reader on a pipe, a greenlet feeding the pipe, stop(): "
         "callbacks and greenlets on one hub",
         &lesson_l14},
        {"L15", "RabbitMQ: the six tutorials (hello world, work queues, pub/sub, routing, topics, RPC)",
         "a real rabbitmq-server: each tutorial's producer and consumers as greenlets of one thread; fair "
         "dispatch with prefetch 1, fanout/direct/topic routing, RPC by reply_to and correlation_id",
         &lesson_l15},
        {"L16", "Redis as a cache: cache-aside in front of a 50 ms lookup",
         "a real redis-server: misses fill the cache, hits skip the database; 20 greenlets share one "
         "connection through automatic pipelining",
         &lesson_l16},
        {"L17", "a database from greenlets: a bank schema, 50 concurrent writers, a rolled-back transfer",
         "a real mariadbd: 50 greenlets in one thread insert and read over a pool of 10 connections; an "
         "overdrawing transfer is rolled back by its exception and the total of the balances is unchanged",
         &lesson_l17},
        {"O1", "operating fern (not a seed lesson): see every greenlet, catch what blocks",
         "a queue worker, a producer and an idle greenlet; the dump SIGQUIT prints and GET /debug/greenlets "
         "serves (what each waits on, since when, spawned where); a greenlet hogging the hub for 200 ms "
         "reported by the monitor with its spawn site and stack; the hub's Prometheus metrics",
         &step_observe},
    };
    for (Lesson& l : server_lessons()) v.push_back(l);
    // The seed lessons in order (L1 ... L17), then the operations steps (O1 ...).
    std::stable_sort(v.begin(), v.end(), [](const Lesson& a, const Lesson& b) {
      return std::pair(a.id[0] != 'L', std::stoi(a.id.substr(1))) <
             std::pair(b.id[0] != 'L', std::stoi(b.id.substr(1)));
    });
    return v;
  }();
  return all;
}

}  // namespace tour
