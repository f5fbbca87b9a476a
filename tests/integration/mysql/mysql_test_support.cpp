#include "mysql_test_support.hpp"

#include <fstream>
#include <memory>

namespace fern_mysql_test {

fern_test::MariadbServer& shared_server() {
  static auto server = std::make_unique<fern_test::MariadbServer>();
  return *server;
}

fern::mysql::Options tcp_options(const fern_test::MariadbServer& server) {
  fern::mysql::Options o;
  o.host = "127.0.0.1";
  o.port = static_cast<std::uint16_t>(server.port());
  o.user = server.user();
  o.database = server.database();
  return o;
}

fern::mysql::Options unix_options(const fern_test::MariadbServer& server) {
  fern::mysql::Options o = tcp_options(server);
  o.unix_socket = server.unix_socket();
  return o;
}

std::size_t resident_bytes() {
  std::ifstream status("/proc/self/status");
  std::string key;
  while (status >> key) {
    if (key == "VmRSS:") {
      std::size_t kb = 0;
      status >> kb;
      return kb * 1024;
    }
    std::getline(status, key);
  }
  return 0;
}

}  // namespace fern_mysql_test
