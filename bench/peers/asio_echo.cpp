// asio_echo: the Boost.Asio peer of bench/echo, in Asio's own idiom: one io_context on one thread
// (concurrency hint 1, so Asio skips its locking), C++20 coroutines, one coroutine per connection
// reading into a 64 KiB buffer and writing back with async_write. Errors end a connection through
// redirect_error, so a client going away costs no exception.
//
//   asio_echo [--port N] [--seconds S]     (port 0: any free port; printed on stdout)
#include <unistd.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>

// Boost 1.74's awaitable support uses std::exchange without including <utility> (g++ 12 no longer
// pulls it in transitively), so <utility> must come first.
// clang-format off
#include <utility>
#include <boost/asio.hpp>
// clang-format on

namespace asio = boost::asio;
using asio::ip::tcp;

namespace {

asio::awaitable<void> echo(tcp::socket socket) {
  std::array<char, 64 * 1024> data;
  boost::system::error_code ec;
  for (;;) {
    std::size_t n =
        co_await socket.async_read_some(asio::buffer(data), asio::redirect_error(asio::use_awaitable, ec));
    if (ec) co_return;
    co_await asio::async_write(socket, asio::buffer(data.data(), n),
                               asio::redirect_error(asio::use_awaitable, ec));
    if (ec) co_return;
  }
}

asio::awaitable<void> accept_forever(tcp::acceptor acceptor) {
  for (;;) {
    boost::system::error_code ec;
    tcp::socket socket = co_await acceptor.async_accept(asio::redirect_error(asio::use_awaitable, ec));
    if (ec) continue;  // an aborted handshake, or out of descriptors for a moment
    socket.set_option(tcp::no_delay(true), ec);
    asio::co_spawn(acceptor.get_executor(), echo(std::move(socket)), asio::detached);
  }
}

}  // namespace

int main(int argc, char** argv) {
  unsigned short port = 8007;
  unsigned seconds = 0;
  for (int i = 1; i < argc; i += 2) {
    if (i + 1 < argc && std::strcmp(argv[i], "--port") == 0) {
      port = static_cast<unsigned short>(std::atoi(argv[i + 1]));
    } else if (i + 1 < argc && std::strcmp(argv[i], "--seconds") == 0) {
      seconds = static_cast<unsigned>(std::atoi(argv[i + 1]));
    } else {
      std::fprintf(stderr, "usage: %s [--port N] [--seconds S]\n", argv[0]);
      return 2;
    }
  }
  try {
    asio::io_context context(1);
    tcp::acceptor acceptor(context, tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
    std::printf("listening on 127.0.0.1:%u\n", acceptor.local_endpoint().port());
    std::fflush(stdout);
    if (seconds > 0) ::alarm(seconds);  // SIGALRM's default action ends the process
    asio::co_spawn(context, accept_forever(std::move(acceptor)), asio::detached);
    context.run();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "%s: %s\n", argv[0], e.what());
    return 1;
  }
}
