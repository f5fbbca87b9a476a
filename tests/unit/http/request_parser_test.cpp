// RequestParser: request lines, fields, keep-alive, pipelining, and every malformed or oversized
// request with the error and status a server answers.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include <fern/http/request_parser.hpp>

#include "parser_transcript.hpp"

namespace fern::http {
namespace {

using testing::transcript;

// Parses one request fed whole and returns the first event that is not a body or need_data.
ParseEvent parse_head(RequestParser& p, std::string_view bytes) {
  p.feed(bytes);
  return p.next_event();
}

TEST(RequestParser, ParsesRequestLineAndFields) {
  RequestParser p;
  ASSERT_EQ(
      parse_head(p, "GET /index.html?q=1 HTTP/1.1\r\nHost: example.com\r\nAccept:  */* \r\nX-Empty:\r\n\r\n"),
      ParseEvent::headers_complete);
  RequestHead r = p.request();
  EXPECT_EQ(r.method, "GET");
  EXPECT_EQ(r.target, "/index.html?q=1");
  EXPECT_EQ(r.version, kHttp11);
  ASSERT_EQ(r.headers.size(), 3u);
  EXPECT_EQ(r.headers[0].name, "Host");
  EXPECT_EQ(r.headers[1].value, "*/*");  // optional whitespace around the value is not part of it
  EXPECT_EQ(r.headers[2].value, "");
  EXPECT_EQ(p.body_kind(), BodyKind::none);
  EXPECT_TRUE(p.keep_alive());
  EXPECT_EQ(p.next_event(), ParseEvent::message_complete);
  EXPECT_EQ(p.next_event(), ParseEvent::need_data);
}

TEST(RequestParser, HeaderNamesAreCaseInsensitive) {
  RequestParser p;
  ASSERT_EQ(
      parse_head(p,
                 "POST /x HTTP/1.1\r\nhOsT: a\r\ncontent-LENGTH: 3\r\nCONNECTION: Keep-Alive, UPGRADE\r\n"
                 "upgrade: websocket\r\nEXPECT: 100-Continue\r\n\r\nabc"),
      ParseEvent::headers_complete);
  EXPECT_EQ(p.request().headers.get("HOST"), "a");
  EXPECT_EQ(p.content_length(), 3u);
  EXPECT_EQ(p.body_kind(), BodyKind::length);
  EXPECT_TRUE(p.upgrade_requested());
  EXPECT_TRUE(p.expects_continue());
  ASSERT_EQ(p.next_event(), ParseEvent::body);
  EXPECT_EQ(p.body(), "abc");
}

TEST(RequestParser, AcceptsAnyTokenMethodAndTargetForms) {
  for (std::string_view line :
       {"PROPFIND /dav HTTP/1.1", "OPTIONS * HTTP/1.1", "CONNECT example.com:443 HTTP/1.1",
        "GET http://example.com/a?b#c HTTP/1.1", "M-SEARCH /caf\xc3\xa9 HTTP/1.1"}) {
    RequestParser p;
    EXPECT_EQ(parse_head(p, std::string(line) + "\r\nHost: h\r\n\r\n"), ParseEvent::headers_complete) << line;
  }
}

TEST(RequestParser, KeepAliveFollowsVersionAndConnection) {
  struct Case {
    const char* head;
    bool keep_alive;
  };
  const Case cases[] = {
      {"GET / HTTP/1.1\r\nHost: h\r\n\r\n", true},
      {"GET / HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n", false},
      {"GET / HTTP/1.1\r\nHost: h\r\nConnection: Upgrade, CLOSE\r\n\r\n", false},
      {"GET / HTTP/1.0\r\n\r\n", false},
      {"GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", true},
      {"GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n", true},
      {"GET / HTTP/1.0\r\nConnection: keep-alive, close\r\n\r\n", false},
      {"GET / HTTP/1.2\r\nHost: h\r\n\r\n", true},  // a later 1.x minor is served as 1.1
  };
  for (const Case& c : cases) {
    RequestParser p;
    ASSERT_EQ(parse_head(p, c.head), ParseEvent::headers_complete) << c.head;
    EXPECT_EQ(p.keep_alive(), c.keep_alive) << c.head;
    EXPECT_EQ(p.next_event(), ParseEvent::message_complete);
    EXPECT_EQ(p.next_event(), c.keep_alive ? ParseEvent::need_data : ParseEvent::closed) << c.head;
  }
}

TEST(RequestParser, PipelinedRequestsComeOutInOrder) {
  RequestParser p;
  const std::string input =
      "GET /1 HTTP/1.1\r\nHost: h\r\n\r\n"
      "POST /2 HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\nhello"
      "PUT /3 HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n"
      "GET /4 HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n"
      "GET /never HTTP/1.1\r\nHost: h\r\n\r\n";
  EXPECT_EQ(
      transcript(p, input),
      "> GET /1 HTTP/1.1\n  Host: h\n  [none keep-alive]\n< complete\n"
      "> POST /2 HTTP/1.1\n  Host: h\n  Content-Length: 5\n  [length 5 keep-alive]\n  body 5 hello\n< "
      "complete\n"
      "> PUT /3 HTTP/1.1\n  Host: h\n  Transfer-Encoding: chunked\n  [chunked keep-alive]\n  body 3 abc\n"
      "< complete\n"
      "> GET /4 HTTP/1.1\n  Host: h\n  Connection: close\n  [none close]\n< complete\n"
      "= closed\n");
  // The request after "Connection: close" is left unread.
  EXPECT_EQ(p.buffered(), "GET /never HTTP/1.1\r\nHost: h\r\n\r\n");
}

TEST(RequestParser, SkipsEmptyLinesBeforeARequest) {
  RequestParser p;
  EXPECT_EQ(transcript(p, "\r\n\r\nGET / HTTP/1.1\r\nHost: h\r\n\r\n\r\n"),
            "> GET / HTTP/1.1\n  Host: h\n  [none keep-alive]\n< complete\n= closed\n");
}

TEST(RequestParser, HeadViewsSurviveLaterFeeds) {
  RequestParser p;
  p.feed("POST /upload HTTP/1.1\r\nHost: h\r\nX-Name: kept\r\nContent-Length: 1000000\r\n\r\n");
  ASSERT_EQ(p.next_event(), ParseEvent::headers_complete);
  RequestHead head = p.request();
  const std::string piece(10000, 'x');
  std::size_t received = 0;
  ParseEvent event = ParseEvent::need_data;
  while (event == ParseEvent::need_data) {
    p.feed(piece);  // grows and compacts the input buffer many times
    while ((event = p.next_event()) == ParseEvent::body) received += p.body().size();
  }
  EXPECT_EQ(event, ParseEvent::message_complete);
  EXPECT_EQ(received, 1000000u);
  EXPECT_EQ(head.target, "/upload");
  EXPECT_EQ(head.headers.get("x-name"), "kept");
  EXPECT_EQ(p.request().method, "POST");
}

struct Malformed {
  const char* name;
  std::string bytes;
  ParseError error;
  int status;
};

std::string with_host(std::string_view fields) {
  return "GET / HTTP/1.1\r\nHost: h\r\n" + std::string(fields) + "\r\n";
}
std::string post(std::string_view fields) {
  return "POST / HTTP/1.1\r\nHost: h\r\n" + std::string(fields) + "\r\n";
}

std::vector<Malformed> malformed_requests() {
  using E = ParseError;
  return {
      {"no spaces", "GET\r\nHost: h\r\n\r\n", E::bad_request_line, 400},
      {"http/0.9 form", "GET /\r\n\r\n", E::bad_request_line, 400},
      {"empty method", " / HTTP/1.1\r\nHost: h\r\n\r\n", E::bad_method, 400},
      {"method with slash", "GE/T / HTTP/1.1\r\nHost: h\r\n\r\n", E::bad_method, 400},
      {"double space", "GET  / HTTP/1.1\r\nHost: h\r\n\r\n", E::bad_target, 400},
      {"control in target", "GET /a\x01 HTTP/1.1\r\nHost: h\r\n\r\n", E::bad_target, 400},
      {"space in target", "GET /a b HTTP/1.1\r\nHost: h\r\n\r\n", E::bad_version, 400},
      {"lower-case version", "GET / http/1.1\r\nHost: h\r\n\r\n", E::bad_version, 400},
      {"short version", "GET / HTTP/1\r\nHost: h\r\n\r\n", E::bad_version, 400},
      {"two-digit version", "GET / HTTP/1.10\r\nHost: h\r\n\r\n", E::bad_version, 400},
      {"trailing space", "GET / HTTP/1.1 \r\nHost: h\r\n\r\n", E::bad_version, 400},
      {"HTTP/2.0", "GET / HTTP/2.0\r\nHost: h\r\n\r\n", E::unsupported_version, 505},
      {"HTTP/0.9", "GET / HTTP/0.9\r\n\r\n", E::unsupported_version, 505},
      {"bare LF request line", "GET / HTTP/1.1\nHost: h\r\n\r\n", E::bad_line_ending, 400},
      {"bare LF field", "GET / HTTP/1.1\r\nHost: h\n\r\n", E::bad_line_ending, 400},
      {"bare LF end", "GET / HTTP/1.1\r\nHost: h\r\n\n", E::bad_line_ending, 400},
      {"bare CR in value", with_host("X: a\rb\r\n"), E::bad_header_value, 400},
      {"NUL in value", with_host(std::string("X: a\0b\r\n", 8)), E::bad_header_value, 400},
      {"obs-fold", with_host("X: a\r\n  continued\r\n"), E::obs_fold, 400},
      {"obs-fold tab", with_host("X: a\r\n\tcontinued\r\n"), E::obs_fold, 400},
      {"space before colon", with_host("Content-Length : 5\r\n"), E::space_before_colon, 400},
      {"tab before colon", with_host("X\t: 5\r\n"), E::space_before_colon, 400},
      {"no colon", with_host("NoColon\r\n"), E::bad_header, 400},
      {"empty name", with_host(": v\r\n"), E::bad_header, 400},
      {"space in name", with_host("Bad Name: v\r\n"), E::bad_header, 400},
      {"missing host", "GET / HTTP/1.1\r\n\r\n", E::missing_host, 400},
      {"duplicate host", with_host("Host: other\r\n"), E::duplicate_host, 400},
      {"signed length", post("Content-Length: +5\r\n"), E::bad_content_length, 400},
      {"negative length", post("Content-Length: -1\r\n"), E::bad_content_length, 400},
      {"hex length", post("Content-Length: 0x5\r\n"), E::bad_content_length, 400},
      {"empty length", post("Content-Length: \r\n"), E::bad_content_length, 400},
      {"overflowing length", post("Content-Length: 99999999999999999999\r\n"), E::bad_content_length, 400},
      {"differing lengths", post("Content-Length: 5\r\nContent-Length: 6\r\n"), E::conflicting_content_length,
       400},
      {"differing list", post("Content-Length: 5, 6\r\n"), E::conflicting_content_length, 400},
      {"length and chunked", post("Content-Length: 5\r\nTransfer-Encoding: chunked\r\n"),
       E::content_length_and_transfer_encoding, 400},
      {"chunked and length", post("Transfer-Encoding: chunked\r\nContent-Length: 5\r\n"),
       E::content_length_and_transfer_encoding, 400},
      {"chunked in 1.0", "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n", E::bad_transfer_encoding,
       400},
      {"chunked twice", post("Transfer-Encoding: chunked, chunked\r\n"), E::bad_transfer_encoding, 400},
      {"chunked twice in two fields", post("Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n"),
       E::bad_transfer_encoding, 400},
      {"empty coding", post("Transfer-Encoding: \r\n"), E::bad_transfer_encoding, 400},
      {"gzip", post("Transfer-Encoding: gzip\r\n"), E::unsupported_transfer_encoding, 501},
      {"gzip then chunked", post("Transfer-Encoding: gzip, chunked\r\n"), E::unsupported_transfer_encoding,
       501},
      {"chunked then gzip", post("Transfer-Encoding: chunked, gzip\r\n"), E::unsupported_transfer_encoding,
       501},
      {"identity", post("Transfer-Encoding: identity\r\n"), E::unsupported_transfer_encoding, 501},
      {"chunk size not hex", post("Transfer-Encoding: chunked\r\n") + "zz\r\n", E::bad_chunk_size, 400},
      {"chunk size missing", post("Transfer-Encoding: chunked\r\n") + ";a=b\r\n", E::bad_chunk_size, 400},
      {"chunk size overflow", post("Transfer-Encoding: chunked\r\n") + "1ffffffffffffffff\r\n",
       E::bad_chunk_size, 400},
      {"chunk data without CRLF", post("Transfer-Encoding: chunked\r\n") + "3\r\nabcX\r\n0\r\n\r\n",
       E::bad_chunk_end, 400},
      {"chunk data with bare LF", post("Transfer-Encoding: chunked\r\n") + "3\r\nabc\n0\r\n\r\n",
       E::bad_chunk_end, 400},
      {"chunk size bare LF", post("Transfer-Encoding: chunked\r\n") + "3\nabc\r\n", E::bad_line_ending, 400},
      {"bad trailer", post("Transfer-Encoding: chunked\r\n") + "0\r\nBad Trailer: x\r\n\r\n", E::bad_header,
       400},
      {"eof in head", "GET / HTTP/1.1\r\nHost: h\r\n", E::unexpected_eof, 400},
      {"eof in body", post("Content-Length: 10\r\n") + "12345", E::unexpected_eof, 400},
      {"eof in chunk", post("Transfer-Encoding: chunked\r\n") + "a\r\n12345", E::unexpected_eof, 400},
      {"eof before last chunk", post("Transfer-Encoding: chunked\r\n") + "1\r\na\r\n", E::unexpected_eof,
       400},
  };
}

TEST(RequestParser, MalformedRequestsFailWithTheirStatus) {
  for (const Malformed& m : malformed_requests()) {
    RequestParser p;
    const std::string text = transcript(p, m.bytes);
    EXPECT_EQ(p.error(), make_error_code(m.error)) << m.name << "\n" << text;
    EXPECT_EQ(p.error_status(), m.status) << m.name;
    EXPECT_EQ(p.next_event(), ParseEvent::error) << m.name << ": the error state is final";
  }
}

TEST(RequestParser, MalformedVerdictDoesNotDependOnSplitting) {
  for (const Malformed& m : malformed_requests()) {
    RequestParser whole;
    const std::string expected = transcript(whole, m.bytes);
    for (std::size_t cut = 0; cut <= m.bytes.size(); ++cut) {
      RequestParser split;
      const std::size_t cuts[] = {cut};
      ASSERT_EQ(transcript(split, m.bytes, cuts), expected) << m.name << " split at " << cut;
    }
  }
}

TEST(RequestParser, EqualDuplicateContentLengthsAreOneLength) {
  for (std::string_view fields : {"Content-Length: 3\r\nContent-Length: 3\r\n", "Content-Length: 3, 3\r\n",
                                  "Content-Length: 003\r\n"}) {
    RequestParser q;
    ASSERT_EQ(parse_head(q, post(fields) + "abc"), ParseEvent::headers_complete) << fields;
    EXPECT_EQ(q.content_length(), 3u);
    ASSERT_EQ(q.next_event(), ParseEvent::body);
    EXPECT_EQ(q.body(), "abc");
  }
}

TEST(RequestParser, ChunkedCodingNameIsCaseInsensitive) {
  RequestParser p;
  EXPECT_EQ(transcript(p, post("Transfer-Encoding: Chunked\r\n") + "1\r\nz\r\n0\r\n\r\n", {}, false),
            "> POST / HTTP/1.1\n  Host: h\n  Transfer-Encoding: Chunked\n  [chunked keep-alive]\n  body 1 z\n"
            "< complete\n= need_data\n");
}

TEST(RequestParser, TooLongRequestLineIs414) {
  ParserLimits limits;
  limits.max_start_line = 32;
  const std::string fits = "GET /" + std::string(32 - 14, 'a') + " HTTP/1.1";  // exactly 32 bytes
  ASSERT_EQ(fits.size(), 32u);
  RequestParser ok(limits);
  EXPECT_EQ(parse_head(ok, fits + "\r\nHost: h\r\n\r\n"), ParseEvent::headers_complete);

  RequestParser too_long(limits);
  EXPECT_EQ(parse_head(too_long, "GET /" + std::string(32 - 13, 'a') + " HTTP/1.1\r\nHost: h\r\n\r\n"),
            ParseEvent::error);
  EXPECT_EQ(too_long.error(), make_error_code(ParseError::start_line_too_long));
  EXPECT_EQ(too_long.error_status(), 414);

  // Detected before the line ends: a client streaming an endless target is cut off early.
  RequestParser endless(limits);
  EXPECT_EQ(parse_head(endless, "GET /" + std::string(100, 'a')), ParseEvent::error);
  EXPECT_EQ(endless.error_status(), 414);
}

TEST(RequestParser, TooLargeHeaderBlockIs431) {
  ParserLimits limits;
  limits.max_header_block = 64;
  const std::string head = "GET / HTTP/1.1\r\nHost: h\r\nX: ";  // 28 bytes
  const std::string fits = head + std::string(64 - 28 - 4, 'v') + "\r\n\r\n";
  ASSERT_EQ(fits.size(), 64u);
  RequestParser ok(limits);
  EXPECT_EQ(parse_head(ok, fits), ParseEvent::headers_complete);

  RequestParser too_large(limits);
  EXPECT_EQ(parse_head(too_large, head + std::string(64 - 28 - 3, 'v') + "\r\n\r\n"), ParseEvent::error);
  EXPECT_EQ(too_large.error(), make_error_code(ParseError::header_block_too_large));
  EXPECT_EQ(too_large.error_status(), 431);

  RequestParser endless(limits);
  EXPECT_EQ(parse_head(endless, head + std::string(1000, 'v')), ParseEvent::error);
  EXPECT_EQ(endless.error_status(), 431);
}

TEST(RequestParser, TooManyHeadersIs431) {
  ParserLimits limits;
  limits.max_header_count = 3;
  RequestParser ok(limits);
  EXPECT_EQ(parse_head(ok, with_host("A: 1\r\nB: 2\r\n")), ParseEvent::headers_complete);
  RequestParser too_many(limits);
  EXPECT_EQ(parse_head(too_many, with_host("A: 1\r\nB: 2\r\nC: 3\r\n")), ParseEvent::error);
  EXPECT_EQ(too_many.error(), make_error_code(ParseError::too_many_headers));
  EXPECT_EQ(too_many.error_status(), 431);
}

TEST(RequestParser, TooLargeBodyIs413) {
  ParserLimits limits;
  limits.max_body = 10;
  RequestParser ok(limits);
  EXPECT_EQ(
      transcript(ok, post("Content-Length: 10\r\n") + "0123456789", {}, false),
      "> POST / HTTP/1.1\n  Host: h\n  Content-Length: 10\n  [length 10 keep-alive]\n  body 10 0123456789\n"
      "< complete\n= need_data\n");

  // A declared length over the limit fails at once, before any body byte.
  RequestParser declared(limits);
  EXPECT_EQ(parse_head(declared, post("Content-Length: 11\r\n")), ParseEvent::error);
  EXPECT_EQ(declared.error(), make_error_code(ParseError::body_too_large));
  EXPECT_EQ(declared.error_status(), 413);

  // A chunked body fails at the chunk that would cross the limit.
  RequestParser chunked(limits);
  EXPECT_EQ(
      transcript(chunked, post("Transfer-Encoding: chunked\r\n") + "6\r\n012345\r\n5\r\n6789a\r\n0\r\n\r\n"),
      "> POST / HTTP/1.1\n  Host: h\n  Transfer-Encoding: chunked\n  [chunked keep-alive]\n"
      "  body 6 012345\n= error body too large 413\n");
}

TEST(RequestParser, FeedAfterErrorIsIgnored) {
  RequestParser p;
  p.feed("GET / HTTP/9.9\r\n");
  ASSERT_EQ(p.next_event(), ParseEvent::error);
  p.feed("GET / HTTP/1.1\r\nHost: h\r\n\r\n");
  EXPECT_EQ(p.next_event(), ParseEvent::error);
  EXPECT_EQ(p.error_status(), 505);
}

}  // namespace
}  // namespace fern::http
