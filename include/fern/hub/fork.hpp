// fork and reinit: a child process with a working hub (gevent's fork() and reinit()). After
// fork(2) the child is a copy of the parent with one thread, the one that forked; the hub's
// greenlets, timers and queues are copied with it, but its kernel objects are shared with the
// parent (the epoll set, the wake eventfd, the io_uring ring) and the threads that served it are
// gone. fern::fork() forks and rebuilds the forking thread's hub in the child (Hub::reinit): its
// driver gets kernel objects of its own, posts from other threads queued before the fork are
// dropped, and spawn_blocking calls whose jobs were queued or running fail with Errc::cancelled.
// Greenlets parked before the fork are parked in the child too, and are woken there by the child's
// own events.
//
// In the child, only the forking thread's hub exists. Objects bound to another thread's hub (its
// greenlets, sockets, events) must not be used there; a RemoteHub to such a hub refuses posts.
// A RemoteHub of the forking thread's hub made before the fork reaches the child's hub.
// A dump signal installed before the fork (install_dump_signal) is answered by the child's hub too.
#pragma once

#include <sys/types.h>

namespace fern {

// fork(2), then Hub::reinit() in the child on the calling thread's hub, if it has one. Returns the
// child's pid in the parent and 0 in the child; throws std::system_error when fork(2) fails. A
// child that cannot rebuild its hub (the kernel refuses a new epoll set, eventfd or io_uring)
// says so on stderr and exits with status 127: it could not run the caller's code safely.
pid_t fork();

// Hub::reinit() on the calling thread's hub, if it has one: for a child forked by other means
// (a library's fork()), called first thing in the child, before anything else uses the hub.
// Throws std::system_error when the kernel refuses a new object; the hub must not be used then.
void reinit();

}  // namespace fern
