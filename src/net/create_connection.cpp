#include "fern/net/create_connection.hpp"

#include <netinet/in.h>
#include <netinet/tcp.h>

#include <string>

#include "fern/base/error.hpp"
#include "fern/net/resolver.hpp"

namespace fern::net {

Socket create_connection(std::string_view host, std::uint16_t port, Duration timeout) {
  const TimePoint deadline = timeout == kForever ? TimePoint::max() : deadline_after(timeout);
  ResolveOptions options;
  if (timeout != kForever) options.timeout = timeout;
  std::vector<Address> addresses = resolve(host, port, options);
  std::error_code last = make_error_code(Errc::invalid_argument);
  std::string last_address;
  for (const Address& address : addresses) {
    Duration left = deadline == TimePoint::max() ? kForever : deadline - Clock::now();
    if (left <= Duration::zero()) {
      last = make_error_code(Errc::timed_out);
      break;
    }
    Socket s(address.family(), SOCK_STREAM);
    std::error_code ec;
    s.connect(address, left, ec);
    if (!ec) {
      s.set_nodelay();
      s.set_timeout(timeout);
      return s;
    }
    last = ec;
    last_address = address.to_string();
  }
  // The address tried is worth naming only when the host was a name (a literal IP says it already).
  std::string target = std::string(host) + ":" + std::to_string(port);
  if (!last_address.empty() && last_address != target) target += " (" + last_address + ")";
  throw std::system_error(last, "fern: connect to " + target);
}

}  // namespace fern::net
