// ResponseParser: status lines, framing that depends on the request (HEAD, CONNECT) and the status
// (1xx, 204, 304), bodies that end at close, upgrades, malformed responses, and a real nginx
// answering pipelined requests on one connection.
#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include <fern/http/response_parser.hpp>
#include <fern/http/serializer.hpp>

#include "parser_transcript.hpp"

namespace fern::http {
namespace {

using testing::transcript;

TEST(ResponseParser, ParsesStatusLineAndFields) {
  ResponseParser p;
  p.feed("HTTP/1.1 404 Not Found\r\nContent-Type: text/html\r\nContent-Length: 4\r\n\r\nnope");
  ASSERT_EQ(p.next_event(), ParseEvent::headers_complete);
  ResponseHead r = p.response();
  EXPECT_EQ(r.version, kHttp11);
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(r.reason, "Not Found");
  EXPECT_EQ(r.headers.get("content-type"), "text/html");
  EXPECT_FALSE(p.is_interim());
  ASSERT_EQ(p.next_event(), ParseEvent::body);
  EXPECT_EQ(p.body(), "nope");
  EXPECT_EQ(p.next_event(), ParseEvent::message_complete);
}

TEST(ResponseParser, ReasonMayBeEmptyOrMissing) {
  for (std::string_view line : {"HTTP/1.1 200 \r\n", "HTTP/1.1 200\r\n"}) {
    ResponseParser p;
    p.feed(std::string(line) + "Content-Length: 0\r\n\r\n");
    ASSERT_EQ(p.next_event(), ParseEvent::headers_complete) << line;
    EXPECT_EQ(p.response().reason, "");
  }
}

TEST(ResponseParser, HeadResponseHasNoBodyWhateverItsLength) {
  ResponseParser p;
  p.request_sent("HEAD");
  p.request_sent("GET");
  EXPECT_EQ(transcript(p,
                       "HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n"
                       "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabc"),
            "> HTTP/1.1 200 OK\n  Content-Length: 1000\n  [none 1000 keep-alive]\n< complete\n"
            "> HTTP/1.1 200 OK\n  Content-Length: 3\n  [length 3 keep-alive]\n  body 3 abc\n< complete\n"
            "= closed\n");
}

TEST(ResponseParser, HeadResponseMayAnnounceChunked) {
  ResponseParser p;
  p.request_sent("HEAD");
  EXPECT_EQ(transcript(p, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"),
            "> HTTP/1.1 200 OK\n  Transfer-Encoding: chunked\n  [none keep-alive]\n< complete\n= closed\n");
}

TEST(ResponseParser, NoBodyFor204And304) {
  ResponseParser p;
  EXPECT_EQ(
      transcript(p,
                 "HTTP/1.1 204 No Content\r\n\r\nHTTP/1.1 304 Not Modified\r\nContent-Length: 50\r\n\r\n"
                 "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"),
      "> HTTP/1.1 204 No Content\n  [none keep-alive]\n< complete\n"
      "> HTTP/1.1 304 Not Modified\n  Content-Length: 50\n  [none 50 keep-alive]\n< complete\n"
      "> HTTP/1.1 200 OK\n  Content-Length: 2\n  [length 2 keep-alive]\n  body 2 ok\n< complete\n= closed\n");
}

TEST(ResponseParser, InterimResponsesPrecedeTheFinalOne) {
  ResponseParser p;
  p.request_sent("HEAD");
  p.request_sent("GET");
  p.feed(
      "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </s.css>\r\n\r\n"
      "HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\n"
      "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi");
  for (int interim : {100, 103}) {
    ASSERT_EQ(p.next_event(), ParseEvent::headers_complete);
    EXPECT_EQ(p.response().status, interim);
    EXPECT_TRUE(p.is_interim());
    EXPECT_EQ(p.next_event(), ParseEvent::message_complete);
  }
  // The final response still answers the HEAD: no body.
  ASSERT_EQ(p.next_event(), ParseEvent::headers_complete);
  EXPECT_FALSE(p.is_interim());
  EXPECT_EQ(p.body_kind(), BodyKind::none);
  EXPECT_EQ(p.next_event(), ParseEvent::message_complete);
  ASSERT_EQ(p.next_event(), ParseEvent::headers_complete);
  ASSERT_EQ(p.next_event(), ParseEvent::body);
  EXPECT_EQ(p.body(), "hi");
}

TEST(ResponseParser, ConnectSuccessOpensATunnel) {
  ResponseParser p;
  p.request_sent("CONNECT");
  p.feed("HTTP/1.1 200 Connection Established\r\n\r\n\x16\x03\x01");
  ASSERT_EQ(p.next_event(), ParseEvent::headers_complete);
  EXPECT_TRUE(p.upgraded());
  EXPECT_EQ(p.body_kind(), BodyKind::none);
  EXPECT_EQ(p.next_event(), ParseEvent::message_complete);
  EXPECT_EQ(p.next_event(), ParseEvent::closed);
  EXPECT_EQ(p.take_buffered(), "\x16\x03\x01");
}

TEST(ResponseParser, ConnectRefusalIsAnOrdinaryResponse) {
  ResponseParser p;
  p.request_sent("CONNECT");
  EXPECT_EQ(
      transcript(p, "HTTP/1.1 403 Forbidden\r\nContent-Length: 2\r\n\r\nno"),
      "> HTTP/1.1 403 Forbidden\n  Content-Length: 2\n  [length 2 keep-alive]\n  body 2 no\n< complete\n"
      "= closed\n");
  EXPECT_FALSE(p.upgraded());
}

TEST(ResponseParser, BodyWithoutLengthEndsAtClose) {
  ResponseParser p;
  p.feed("HTTP/1.1 200 OK\r\nConnection: keep-alive\r\n\r\npart one, ");
  ASSERT_EQ(p.next_event(), ParseEvent::headers_complete);
  EXPECT_EQ(p.body_kind(), BodyKind::until_close);
  EXPECT_FALSE(p.keep_alive()) << "a body that ends at close cannot keep the connection";
  ASSERT_EQ(p.next_event(), ParseEvent::body);
  EXPECT_EQ(p.body(), "part one, ");
  EXPECT_EQ(p.next_event(), ParseEvent::need_data);
  p.feed("part two");
  ASSERT_EQ(p.next_event(), ParseEvent::body);
  EXPECT_EQ(p.body(), "part two");
  EXPECT_EQ(p.next_event(), ParseEvent::need_data);
  p.feed_eof();
  EXPECT_EQ(p.next_event(), ParseEvent::message_complete);
  EXPECT_EQ(p.next_event(), ParseEvent::closed);
}

TEST(ResponseParser, Http10KeepAlive) {
  ResponseParser p;
  EXPECT_EQ(transcript(p,
                       "HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 1\r\n\r\na"
                       "HTTP/1.0 200 OK\r\nContent-Length: 1\r\n\r\nbHTTP/1.0 200 OK\r\n\r\n"),
            "> HTTP/1.0 200 OK\n  Connection: keep-alive\n  Content-Length: 1\n  [length 1 keep-alive]\n"
            "  body 1 a\n< complete\n"
            "> HTTP/1.0 200 OK\n  Content-Length: 1\n  [length 1 close]\n  body 1 b\n< complete\n= closed\n");
}

TEST(ResponseParser, MalformedResponses) {
  struct Case {
    const char* bytes;
    ParseError error;
  };
  const Case cases[] = {
      {"HTTP/1.1 20 OK\r\n\r\n", ParseError::bad_status_line},
      {"HTTP/1.1 2000 OK\r\n\r\n", ParseError::bad_status_line},
      {"HTTP/1.1 099 Low\r\n\r\n", ParseError::bad_status_line},
      {"HTTP/1.1 abc OK\r\n\r\n", ParseError::bad_status_line},
      {"HTTP/1.1  200 OK\r\n\r\n", ParseError::bad_status_line},
      {"HTTP/1.1 200 O\x01K\r\n\r\n", ParseError::bad_status_line},
      {"HTTP/1.1\r\n\r\n", ParseError::bad_status_line},
      {"HTTX/1.1 200 OK\r\n\r\n", ParseError::bad_version},
      {"HTTP/2.0 200 OK\r\n\r\n", ParseError::unsupported_version},
      {"HTTP/1.1 200 OK\nContent-Length: 0\r\n\r\n", ParseError::bad_line_ending},
      {"HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
       ParseError::conflicting_content_length},
      {"HTTP/1.1 200 OK\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n",
       ParseError::content_length_and_transfer_encoding},
      {"HTTP/1.1 200 OK\r\nTransfer-Encoding: br\r\n\r\n", ParseError::unsupported_transfer_encoding},
      {"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort", ParseError::unexpected_eof},
      {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nab", ParseError::unexpected_eof},
      {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nTrailer: x\r\n",
       ParseError::unexpected_eof},
      {"HTTP/1.1 200 OK\r\nContent-", ParseError::unexpected_eof},
  };
  for (const Case& c : cases) {
    ResponseParser p;
    const std::string text = transcript(p, c.bytes);
    EXPECT_EQ(p.error(), make_error_code(c.error)) << c.bytes << "\n" << text;
  }
}

TEST(ResponseParser, TooLongStatusLine) {
  ParserLimits limits;
  limits.max_start_line = 20;
  ResponseParser p(limits);
  EXPECT_EQ(transcript(p, "HTTP/1.1 200 " + std::string(100, 'K')), "= error start line too long 414\n");
}

constexpr const char* kNginx = "/usr/sbin/nginx";

// A throwaway nginx (one process, no daemon) serving a temp directory on 127.0.0.1.
class Nginx {
 public:
  Nginx() {
    char dir[] = "/tmp/fern_http_nginx_XXXXXX";
    if (::mkdtemp(dir) == nullptr) throw std::system_error(errno, std::system_category(), "mkdtemp");
    dir_ = dir;
    std::filesystem::create_directories(dir_ / "www/gz");
    std::ofstream(dir_ / "www/index.txt") << std::string(10000, 'i');
    std::ofstream(dir_ / "www/gz/big.txt") << std::string(200000, 'g');
    // A port from the kernel; if another process takes it before nginx binds, try again.
    for (int attempt = 0; attempt < 5 && pid_ < 0; ++attempt) start(free_port());
  }
  ~Nginx() {
    if (pid_ > 0) {
      ::kill(pid_, SIGTERM);
      ::waitpid(pid_, nullptr, 0);
    }
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }
  int port() const { return pid_ > 0 ? port_ : -1; }

 private:
  static int free_port() {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
    ::close(fd);
    return ntohs(a.sin_port);
  }

  void start(int port) {
    const std::string d = dir_.string();
    std::ofstream(dir_ / "nginx.conf")
        << "daemon off; master_process off; worker_processes 1; pid " << d << "/nginx.pid;\n"
        << "error_log " << d << "/error.log;\nevents { worker_connections 64; }\n"
        << "http { access_log off; client_body_temp_path " << d << "/body; proxy_temp_path " << d
        << "/proxy;\n"
        << "  fastcgi_temp_path " << d << "/fcgi; uwsgi_temp_path " << d << "/uwsgi; scgi_temp_path " << d
        << "/scgi;\n"
        << "  server { listen 127.0.0.1:" << port << "; root " << d << "/www;\n"
        << "    location = /hello { return 200 \"hello\"; }\n"
        << "    location /gz/ { gzip on; gzip_min_length 1; gzip_types text/plain; } } }\n";
    std::string conf = d + "/nginx.conf", prefix = d + "/";
    char* argv[] = {const_cast<char*>(kNginx),
                    const_cast<char*>("-p"),
                    prefix.data(),
                    const_cast<char*>("-c"),
                    conf.data(),
                    nullptr};
    const pid_t pid = ::fork();
    if (pid < 0) return;
    if (pid == 0) {
      // nginx must not outlive a crashed test, nor hold the test's output pipe open.
      ::prctl(PR_SET_PDEATHSIG, SIGTERM);
      int null = ::open("/dev/null", O_RDWR);
      for (int fd = 0; fd <= 2; ++fd) ::dup2(null, fd);
      ::execv(kNginx, argv);
      ::_exit(127);
    }
    // Ready when the port accepts; gone when nginx exits (the port was taken).
    for (int i = 0; i < 200; ++i) {
      if (::waitpid(pid, nullptr, WNOHANG) == pid) return;
      int fd = ::socket(AF_INET, SOCK_STREAM, 0);
      sockaddr_in a{};
      a.sin_family = AF_INET;
      a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      a.sin_port = htons(static_cast<std::uint16_t>(port));
      const bool up = ::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
      ::close(fd);
      if (up) {
        pid_ = pid;
        port_ = port;
        return;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    ::kill(pid, SIGTERM);
    ::waitpid(pid, nullptr, 0);
  }

  std::filesystem::path dir_;
  pid_t pid_ = -1;
  int port_ = -1;
};

struct Received {
  int status = 0;
  BodyKind kind = BodyKind::none;
  std::size_t body_bytes = 0;
  std::string body;
  std::string last_modified;
};

// Sends all requests at once on one connection and parses the responses as they arrive.
std::vector<Received> exchange(int port, const std::string& requests,
                               const std::vector<const char*>& methods) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(static_cast<std::uint16_t>(port));
  std::vector<Received> out;
  if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
      ::send(fd, requests.data(), requests.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(requests.size())) {
    ::close(fd);
    ADD_FAILURE() << "cannot talk to nginx";
    return out;
  }
  ResponseParser p;
  for (const char* m : methods) p.request_sent(m);
  for (ParseEvent e = p.next_event(); e != ParseEvent::closed; e = p.next_event()) {
    if (e == ParseEvent::error) {
      ADD_FAILURE() << p.error().message();
      break;
    }
    if (e == ParseEvent::headers_complete) {
      out.push_back({p.response().status, p.body_kind()});
      out.back().last_modified = p.response().headers.get("last-modified").value_or("");
    } else if (e == ParseEvent::body) {
      out.back().body_bytes += p.body().size();
      if (out.back().body.size() < 16) out.back().body += p.body().substr(0, 16);
    } else if (e == ParseEvent::need_data) {
      pollfd pfd{fd, POLLIN, 0};
      if (::poll(&pfd, 1, 10000) <= 0) {
        ADD_FAILURE() << "nginx did not answer within 10 s";
        break;
      }
      std::span<char> room = p.prepare(4096);
      ssize_t n = ::recv(fd, room.data(), room.size(), 0);
      p.commit(n > 0 ? static_cast<std::size_t>(n) : 0);
      if (n <= 0) p.feed_eof();
    }
  }
  ::close(fd);
  return out;
}

TEST(ResponseParser, PipelinedResponsesFromNginx) {
  if (::access(kNginx, X_OK) != 0) GTEST_SKIP() << kNginx << " is not installed";
  Nginx nginx;
  ASSERT_GT(nginx.port(), 0) << "nginx did not start";
  const std::vector<HeaderField> host = {{"Host", "localhost"}};
  std::string first;
  write_request(first, "GET", "/index.txt", {{"Host", "localhost"}, {"Connection", "close"}});
  const std::vector<Received> probe = exchange(nginx.port(), first, {"GET"});
  ASSERT_EQ(probe.size(), 1u);
  ASSERT_FALSE(probe[0].last_modified.empty());

  std::string requests;
  write_request(requests, "GET", "/hello", host);
  write_request(requests, "HEAD", "/index.txt", host);
  write_request(requests, "GET", "/index.txt",
                {{"Host", "localhost"}, {"If-Modified-Since", probe[0].last_modified}});
  write_request(requests, "GET", "/gz/big.txt", {{"Host", "localhost"}, {"Accept-Encoding", "gzip"}});
  write_request(requests, "GET", "/missing", host);
  write_request(requests, "GET", "/index.txt", {{"Host", "localhost"}, {"Connection", "close"}});
  const std::vector<Received> r =
      exchange(nginx.port(), requests, {"GET", "HEAD", "GET", "GET", "GET", "GET"});
  ASSERT_EQ(r.size(), 6u);
  EXPECT_EQ(r[0].status, 200);
  EXPECT_EQ(r[0].body, "hello");
  EXPECT_EQ(r[1].status, 200);
  EXPECT_EQ(r[1].kind, BodyKind::none) << "HEAD: Content-Length without body";
  EXPECT_EQ(r[2].status, 304);
  EXPECT_EQ(r[2].body_bytes, 0u);
  EXPECT_EQ(r[3].status, 200);
  EXPECT_EQ(r[3].kind, BodyKind::chunked) << "nginx streams gzip output chunked";
  EXPECT_GT(r[3].body_bytes, 0u);
  EXPECT_LT(r[3].body_bytes, 200000u);
  EXPECT_EQ(r[4].status, 404);
  EXPECT_EQ(r[5].status, 200);
  EXPECT_EQ(r[5].body_bytes, 10000u);
}

}  // namespace
}  // namespace fern::http
