#include "fern/net/resolver.hpp"

#include <memory>
#include <string>

#include "fern/base/error.hpp"
#include "fern/hub/thread_pool.hpp"

namespace fern::net {
namespace {

class ResolverCategory final : public std::error_category {
 public:
  const char* name() const noexcept override { return "resolver"; }
  std::string message(int value) const override { return ::gai_strerror(value); }
};

struct Answer {
  int status = 0;
  int saved_errno = 0;
  std::vector<Address> addresses;
};

// A getaddrinfo / getnameinfo status as an exception (EAI_SYSTEM carries errno).
void throw_if_failed(int status, int saved_errno, const std::string& what) {
  if (status == EAI_SYSTEM) throw std::system_error(saved_errno, std::system_category(), what);
  if (status != 0) throw std::system_error(status, resolver_category(), what);
}

Answer lookup(const std::string& host, std::uint16_t port, const ResolveOptions& options) {
  addrinfo hints{};
  hints.ai_family = options.family;
  hints.ai_socktype = options.socket_type;
  hints.ai_flags = options.flags | AI_NUMERICSERV;
  addrinfo* list = nullptr;
  Answer answer;
  std::string service = std::to_string(port);
  answer.status = ::getaddrinfo(host.c_str(), service.c_str(), &hints, &list);
  answer.saved_errno = errno;
  if (answer.status != 0) return answer;
  std::unique_ptr<addrinfo, decltype(&::freeaddrinfo)> owner(list, &::freeaddrinfo);
  for (addrinfo* p = list; p; p = p->ai_next) answer.addresses.emplace_back(p->ai_addr, p->ai_addrlen);
  return answer;
}

}  // namespace

const std::error_category& resolver_category() noexcept {
  static const ResolverCategory category;
  return category;
}

std::vector<Address> resolve(std::string_view host, std::uint16_t port, const ResolveOptions& options) {
  if (std::optional<Address> numeric = Address::parse(host, port)) {
    if (options.family == AF_UNSPEC || options.family == numeric->family()) return {*numeric};
  }
  std::string name(host);
  Answer answer;
  try {
    answer = spawn_blocking([name, port, options] { return lookup(name, port, options); }, options.timeout);
  } catch (const TimeoutError& e) {
    if (e.source() != nullptr) throw;  // an enclosing Timeout scope fired: it must see its own error
    throw std::system_error(e.code(), "fern: resolving '" + name + "' timed out");
  }
  throw_if_failed(answer.status, answer.saved_errno, "fern: resolving '" + name + "'");
  return answer.addresses;
}

std::string resolve_name(const Address& address, bool name_required, Duration timeout) {
  struct Name {
    int status = 0;
    int saved_errno = 0;
    std::string host;
  };
  const std::string what = "fern: reverse resolving " + address.to_string();
  Name name;
  try {
    name = spawn_blocking(
        [address, name_required] {
          Name n;
          char host[NI_MAXHOST];
          n.status = ::getnameinfo(address.data(), address.size(), host, sizeof host, nullptr, 0,
                                   name_required ? NI_NAMEREQD : 0);
          n.saved_errno = errno;
          if (n.status == 0) n.host = host;
          return n;
        },
        timeout);
  } catch (const TimeoutError& e) {
    if (e.source() != nullptr) throw;
    throw std::system_error(e.code(), what + " timed out");
  }
  throw_if_failed(name.status, name.saved_errno, what);
  return name.host;
}

}  // namespace fern::net
