// Name resolution: glibc's resolver blocks on files and DNS, so from a greenlet it runs on fern's
// thread pool while only the calling greenlet waits. The net layer has its own resolver; the hook
// keeps glibc's exact answers (nsswitch, /etc/hosts) because it stands in for glibc.
#include <netdb.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include "cooperation.hpp"
#include "hooked_calls.hpp"
#include "real_calls.hpp"

namespace fern::hook {

int hooked_getaddrinfo(const char* node, const char* service, const addrinfo* hints, addrinfo** res) {
  Hub* hub = cooperative_hub();
  if (!hub) return real().getaddrinfo(node, service, hints, res);
  if (fail_if_interrupted()) return EAI_SYSTEM;
  int r = EAI_SYSTEM;
  int err = 0;
  run_on_pool(*hub, [&] {
    r = real().getaddrinfo(node, service, hints, res);
    err = errno;
  });
  errno = err;
  return r;
}

int hooked_gethostbyname_r(const char* name, hostent* ret, char* buf, size_t len, hostent** result,
                           int* herr) {
  Hub* hub = cooperative_hub();
  if (!hub) return real().gethostbyname_r(name, ret, buf, len, result, herr);
  if (fail_if_interrupted()) {
    *result = nullptr;
    return errno;
  }
  int r = 0;
  run_on_pool(*hub, [&] { r = real().gethostbyname_r(name, ret, buf, len, result, herr); });
  return r;
}

// gethostbyname's answer lives in storage of the calling thread (glibc's is one static for the
// whole process); it stays valid until this thread's next call.
hostent* hooked_gethostbyname(const char* name) {
  Hub* hub = cooperative_hub();
  if (!hub) return real().gethostbyname(name);
  thread_local hostent entry;
  thread_local std::vector<char> buffer(1024);
  hostent* result = nullptr;
  int herr = 0;
  for (;;) {
    int r = hooked_gethostbyname_r(name, &entry, buffer.data(), buffer.size(), &result, &herr);
    if (r != ERANGE || buffer.size() >= (1u << 20)) break;
    buffer.resize(buffer.size() * 2);
  }
  if (!result) h_errno = herr;
  return result;
}

}  // namespace fern::hook
