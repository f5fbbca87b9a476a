// Confirm: the outcome of one message published on a channel in confirm mode (publisher
// confirms). The broker acknowledges published messages by sequence number, one at a time or
// "every tag up to n"; a Confirm resolves when its number is covered:
//   confirmed  the broker took responsibility (for a persistent message on a durable queue: it is
//              on disk)
//   nacked     the broker refused it (it was not enqueued)
//   unknown    the channel or connection was lost first, after some of the publish's frames were
//              handed to the kernel: it may or may not have been enqueued
//   not_sent   the connection was lost while every frame of the publish was still in the client's
//              output buffer: the broker never saw it (fern::Outcome::not_applied), safe to publish
//              again
// Many publishes are in flight at once; nothing waits a round trip per message.
//
// Blocking: wait() parks the calling greenlet until the outcome is known (the channel's end
// makes it `unknown` or `not_sent`, so it never hangs on a dead connection), up to the timeout or a
// fern::Timeout scope (then std::system_error Errc::timed_out; the outcome stays pending).
#pragma once

#include <cstdint>
#include <memory>

#include "fern/base/clock.hpp"

namespace fern::amqp {

namespace detail {
class ChannelCore;
}

enum class ConfirmStatus : std::uint8_t {
  not_tracked,  // published on a channel not in confirm mode: nothing to wait for
  pending,
  confirmed,
  nacked,
  unknown,
  not_sent,
};

const char* to_string(ConfirmStatus status) noexcept;

class Confirm {
 public:
  // A Confirm for a publish without confirm mode (status not_tracked).
  Confirm() = default;
  Confirm(std::shared_ptr<detail::ChannelCore> channel, std::uint64_t sequence) noexcept
      : channel_(std::move(channel)), sequence_(sequence) {}

  // The publish's sequence number on its channel (1, 2, ...); 0 when not tracked.
  std::uint64_t sequence() const noexcept { return sequence_; }
  // The outcome known so far, without waiting.
  ConfirmStatus status() const noexcept;
  // Parks until the outcome is known and returns it (not_tracked at once).
  ConfirmStatus wait(Duration timeout = kForever) const;
  // wait() == confirmed.
  bool confirmed(Duration timeout = kForever) const { return wait(timeout) == ConfirmStatus::confirmed; }

 private:
  std::shared_ptr<detail::ChannelCore> channel_;
  std::uint64_t sequence_ = 0;
};

// What Channel::wait_for_confirms found for the publishes it waited for.
struct ConfirmTally {
  std::uint64_t confirmed = 0;
  std::uint64_t nacked = 0;
  std::uint64_t unknown = 0;
  std::uint64_t not_sent = 0;
  bool all_confirmed() const noexcept { return nacked == 0 && unknown == 0 && not_sent == 0; }
};

}  // namespace fern::amqp
