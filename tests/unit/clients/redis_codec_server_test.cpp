// The Redis codec against a real redis-server: commands encoded by encode_command go out over a plain
// blocking socket, replies are received in small random chunks straight into the ReplyParser
// (prepare/commit), and their values are checked, in RESP2 and, after HELLO 3, in RESP3 (every RESP3
// type comes from the server's own DEBUG PROTOCOL).
#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "fern/clients/redis/proto/command_writer.hpp"
#include "fern/clients/redis/proto/reply_parser.hpp"

namespace fern::redis {
namespace {

constexpr const char* kRedisServer = "/usr/bin/redis-server";
constexpr std::chrono::seconds kStartTimeout{10};
constexpr int kSocketTimeoutSeconds = 10;

std::string errno_text(const char* what) { return std::string(what) + ": " + std::strerror(errno); }

int free_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    if (fd >= 0) ::close(fd);
    return -1;
  }
  ::close(fd);
  return ntohs(addr.sin_port);
}

// Connects to 127.0.0.1:port with send and receive timeouts; -1 when nothing listens.
int connect_loopback(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<std::uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    return -1;
  }
  timeval timeout{kSocketTimeoutSeconds, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof timeout);
  int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  return fd;
}

// A redis-server child process on a free port, stopped with SIGTERM when this object goes away. The
// child also gets SIGTERM if the test process dies first (PR_SET_PDEATHSIG), so no path leaks it.
class RedisServer {
 public:
  RedisServer() {
    port_ = free_port();
    if (port_ < 0) {
      error_ = errno_text("no free port");
      return;
    }
    std::string port = std::to_string(port_);
    pid_ = ::fork();
    if (pid_ < 0) {
      error_ = errno_text("fork");
      return;
    }
    if (pid_ == 0) {
      ::prctl(PR_SET_PDEATHSIG, SIGTERM);
      int null = ::open("/dev/null", O_WRONLY);
      ::dup2(null, STDOUT_FILENO);
      ::dup2(null, STDERR_FILENO);
      ::execl(kRedisServer, "redis-server", "--port", port.c_str(), "--bind", "127.0.0.1", "--save", "",
              "--appendonly", "no", "--enable-debug-command", "yes", "--dir", "/tmp",
              static_cast<char*>(nullptr));
      ::_exit(127);
    }
    wait_until_listening();
  }

  RedisServer(const RedisServer&) = delete;
  RedisServer& operator=(const RedisServer&) = delete;

  ~RedisServer() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGTERM);
    // Bounded wait; a server that ignores SIGTERM for 10 s is killed.
    for (int i = 0; i < 1000; ++i) {
      if (::waitpid(pid_, nullptr, WNOHANG) == pid_) return;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
  }

  int port() const { return port_; }
  // Empty when the server is up.
  const std::string& error() const { return error_; }

 private:
  void wait_until_listening() {
    auto deadline = std::chrono::steady_clock::now() + kStartTimeout;
    while (std::chrono::steady_clock::now() < deadline) {
      int status = 0;
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        error_ = "redis-server exited during start-up (status " + std::to_string(status) + ")";
        return;
      }
      int fd = connect_loopback(port_);
      if (fd >= 0) {
        ::close(fd);
        return;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    error_ = "redis-server did not listen on port " + std::to_string(port_) + " within 10 s";
  }

  int port_ = -1;
  pid_t pid_ = -1;
  std::string error_;
};

// One blocking connection: sends encoded commands, receives replies in random chunks of 1 to
// max_chunk bytes straight into the parser.
class Connection {
 public:
  explicit Connection(int port) : fd_(connect_loopback(port)) {}
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;
  ~Connection() {
    if (fd_ >= 0) ::close(fd_);
  }

  bool connected() const { return fd_ >= 0; }
  void set_max_chunk(std::size_t max_chunk) { max_chunk_ = max_chunk; }

  template <class... Args>
  Reply call(const Args&... args) {
    std::string out;
    encode_command(out, args...);
    send_all(out);
    std::vector<Reply> replies = receive(1);
    return replies.empty() ? Reply{} : std::move(replies.front());
  }

  void send_all(std::string_view bytes) {
    while (!bytes.empty()) {
      ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
      if (n <= 0) {
        ADD_FAILURE() << errno_text("send");
        return;
      }
      bytes.remove_prefix(static_cast<std::size_t>(n));
    }
  }

  std::vector<Reply> receive(std::size_t count) {
    std::vector<Reply> replies;
    while (replies.size() < count) {
      while (replies.size() < count) {
        std::optional<Reply> reply = parser_.next();  // throws on a protocol error: the test fails
        if (!reply) break;
        replies.push_back(std::move(*reply));
      }
      if (replies.size() == count) break;
      std::size_t want = std::uniform_int_distribution<std::size_t>(1, max_chunk_)(rng_);
      std::span<char> space = parser_.prepare(want);
      ssize_t n = ::recv(fd_, space.data(), want, 0);
      if (n <= 0) {
        ADD_FAILURE() << (n == 0 ? std::string("server closed the connection") : errno_text("recv"));
        break;
      }
      parser_.commit(static_cast<std::size_t>(n));
    }
    return replies;
  }

  const ReplyParser& parser() const { return parser_; }

 private:
  int fd_;
  ReplyParser parser_;
  std::mt19937 rng_{12345};
  std::size_t max_chunk_ = 16;
};

class RedisCodecServer : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (::access(kRedisServer, X_OK) == 0) server_ = std::make_unique<RedisServer>();
  }
  static void TearDownTestSuite() { server_.reset(); }

  void SetUp() override {
    if (!server_) GTEST_SKIP() << kRedisServer << " is not installed (Debian package redis-server)";
    ASSERT_EQ(server_->error(), "");
    connection_ = std::make_unique<Connection>(server_->port());
    ASSERT_TRUE(connection_->connected()) << errno_text("connect");
  }

  Connection& redis() { return *connection_; }

  static std::unique_ptr<RedisServer> server_;
  std::unique_ptr<Connection> connection_;
};

std::unique_ptr<RedisServer> RedisCodecServer::server_;

TEST_F(RedisCodecServer, Resp2StringsListsHashesErrorsAndNil) {
  EXPECT_EQ(redis().call("PING").to_string(), R"(+"PONG")");
  EXPECT_EQ(redis().call("SET", "r2:key", "value").to_string(), R"(+"OK")");
  EXPECT_EQ(redis().call("GET", "r2:key").as_string(), "value");
  EXPECT_TRUE(redis().call("GET", "r2:missing").is_nil());
  EXPECT_EQ(redis().call("INCRBY", "r2:n", -5).as_integer(), -5);

  EXPECT_EQ(redis().call("LPUSH", "r2:list", "a", "b", "c").as_integer(), 3);
  EXPECT_EQ(redis().call("LRANGE", "r2:list", 0, -1).to_string(), R"(["c", "b", "a"])");

  EXPECT_EQ(redis().call("HSET", "r2:hash", "f1", "v1", "f2", 2).as_integer(), 2);
  Reply all = redis().call("HGETALL", "r2:hash");
  ASSERT_EQ(all.kind(), Kind::array);  // RESP2 has no maps
  EXPECT_EQ(all.elements().size(), 4u);

  Reply wrong_type = redis().call("LPUSH", "r2:key", "x");
  ASSERT_TRUE(wrong_type.is_error());
  EXPECT_EQ(wrong_type.as_string().substr(0, 9), "WRONGTYPE");
  Reply unknown = redis().call("NO-SUCH-COMMAND");
  ASSERT_TRUE(unknown.is_error());
  EXPECT_EQ(unknown.as_string().substr(0, 3), "ERR");
  EXPECT_EQ(
      redis().call("DEL", std::vector<std::string>{"r2:key", "r2:list", "r2:hash", "r2:n"}).as_integer(), 4);
}

TEST_F(RedisCodecServer, BinaryAndLargeValuesRoundTrip) {
  std::string binary("\0\r\n$3\r\n*\xff", 10);
  EXPECT_EQ(redis().call("SET", "bin:key", binary).to_string(), R"(+"OK")");
  EXPECT_EQ(redis().call("GET", "bin:key").as_string(), binary);

  std::string large(8u << 20, '\0');
  for (std::size_t i = 0; i < large.size(); ++i) large[i] = static_cast<char>(i * 7 % 253);
  redis().set_max_chunk(64 * 1024);
  EXPECT_EQ(redis().call("SET", "bin:large", large).to_string(), R"(+"OK")");
  Reply got = redis().call("GET", "bin:large");
  ASSERT_EQ(got.kind(), Kind::bulk_string);
  EXPECT_EQ(got.as_string().size(), large.size());
  EXPECT_TRUE(got.as_string() == large);
  EXPECT_EQ(redis().call("DEL", "bin:key", "bin:large").as_integer(), 2);
}

TEST_F(RedisCodecServer, PipelineOfAThousandCommandsInOneWrite) {
  CommandWriter writer;
  writer.command("DEL", "pipe:n");
  for (int i = 0; i < 1000; ++i) writer.command("INCR", "pipe:n");
  redis().send_all(writer.pending());
  writer.consume(writer.pending().size());
  std::vector<Reply> replies = redis().receive(1001);
  ASSERT_EQ(replies.size(), 1001u);
  for (int i = 1; i <= 1000; ++i) ASSERT_EQ(replies[static_cast<std::size_t>(i)].as_integer(), i);
  EXPECT_TRUE(redis().parser().idle());
}

TEST_F(RedisCodecServer, Resp3MapsSetsDoublesAndNulls) {
  Reply hello = redis().call("HELLO", 3);
  ASSERT_EQ(hello.kind(), Kind::map) << hello;
  EXPECT_EQ(hello.find("proto")->as_integer(), 3);
  EXPECT_EQ(hello.find("server")->as_string(), "redis");

  EXPECT_EQ(redis().call("HSET", "r3:hash", "f1", "v1", "f2", "v2").as_integer(), 2);
  Reply map = redis().call("HGETALL", "r3:hash");
  ASSERT_EQ(map.kind(), Kind::map) << map;
  EXPECT_EQ(map.entries().size(), 2u);
  EXPECT_EQ(map.find("f1")->as_string(), "v1");
  EXPECT_EQ(map.find("f2")->as_string(), "v2");

  EXPECT_EQ(redis().call("SADD", "r3:set", "x", "y").as_integer(), 2);
  Reply set = redis().call("SMEMBERS", "r3:set");
  ASSERT_EQ(set.kind(), Kind::set) << set;
  EXPECT_EQ(set.elements().size(), 2u);

  EXPECT_EQ(redis().call("ZADD", "r3:zset", 1.5, "m").as_integer(), 1);
  Reply score = redis().call("ZSCORE", "r3:zset", "m");
  ASSERT_EQ(score.kind(), Kind::double_) << score;
  EXPECT_EQ(score.as_double(), 1.5);

  Reply missing = redis().call("GET", "r3:missing");
  EXPECT_TRUE(missing.is_nil());
  EXPECT_TRUE(redis().call("HGET", "r3:set", "f").is_error());
  EXPECT_EQ(redis().call("DEL", "r3:hash", "r3:set", "r3:zset").as_integer(), 3);
}

TEST_F(RedisCodecServer, Resp3EveryTypeFromDebugProtocol) {
  ASSERT_EQ(redis().call("HELLO", 3).kind(), Kind::map);
  auto debug = [&](const char* type) { return redis().call("DEBUG", "PROTOCOL", type); };
  EXPECT_EQ(debug("string").as_string(), "Hello World");
  EXPECT_EQ(debug("integer").as_integer(), 12345);
  EXPECT_EQ(debug("double").as_double(), 3.141);
  Reply big = debug("bignum");
  EXPECT_EQ(big.kind(), Kind::big_number);
  EXPECT_EQ(big.as_string(), "1234567999999999999999999999999999999");
  EXPECT_EQ(debug("null").kind(), Kind::nil);
  EXPECT_EQ(debug("array").to_string(), "[0, 1, 2]");
  EXPECT_EQ(debug("set").to_string(), "~[0, 1, 2]");
  EXPECT_EQ(debug("map").to_string(), "{0: false, 1: true, 2: false}");
  EXPECT_TRUE(debug("true").as_boolean());
  EXPECT_FALSE(debug("false").as_boolean());
  Reply verbatim = debug("verbatim");
  EXPECT_EQ(verbatim.verbatim_format(), "txt");
  EXPECT_EQ(verbatim.as_string(), "This is a verbatim\nstring");

  Reply attributed = debug("attrib");
  EXPECT_EQ(attributed.as_string(), "Some real reply following the attribute");
  ASSERT_TRUE(attributed.attribute().has_value());
  EXPECT_EQ(attributed.attribute()->find("key-popularity")->to_string(), R"(["key:123", 90])");

  // A push arrives out of band, then the command's own reply.
  redis().send_all([] {
    std::string out;
    encode_command(out, "DEBUG", "PROTOCOL", "push");
    return out;
  }());
  std::vector<Reply> replies = redis().receive(2);
  ASSERT_EQ(replies.size(), 2u);
  EXPECT_EQ(replies[0].to_string(), R"(>["server-cpu-usage", 42])");
  EXPECT_EQ(replies[1].as_string(), "Some real reply following the push reply");
  EXPECT_TRUE(redis().parser().idle());
}

}  // namespace
}  // namespace fern::redis
