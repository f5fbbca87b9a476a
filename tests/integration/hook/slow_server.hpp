// SlowServer: a TCP server on 127.0.0.1 for the hook's proofs, one plain thread per connection (no
// hub, so the hook leaves it alone). Each request is a line ("...\n") or an HTTP request head
// ("...\r\n\r\n"); the reply is held back either
//   * until `barrier` requests are outstanding at once (or `patience` passes), which proves
//     structurally that the clients had them all in flight together, or
//   * for a fixed `delay`, for measuring N clients against one.
#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace fern_test {

class SlowServer {
 public:
  enum class Protocol { line, http };
  struct Options {
    Protocol protocol = Protocol::line;
    int barrier = 0;                            // hold replies until this many are outstanding
    std::chrono::milliseconds patience{10000};  // ...or until this passes (a failing test)
    std::chrono::milliseconds delay{0};         // or hold each reply this long
  };

  explicit SlowServer(Options options);
  SlowServer(const SlowServer&) = delete;
  SlowServer& operator=(const SlowServer&) = delete;
  ~SlowServer();

  int port() const { return port_; }
  // The most requests that were outstanding at the same moment.
  int peak_outstanding();
  int served();

 private:
  void accept_loop();
  void serve(int fd);
  bool read_request(int fd);
  void hold_reply();

  Options options_;
  int listener_ = -1;
  int port_ = 0;
  std::mutex mutex_;
  std::condition_variable changed_;
  int outstanding_ = 0;
  int peak_ = 0;
  int served_ = 0;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
  std::vector<int> connections_;
  std::thread acceptor_;
};

}  // namespace fern_test
