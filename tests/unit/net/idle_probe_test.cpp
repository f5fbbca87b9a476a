// probe_idle on real loopback TCP: a quiet connection, one with unsolicited bytes (not consumed), one
// the peer closed and one the peer reset.
#include "fern/net/idle_probe.hpp"

#include <gtest/gtest.h>
#include <sys/socket.h>

#include <string>

#include "fern/hub/sleep.hpp"
#include "fern/net/socket.hpp"

using namespace std::chrono_literals;

namespace fern::net {
namespace {

struct Pair {
  Socket client;
  Socket server;
};

Pair connected_pair() {
  Socket listener = listen_tcp(Address::ipv4_loopback(0));
  Pair p{Socket::tcp(), Socket()};
  p.client.connect(Address::ipv4_loopback(listener.local_address().port()));
  p.server = listener.accept();
  return p;
}

// What the probe says once the peer's action has arrived (loopback delivers at once; the bound
// only keeps a broken probe from hanging the test).
IdleState probe_once_arrived(int fd) {
  IdleState state = probe_idle(fd);
  for (int i = 0; i < 5000 && state == IdleState::quiet; ++i) {
    sleep(1ms);
    state = probe_idle(fd);
  }
  return state;
}

TEST(IdleProbe, QuietDataClosedAndReset) {
  Pair quiet = connected_pair();
  EXPECT_EQ(probe_idle(quiet.client.fd()), IdleState::quiet);

  Pair pushed = connected_pair();
  pushed.server.send_all("push");
  EXPECT_EQ(probe_once_arrived(pushed.client.fd()), IdleState::data);
  EXPECT_EQ(pushed.client.recv(4), "push");  // the probe consumed nothing

  Pair closed = connected_pair();
  closed.server.close();
  EXPECT_EQ(probe_once_arrived(closed.client.fd()), IdleState::closed);

  Pair reset = connected_pair();
  linger abort_on_close{1, 0};
  ASSERT_EQ(::setsockopt(reset.server.fd(), SOL_SOCKET, SO_LINGER, &abort_on_close, sizeof abort_on_close),
            0);
  reset.server.close();
  EXPECT_EQ(probe_once_arrived(reset.client.fd()), IdleState::closed);
}

// peer_hung_up sees the FIN even behind unread bytes (a TLS close_notify before it), and says
// nothing of bytes alone (a TLS session ticket on a live connection).
bool hung_up_once_arrived(int fd) {
  bool hung = peer_hung_up(fd);
  for (int i = 0; i < 5000 && !hung; ++i) {
    sleep(1ms);
    hung = peer_hung_up(fd);
  }
  return hung;
}

TEST(IdleProbe, PeerHungUpSeesTheFinBehindUnreadBytes) {
  Pair quiet = connected_pair();
  EXPECT_FALSE(peer_hung_up(quiet.client.fd()));

  Pair pushed = connected_pair();
  pushed.server.send_all("ticket");
  EXPECT_EQ(probe_once_arrived(pushed.client.fd()), IdleState::data);
  EXPECT_FALSE(peer_hung_up(pushed.client.fd()));  // bytes alone: alive

  Pair closed = connected_pair();
  closed.server.send_all("bye");
  closed.server.close();
  EXPECT_TRUE(hung_up_once_arrived(closed.client.fd()));
  EXPECT_EQ(probe_idle(closed.client.fd()), IdleState::data);  // what recv would see first
}

}  // namespace
}  // namespace fern::net
