// The six RabbitMQ tutorials on fern's AMQP client. Each tutorial is a program with the tutorial's
// roles (producer, consumers) run against a broker on --port, and a demo that runs every role as a
// greenlet of one thread against a broker, prints what each party sees, and says whether each party
// saw what the tutorial promises (so the tour can check it). Consumers in a demo wait at most
// kPatience for a message; a program's consumers wait until interrupted, as in the tutorials.
#pragma once

#include <chrono>
#include <cstdio>
#include <functional>
#include <string>
#include <vector>

#include "fern/clients/amqp/connection.hpp"
#include "fern/sync/event.hpp"

namespace tutorial {

namespace amqp = fern::amqp;

inline constexpr std::chrono::seconds kPatience{15};

// How a consumer role runs: in a program (until interrupted) or in a demo (bounded, and announcing
// when it is subscribed, so the demo's producer publishes only to queues that exist).
struct Run {
  int port = 5672;
  bool demo = false;
  fern::Event* subscribed = nullptr;
  fern::Duration patience() const { return demo ? fern::Duration(kPatience) : fern::kForever; }
  void announce() const {
    if (subscribed) subscribed->set();
  }
};

amqp::Options options_for(int port);
// Prints one line of what `party` saw, flushed at once so interleaving shows the real order.
void say(const char* party, const std::string& text);

struct Tutorial {
  const char* program;  // the executable, amqp_<program>
  const char* title;
  const char* usage;  // the roles after `--port P`
  bool (*demo)(int port);
  int (*run)(int port, const std::vector<std::string>& args);  // 2: bad arguments
};

Tutorial hello_world();
Tutorial work_queues();
Tutorial publish_subscribe();
Tutorial routing();
Tutorial topics();
Tutorial rpc();
std::vector<Tutorial> all_tutorials();

// main() of a tutorial program: `--demo` (own broker), `--demo --port P`, or `--port P ROLE ARGS...`.
int program_main(const Tutorial& tutorial, int argc, char** argv);

}  // namespace tutorial

namespace tutorial {

// Runs each party in its own greenlet on this thread and waits for all of them (at most 4 x
// kPatience). False when a party threw (its error is printed) or had to be killed.
bool run_parties(std::vector<std::function<void()>> parties);

}  // namespace tutorial
