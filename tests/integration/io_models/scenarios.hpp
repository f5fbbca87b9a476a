// Behaviour every multiplexing or concurrent server must show, written once and run against each.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "server_process.hpp"
#include "test_client.hpp"

namespace io_models_test {

// What a server answers to a message: itself (echo), upper-cased, upper-cased + "_SB".
using Reply = std::function<std::string(const std::string&)>;
std::string echo_reply(const std::string& message);
std::string upper_reply(const std::string& message);

// Starts `binary --port PORT extra...` and waits for its start line.
std::unique_ptr<ServerProcess> start_server(const std::string& binary, int port,
                                            const std::vector<std::string>& extra = {},
                                            bool with_stdin_pipe = false);

// `clients` connections open at once; each runs `rounds` request/reply exchanges while all the
// others are still connected, so a server that serves one client at a time cannot pass.
void expect_served_at_once(int port, int clients, int rounds, const Reply& reply);

// `clients` concurrent connections each sending a `size`-byte message and reading the whole reply.
void expect_large_messages(int port, int clients, std::size_t size, const Reply& reply);

// Clients that reset (RST, SO_LINGER 0) mid-request and mid-reply; afterwards `clients_after` new
// clients are served at once.
void expect_survives_resets(int port, const Reply& reply, int clients_after = 5);

// SIGTERM: the server exits by itself with status 0 (under ASan that includes no leak reports).
void expect_clean_stop(ServerProcess& server);

}  // namespace io_models_test
