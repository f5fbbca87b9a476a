// probe_idle: what an idle connection's socket holds, looked at without consuming or waiting. A
// client about to send on a connection that sat idle asks it first: a server that closed or reset
// the connection meanwhile is then found before the request is written, when the request provably
// has not reached the server and can be reported "not applied" (or sent on a new connection),
// instead of after, when the kernel has taken the bytes and the outcome is unknown.
#pragma once

namespace fern::net {

enum class IdleState {
  quiet,   // nothing to read: the connection looks alive
  data,    // unsolicited bytes wait (a push, an alert, or a reply nobody asked for)
  closed,  // the peer ended the stream (FIN) or reset it
};

// One recv(MSG_PEEK | MSG_DONTWAIT) on `fd`; a socket error other than "would block" is `closed`.
IdleState probe_idle(int fd) noexcept;

// Whether the peer has shut its sending side or reset the connection, even with bytes still unread
// before its FIN. For TLS, where an idle connection may legitimately hold records nobody read yet
// (a TLS 1.3 session ticket) so that unread bytes prove nothing, but a server that closed it sent
// close_notify and then FIN. One poll(POLLRDHUP) with no wait.
bool peer_hung_up(int fd) noexcept;

}  // namespace fern::net
