// Serializer: exact bytes of requests and responses, framing chosen by the serializer, chunked
// streaming, refusal of header injection, and round trips through the parsers.
#include <gtest/gtest.h>

#include <functional>
#include <string>
#include <system_error>
#include <vector>

#include <fern/base/error.hpp>
#include <fern/http/request_parser.hpp>
#include <fern/http/response_parser.hpp>
#include <fern/http/serializer.hpp>

#include "parser_transcript.hpp"

namespace fern::http {
namespace {

using testing::transcript;

TEST(Serializer, WholeResponse) {
  std::string out;
  write_response(out, 200, {{"Content-Type", "text/plain"}}, "hello");
  EXPECT_EQ(out, "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 5\r\n\r\nhello");
}

TEST(Serializer, ResponseWithoutBodyStillHasALength) {
  std::string out;
  write_response(out, 404, {});
  EXPECT_EQ(out, "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n");
}

TEST(Serializer, BodilessStatusesHaveNoFraming) {
  std::string out;
  write_response(out, 204, {{"X", "y"}});
  write_response(out, 304, {});
  write_response_head(out, {.status = 100, .body = BodyKind::none});
  EXPECT_EQ(out,
            "HTTP/1.1 204 No Content\r\nX: y\r\n\r\nHTTP/1.1 304 Not Modified\r\n\r\nHTTP/1.1 100 "
            "Continue\r\n\r\n");
}

TEST(Serializer, CustomReasonAndUnknownStatus) {
  std::string out;
  write_response_head(out, {.status = 299, .body = BodyKind::none});
  write_response_head(out, {.status = 200, .reason = "Fine", .body = BodyKind::length, .content_length = 3});
  EXPECT_EQ(out, "HTTP/1.1 299 \r\nContent-Length: 0\r\n\r\nHTTP/1.1 200 Fine\r\nContent-Length: 3\r\n\r\n");
}

TEST(Serializer, ChunkedResponseStreaming) {
  std::string out;
  write_response_head(out, {.status = 200, .headers = {{"Trailer", "Checksum"}}, .body = BodyKind::chunked});
  write_chunk(out, "hello ");
  write_chunk(out, "");  // nothing: an empty chunk would end the body
  write_chunk(out, std::string(26, 'z'));
  write_chunk_header(out, 3);
  out += "abc";
  out += kCrlf;
  write_last_chunk(out, {{"Checksum", "42"}});
  EXPECT_EQ(out,
            "HTTP/1.1 200 OK\r\nTrailer: Checksum\r\nTransfer-Encoding: chunked\r\n\r\n"
            "6\r\nhello \r\n1a\r\nzzzzzzzzzzzzzzzzzzzzzzzzzz\r\n3\r\nabc\r\n0\r\nChecksum: 42\r\n\r\n");
  ResponseParser p;
  EXPECT_EQ(transcript(p, out),
            "> HTTP/1.1 200 OK\n  Trailer: Checksum\n  Transfer-Encoding: chunked\n  [chunked keep-alive]\n"
            "  body 35 hello zzzzzzzzzzzzzzzzzzzzzzzzzzabc\n  trailer Checksum: 42\n< complete\n= closed\n");
}

TEST(Serializer, UntilCloseAddsConnectionClose) {
  std::string out;
  write_response_head(out, {.status = 200, .body = BodyKind::until_close});
  write_response_head(out,
                      {.status = 200, .headers = {{"Connection", "close"}}, .body = BodyKind::until_close});
  EXPECT_EQ(out, "HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nHTTP/1.1 200 OK\r\nConnection: close\r\n\r\n");
}

TEST(Serializer, HeadResponseAnnouncesTheLengthAlone) {
  std::string out;
  write_response_head(out, {.status = 200, .body = BodyKind::length, .content_length = 1234});
  ResponseParser p;
  p.request_sent("HEAD");
  EXPECT_EQ(transcript(p, out),
            "> HTTP/1.1 200 OK\n  Content-Length: 1234\n  [none 1234 keep-alive]\n< complete\n"
            "= closed\n");
}

TEST(Serializer, Requests) {
  std::string out;
  write_request(out, "GET", "/a?b=c", {{"Host", "example.com"}, {"Accept", "*/*"}});
  write_request(out, "POST", "/form", {{"Host", "example.com"}});
  write_request(out, "PUT", "/x", {{"Host", "h"}}, "data");
  EXPECT_EQ(out,
            "GET /a?b=c HTTP/1.1\r\nHost: example.com\r\nAccept: */*\r\n\r\n"
            "POST /form HTTP/1.1\r\nHost: example.com\r\nContent-Length: 0\r\n\r\n"
            "PUT /x HTTP/1.1\r\nHost: h\r\nContent-Length: 4\r\n\r\ndata");
  RequestParser p;
  EXPECT_EQ(
      transcript(p, out),
      "> GET /a?b=c HTTP/1.1\n  Host: example.com\n  Accept: */*\n  [none keep-alive]\n< complete\n"
      "> POST /form HTTP/1.1\n  Host: example.com\n  Content-Length: 0\n  [length 0 keep-alive]\n< complete\n"
      "> PUT /x HTTP/1.1\n  Host: h\n  Content-Length: 4\n  [length 4 keep-alive]\n  body 4 data\n< "
      "complete\n"
      "= closed\n");
}

TEST(Serializer, ChunkedRequestAndHttp10) {
  std::string out;
  write_request_head(
      out, {.method = "POST", .target = "/up", .headers = {{"Host", "h"}}, .body = BodyKind::chunked});
  write_chunk(out, "abc");
  write_last_chunk(out);
  write_request_head(out, {.target = "/old", .version = kHttp10});
  EXPECT_EQ(out,
            "POST /up HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n"
            "GET /old HTTP/1.0\r\n\r\n");
}

void expect_invalid(const std::function<void(std::string&)>& write, const char* what) {
  std::string out = "kept";
  try {
    write(out);
    ADD_FAILURE() << what << ": no exception";
  } catch (const std::system_error& e) {
    EXPECT_EQ(e.code(), make_error_code(Errc::invalid_argument)) << what;
  }
  EXPECT_EQ(out, "kept") << what << ": output must be unchanged";
}

TEST(Serializer, RefusesInjectionAndImpossibleFraming) {
  expect_invalid(
      [](std::string& o) {
        write_response(o, 200, {{"X", "a\r\nInjected: 1"}});
      },
      "CRLF in value");
  expect_invalid([](std::string& o) { write_response(o, 200, {{"X", std::string_view("a\0b", 3)}}); }, "NUL");
  expect_invalid([](std::string& o) { write_response(o, 200, {{"Bad Name", "v"}}); }, "space in name");
  expect_invalid([](std::string& o) { write_response(o, 200, {{"", "v"}}); }, "empty name");
  expect_invalid(
      [](std::string& o) {
        write_response(o, 200, {{"Content-Length", "5"}}, "hello");
      },
      "own length");
  expect_invalid(
      [](std::string& o) {
        write_response(o, 200, {{"transfer-encoding", "chunked"}});
      },
      "own coding");
  expect_invalid([](std::string& o) { write_response(o, 204, {}, "body"); }, "body on 204");
  expect_invalid([](std::string& o) { write_response(o, 99, {}); }, "status 99");
  expect_invalid([](std::string& o) { write_response(o, 1000, {}); }, "status 1000");
  expect_invalid([](std::string& o) { write_response_head(o, {.status = 204, .body = BodyKind::chunked}); },
                 "chunked 204");
  expect_invalid([](std::string& o) { write_response_head(o, {.status = 200, .reason = "a\r\nb"}); },
                 "reason");
  expect_invalid(
      [](std::string& o) {
        write_response_head(o, {.status = 200, .body = BodyKind::chunked, .version = kHttp10});
      },
      "chunked in HTTP/1.0");
  expect_invalid([](std::string& o) { write_response_head(o, {.version = {2, 0}}); }, "HTTP/2");
  expect_invalid([](std::string& o) { write_request(o, "GET", "/a b", {{"Host", "h"}}); }, "space in target");
  expect_invalid(
      [](std::string& o) {
        write_request(o, "GET", "/a\r\n", {{"Host", "h"}});
      },
      "CRLF in target");
  expect_invalid([](std::string& o) { write_request(o, "GET", "", {{"Host", "h"}}); }, "empty target");
  expect_invalid([](std::string& o) { write_request(o, "GE T", "/", {{"Host", "h"}}); }, "method");
  expect_invalid([](std::string& o) { write_request_head(o, {.body = BodyKind::until_close}); },
                 "request to close");
  expect_invalid([](std::string& o) { write_last_chunk(o, {{"Bad\r\n", "x"}}); }, "trailer name");
}

TEST(Serializer, ResponsesRoundTripThroughTheParser) {
  std::string out;
  std::vector<std::string> bodies = {"", "x", std::string(100000, 'y')};
  for (const std::string& body : bodies) write_response(out, 200, {{"Server", "fern"}}, body);
  ResponseParser p;
  std::string received;
  std::size_t complete = 0;
  p.feed(out);
  for (ParseEvent e = p.next_event(); e != ParseEvent::need_data; e = p.next_event()) {
    ASSERT_NE(e, ParseEvent::error) << p.error().message();
    if (e == ParseEvent::body) received += p.body();
    if (e == ParseEvent::message_complete) {
      EXPECT_EQ(received, bodies[complete++]);
      received.clear();
    }
  }
  EXPECT_EQ(complete, bodies.size());
}

}  // namespace
}  // namespace fern::http
