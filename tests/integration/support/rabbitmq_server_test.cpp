// The throwaway RabbitMQ broker the AMQP tests rely on: it speaks AMQP 0-9-1 on its port, keeps durable
// queues across a crash and a clean restart, answers rabbitmqctl, and leaves no Erlang process behind,
// not even when the test process itself dies.
#include "rabbitmq_server.hpp"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace fern_test {
namespace {

using namespace std::chrono_literals;

int connect_to(int port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<std::uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
    ::close(fd);
    return -1;
  }
  timeval patience{30, 0};  // bounds a silent broker; never decides the result
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &patience, sizeof patience);
  return fd;
}

bool read_exactly(int fd, std::uint8_t* data, std::size_t size) {
  for (std::size_t got = 0; got < size;) {
    const ssize_t n = ::read(fd, data + got, size - got);
    if (n <= 0) return false;
    got += static_cast<std::size_t>(n);
  }
  return true;
}

// Sends the AMQP 0-9-1 protocol header and checks the broker's first frame is connection.start
// (method frame on channel 0, class 10 method 10, version 0-9, frame-end 0xCE).
void expect_connection_start(int port) {
  const int fd = connect_to(port);
  ASSERT_GE(fd, 0) << "nothing accepts on port " << port;
  const char header[] = {'A', 'M', 'Q', 'P', 0, 0, 9, 1};
  ASSERT_EQ(::write(fd, header, sizeof header), static_cast<ssize_t>(sizeof header));
  std::uint8_t head[7];
  ASSERT_TRUE(read_exactly(fd, head, sizeof head));
  EXPECT_EQ(head[0], 1);                 // method frame
  EXPECT_EQ(head[1] << 8 | head[2], 0);  // channel 0
  const std::uint32_t size = std::uint32_t{head[3]} << 24 | head[4] << 16 | head[5] << 8 | head[6];
  ASSERT_GE(size, 6u);
  ASSERT_LT(size, 1u << 20);
  std::vector<std::uint8_t> payload(size + 1);
  ASSERT_TRUE(read_exactly(fd, payload.data(), payload.size()));
  EXPECT_EQ(payload[0] << 8 | payload[1], 10);  // class connection
  EXPECT_EQ(payload[2] << 8 | payload[3], 10);  // method start
  EXPECT_EQ(payload[4], 0);                     // version-major
  EXPECT_EQ(payload[5], 9);                     // version-minor
  EXPECT_EQ(payload[size], 0xCE);
  ::close(fd);
}

void declare_durable_queue(RabbitmqServer& broker, const std::string& name) {
  broker.ctl({"eval", "{new, _} = rabbit_amqqueue:declare(rabbit_misc:r(<<\"/\">>, queue, <<\"" + name +
                          "\">>), true, false, [], none, <<\"fern-test\">>), ok."});
}

std::string read_text(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// Pids of live (not zombie) processes whose command line or environment mentions `needle`. The broker's
// beam.smp names its data directory on its command line, and its helpers (erl_child_setup, inet_gethost)
// inherit HOME=<data directory>.
std::vector<int> processes_mentioning(const std::string& needle) {
  std::vector<int> found;
  for (const auto& entry : std::filesystem::directory_iterator("/proc")) {
    const std::string name = entry.path().filename();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::string cmdline = read_text(entry.path() / "cmdline") + read_text(entry.path() / "environ");
    for (char& c : cmdline)
      if (c == '\0') c = ' ';
    const std::string stat = read_text(entry.path() / "stat");
    const auto state = stat.rfind(") ");
    if (state != std::string::npos && stat[state + 2] == 'Z') continue;
    if (cmdline.find(needle) != std::string::npos) found.push_back(std::stoi(name));
  }
  return found;
}

// Processes get a moment to exit after their parent died; the bound only keeps a leak from hanging.
std::vector<int> survivors(const std::string& needle) {
  std::vector<int> left = processes_mentioning(needle);
  for (int i = 0; i < 300 && !left.empty(); ++i) {
    std::this_thread::sleep_for(50ms);
    left = processes_mentioning(needle);
  }
  return left;
}

TEST(RabbitmqServer, AnswersAmqpAndCtlKeepsDurableQueuesAcrossCrashAndRestart) {
  RabbitmqServer broker;
  expect_connection_start(broker.port());
  declare_durable_queue(broker, "fern.durable");
  EXPECT_EQ(broker.queue_messages("fern.durable"), 0);
  EXPECT_EQ(broker.queue_messages("fern.absent"), -1);
  try {
    broker.ctl({"no_such_command"});
    ADD_FAILURE() << "rabbitmqctl accepted an unknown command";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("no_such_command"), std::string::npos) << e.what();
  }

  broker.kill();
  EXPECT_FALSE(broker.running());
  EXPECT_LT(connect_to(broker.port()), 0) << "the killed broker still accepts";
  broker.start();
  expect_connection_start(broker.port());
  EXPECT_EQ(broker.queue_messages("fern.durable"), 0) << "durable queue lost by the crash";

  broker.restart();
  expect_connection_start(broker.port());
  EXPECT_EQ(broker.queue_messages("fern.durable"), 0) << "durable queue lost by the clean restart";
}

TEST(RabbitmqServer, LeavesNoProcessBehind) {
  std::string data_dir;
  std::string epmd;
  {
    RabbitmqServer broker;
    data_dir = broker.data_dir();
    epmd = "-port " + std::to_string(broker.epmd_port());
    ASSERT_FALSE(processes_mentioning(data_dir).empty()) << "cannot see the broker's beam.smp";
    ASSERT_FALSE(processes_mentioning(epmd).empty()) << "cannot see the broker's epmd";
  }
  EXPECT_EQ(survivors(data_dir), std::vector<int>{});
  EXPECT_EQ(survivors(epmd), std::vector<int>{});
}

TEST(RabbitmqServer, DiesWithACrashedTestProcess) {
  int ready[2];
  ASSERT_EQ(::pipe(ready), 0);
  const pid_t test = ::fork();
  ASSERT_GE(test, 0);
  if (test == 0) {
    ::close(ready[0]);
    try {
      RabbitmqServer broker;
      const std::string line = broker.data_dir() + " -port " + std::to_string(broker.epmd_port()) + "\n";
      if (::write(ready[1], line.data(), line.size()) < 0) ::_exit(2);
      ::raise(SIGKILL);  // a crash: no destructor runs
    } catch (...) {
    }
    ::_exit(1);
  }
  ::close(ready[1]);
  std::string line;
  char c;
  while (::read(ready[0], &c, 1) == 1 && c != '\n') line += c;
  ::close(ready[0]);
  int status = 0;
  ASSERT_EQ(::waitpid(test, &status, 0), test);
  ASSERT_TRUE(WIFSIGNALED(status)) << "the crashing process did not start a broker";
  const auto space = line.find(' ');
  ASSERT_NE(space, std::string::npos);
  const std::string data_dir = line.substr(0, space);
  EXPECT_EQ(survivors(data_dir), std::vector<int>{});
  EXPECT_EQ(survivors(line.substr(space + 1)), std::vector<int>{});
  std::error_code ignored;
  std::filesystem::remove_all(data_dir, ignored);  // the crash skipped the TempDir's own cleanup
}

}  // namespace
}  // namespace fern_test
