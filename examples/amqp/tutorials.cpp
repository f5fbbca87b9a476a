#include "tutorials.hpp"

#include <cstdlib>
#include <cstring>
#include <exception>
#include <optional>

#include "demo_broker.hpp"

namespace tutorial {

amqp::Options options_for(int port) {
  amqp::Options options;
  options.port = static_cast<std::uint16_t>(port);
  return options;
}

void say(const char* party, const std::string& text) {
  std::printf("  %-10s %s\n", party, text.c_str());
  std::fflush(stdout);
}

std::vector<Tutorial> all_tutorials() {
  return {hello_world(), work_queues(), publish_subscribe(), routing(), topics(), rpc()};
}

int program_main(const Tutorial& tutorial, int argc, char** argv) {
  bool demo = false;
  std::optional<int> port;
  std::vector<std::string> args;
  for (int i = 1; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--demo")) {
      demo = true;
    } else if (!std::strcmp(argv[i], "--port") && i + 1 < argc) {
      port = std::atoi(argv[++i]);
    } else {
      args.emplace_back(argv[i]);
    }
  }
  if (!demo && (!port || args.empty())) {
    std::fprintf(stderr, "usage: amqp_%s --demo [--port P]\n       amqp_%s --port P %s\n", tutorial.program,
                 tutorial.program, tutorial.usage);
    return 2;
  }
  try {
    if (!demo) {
      const int rc = tutorial.run(*port, args);
      if (rc == 2) std::fprintf(stderr, "usage: amqp_%s --port P %s\n", tutorial.program, tutorial.usage);
      return rc;
    }
    std::optional<DemoBroker> broker;
    if (!port) port = broker.emplace().port();
    std::printf("%s (broker on 127.0.0.1:%d%s)\n", tutorial.title, *port,
                broker ? ", started for this demo" : "");
    const bool ok = tutorial.demo(*port);
    std::printf("%s\n", ok ? "ok" : "FAILED: a party did not see what the tutorial promises");
    return ok ? 0 : 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "amqp_%s: %s\n", tutorial.program, e.what());
    return 1;
  }
}

}  // namespace tutorial

#include "fern/hub/spawn.hpp"

namespace tutorial {

bool run_parties(std::vector<std::function<void()>> parties) {
  bool ok = true;
  std::vector<fern::GreenletRef<>> running;
  for (std::function<void()>& party : parties) {
    running.push_back(fern::spawn([&ok, party = std::move(party)] {
      try {
        party();
      } catch (const std::exception& e) {
        say("error:", e.what());
        ok = false;
      }
    }));
  }
  const std::vector<fern::GreenletRef<>> done = fern::joinall(running, 4 * kPatience, false);
  if (done.size() != running.size()) {
    say("error:", "a party did not finish in time");
    for (fern::GreenletRef<>& g : running) g->kill();
    return false;
  }
  return ok;
}

}  // namespace tutorial
