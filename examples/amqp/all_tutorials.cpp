// amqp_tutorials: the six RabbitMQ tutorials in a row against one broker, each tutorial's producer
// and consumers as greenlets of this one thread, printing what every party sees (L15 of the tour).
//
//   amqp_tutorials --demo            starts a throwaway rabbitmq-server, runs all six, stops it
//   amqp_tutorials --demo --port P   uses a running broker
// Exits non-zero if any tutorial's parties did not see what the tutorial promises.
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <optional>

#include "demo_broker.hpp"
#include "tutorials.hpp"

int main(int argc, char** argv) {
  std::optional<int> port;
  bool demo = false;
  for (int i = 1; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--demo")) {
      demo = true;
    } else if (!std::strcmp(argv[i], "--port") && i + 1 < argc) {
      port = std::atoi(argv[++i]);
    } else {
      demo = false;
      break;
    }
  }
  if (!demo) {
    std::fprintf(stderr, "usage: amqp_tutorials --demo [--port P]\n");
    return 2;
  }
  try {
    std::optional<tutorial::DemoBroker> broker;
    if (!port) port = broker.emplace().port();
    std::printf("RabbitMQ tutorials on fern, broker on 127.0.0.1:%d%s\n", *port,
                broker ? " (started for this demo)" : "");
    int failed = 0;
    for (const tutorial::Tutorial& t : tutorial::all_tutorials()) {
      std::printf("\n%s\n", t.title);
      std::fflush(stdout);
      const bool ok = t.demo(*port);
      std::printf("  -> %s\n", ok ? "as the tutorial says" : "FAILED: a party did not see what it should");
      if (!ok) ++failed;
    }
    std::printf("\n%d of 6 tutorials showed what they should\n", 6 - failed);
    return failed == 0 ? 0 : 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "amqp_tutorials: %s\n", e.what());
    return 1;
  }
}
