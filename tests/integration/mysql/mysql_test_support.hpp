// Shared pieces of the MariaDB/MySQL client tests: one mariadbd per test binary (tests that kill or
// restart a server start their own), Options pointing at it, and the resident memory of this
// process for the streaming test.
#pragma once

#include <cstddef>
#include <string>

#include "fern/clients/mysql/options.hpp"
#include "servers.hpp"

namespace fern_mysql_test {

// Started on first use, stopped at exit.
fern_test::MariadbServer& shared_server();

fern::mysql::Options tcp_options(const fern_test::MariadbServer& server);
fern::mysql::Options unix_options(const fern_test::MariadbServer& server);

// VmRSS of this process, in bytes.
std::size_t resident_bytes();

}  // namespace fern_mysql_test
