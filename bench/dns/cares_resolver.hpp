// CaresResolver: c-ares driven by the hub, the alternative measured against getaddrinfo on the
// thread pool (docs/design/dns.md). Lookups run in the calling thread: ares_getaddrinfo with
// lookups "fb" (the hosts file, then DNS); each socket c-ares opens gets a watcher greenlet that
// parks in wait_fd until the socket is ready or c-ares' next timeout, then calls ares_process_fd.
// Sockets are opened and closed through fern (ares_set_socket_functions), so closing one wakes its
// watcher instead of leaving it parked on a recycled descriptor. A lookup that times out leaves its
// query to finish inside c-ares; the callback then frees the abandoned state.
#pragma once

#include <ares.h>

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "fern/base/clock.hpp"
#include "fern/net/address.hpp"

namespace fern::bench {

class CaresResolver {
 public:
  CaresResolver();
  CaresResolver(const CaresResolver&) = delete;
  CaresResolver& operator=(const CaresResolver&) = delete;
  // Cancels what is still pending (their callbacks run with ARES_ECANCELLED) and destroys the
  // channel; call on the hub's thread after the watchers are done.
  ~CaresResolver();

  // Throws std::system_error with the ARES_* status (ares_strerror's text) or Errc::timed_out.
  std::vector<net::Address> resolve(const std::string& host, std::uint16_t port,
                                    Duration timeout = std::chrono::seconds(30));

 private:
  static void on_socket_state(void* self, ares_socket_t fd, int readable, int writable);
  void watch(int fd);

  ares_channel channel_ = nullptr;
  std::map<int, std::uint32_t> interest_;  // fd -> io_events c-ares wants now
};

}  // namespace fern::bench
