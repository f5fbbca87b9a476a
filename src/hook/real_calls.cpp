#include "real_calls.hpp"

#include <dlfcn.h>

#include <cstdio>
#include <cstdlib>

namespace fern::hook {

namespace {

template <class Fn>
void resolve(Fn*& slot, const char* name) {
  void* sym = dlsym(RTLD_NEXT, name);
  if (!sym) sym = dlsym(RTLD_DEFAULT, name);
  if (!sym) {
    std::fprintf(stderr, "fern hook: libc has no %s\n", name);
    std::abort();
  }
  slot = reinterpret_cast<Fn*>(sym);
}

RealCalls load() noexcept {
  RealCalls r{};
  resolve(r.socket, "socket");
  resolve(r.socketpair, "socketpair");
  resolve(r.connect, "connect");
  resolve(r.accept, "accept");
  resolve(r.accept4, "accept4");
  resolve(r.read, "read");
  resolve(r.readv, "readv");
  resolve(r.write, "write");
  resolve(r.writev, "writev");
  resolve(r.recv, "recv");
  resolve(r.recvfrom, "recvfrom");
  resolve(r.recvmsg, "recvmsg");
  resolve(r.send, "send");
  resolve(r.sendto, "sendto");
  resolve(r.sendmsg, "sendmsg");
  resolve(r.poll, "poll");
  resolve(r.ppoll, "ppoll");
  resolve(r.select, "select");
  resolve(r.pselect, "pselect");
  resolve(r.epoll_wait, "epoll_wait");
  resolve(r.epoll_pwait, "epoll_pwait");
  resolve(r.sleep, "sleep");
  resolve(r.usleep, "usleep");
  resolve(r.nanosleep, "nanosleep");
  resolve(r.clock_nanosleep, "clock_nanosleep");
  resolve(r.getaddrinfo, "getaddrinfo");
  resolve(r.gethostbyname, "gethostbyname");
  resolve(r.gethostbyname_r, "gethostbyname_r");
  resolve(r.fcntl, "fcntl");
  resolve(r.fcntl64, "fcntl64");
  resolve(r.ioctl, "ioctl");
  resolve(r.close, "close");
  resolve(r.dup, "dup");
  resolve(r.dup2, "dup2");
  resolve(r.dup3, "dup3");
  resolve(r.setsockopt, "setsockopt");
  resolve(r.pthread_create, "pthread_create");
  resolve(r.pthread_join, "pthread_join");
  resolve(r.pthread_detach, "pthread_detach");
  return r;
}

}  // namespace

const RealCalls& real() noexcept {
  static const RealCalls calls = load();
  return calls;
}

}  // namespace fern::hook
