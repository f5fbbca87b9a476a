// L14, the event-driven model: an event queue and a loop that dispatches handlers. Handlers are
// queued with call_soon (run next, in order) and call_later (run when due), a reader handler is
// attached to a pipe with add_reader, and run_forever() dispatches everything until a handler calls
// stop(). A greenlet shares the same loop, so the two styles mix in one program. Each line shows
// when (ms since start) the loop ran the handler.
//
//   ./event_loop            (FERN_DRIVER=poll|select|uring picks another I/O driver)
#include "fern/loop/event_loop.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cstdio>
#include <string>

#include "fern/base/error.hpp"
#include "fern/hub/io_wait.hpp"
#include "fern/hub/sleep.hpp"
#include "fern/hub/spawn.hpp"

using namespace std::chrono_literals;

namespace {

class Log {
 public:
  explicit Log(fern::TimePoint start) : start_(start) {}
  void operator()(const std::string& what) const {
    double ms = std::chrono::duration<double, std::milli>(fern::Clock::now() - start_).count();
    std::printf("[%7.2f ms] %s\n", ms, what.c_str());
    std::fflush(stdout);
  }

 private:
  fern::TimePoint start_;
};

void send(int fd, const std::string& message) {
  if (::write(fd, message.data(), message.size()) != static_cast<ssize_t>(message.size())) {
    fern::throw_errno("write to the pipe");
  }
}

}  // namespace

int main() {
  fern::loop::EventLoop loop;
  Log log(loop.time());
  int pipe_fds[2];
  if (::pipe2(pipe_fds, O_NONBLOCK | O_CLOEXEC) != 0) fern::throw_errno("pipe2");
  int read_end = pipe_fds[0], write_end = pipe_fds[1];
  fern::adopt_fd(read_end);
  fern::adopt_fd(write_end);
  int handled = 0;

  log(std::string("driver: ") + std::string(fern::to_string(loop.hub().driver().kind())) +
      "; queueing handlers, then run_forever()");
  loop.call_soon([&] {
    ++handled;
    log("call_soon #1: runs first");
  });
  loop.call_soon([&] {
    ++handled;
    log("call_soon #2: runs second, queue order");
  });

  // The reader handler: called whenever the pipe has data, until it removes itself.
  loop.add_reader(read_end, [&] {
    char buf[128];
    ssize_t n = ::read(read_end, buf, sizeof buf);
    if (n <= 0) return;
    ++handled;
    std::string message(buf, static_cast<std::size_t>(n));
    log("add_reader: the pipe is readable, got \"" + message + "\"");
    if (message == "quit") {
      loop.remove_reader(read_end);
      loop.call_soon([&] {
        log("stop(): run_forever returns after this turn");
        loop.stop();
      });
    }
  });

  loop.call_later(10ms, [&] {
    ++handled;
    log("call_later 10 ms: writing \"tick\" into the pipe");
    send(write_end, "tick");
  });
  fern::loop::Handle doomed =
      loop.call_later(20ms, [&] { log("call_later 20 ms: never printed, cancelled"); });
  loop.call_later(5ms, [&] {
    ++handled;
    log("call_later 5 ms: cancelling the 20 ms handler");
    doomed.cancel();
  });
  loop.call_later(30ms, [&] {
    ++handled;
    log("call_later 30 ms: writing \"quit\" into the pipe");
    send(write_end, "quit");
  });

  // A greenlet on the same loop: sequential code that sleeps, between the callbacks.
  auto producer = fern::spawn([&] {
    fern::sleep(15ms);
    log("greenlet: woke after sleep(15 ms), writing \"hello from a greenlet\"");
    send(write_end, "hello from a greenlet");
  });

  loop.run_forever();
  producer.get();
  log("run_forever returned after " + std::to_string(handled) + " handlers");
  fern::close_fd(read_end);
  fern::close_fd(write_end);
  return 0;
}
