// MessageParser, the engine under both parsers: incremental parsing from any chunking, streamed
// bodies, chunked framing with extensions and trailers, buffer handling, and the limits of bodies and
// chunk lines.
#include <gtest/gtest.h>

#include <cstring>
#include <numeric>
#include <string>
#include <vector>

#include <fern/http/message_parser.hpp>
#include <fern/http/request_parser.hpp>
#include <fern/http/response_parser.hpp>

#include "parser_transcript.hpp"

namespace fern::http {
namespace {

using testing::transcript;

const std::vector<std::string>& sample_requests() {
  static const std::vector<std::string> samples = {
      "GET /a HTTP/1.1\r\nHost: h\r\nAccept: */*\r\n\r\n",
      "POST /form HTTP/1.1\r\nHost: h\r\nContent-Type: text/plain\r\nContent-Length: 11\r\n\r\nhello world",
      "POST /c HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
      "5;name=value;quoted=\"a \\\"b\\\" c\"\r\nhello\r\n"
      "1 ; bare\r\n \r\n"
      "00a\r\n0123456789\r\n"
      "0\r\nChecksum: abc\r\nX-Trailer:  two words \r\n\r\n",
      "GET /1 HTTP/1.1\r\nHost: h\r\n\r\n\r\nPOST /2 HTTP/1.0\r\nContent-Length: 2\r\nConnection: "
      "keep-alive\r\n\r\n"
      "okGET /3 HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n",
      "PUT /bad HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\nxyz\r\n",
  };
  return samples;
}

const std::vector<std::string>& sample_responses() {
  static const std::vector<std::string> samples = {
      "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhelloHTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n",
      "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
      "4;ext\r\nwiki\r\n5\r\npedia\r\n0\r\nExpires: never\r\n\r\n",
      "HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nthe body runs until the server closes",
      "HTTP/1.1 204 No Content\r\nContent-Length: 7\r\n\r\nHTTP/1.1 304 Not Modified\r\n\r\n"
      "HTTP/1.1 200\r\nContent-Length: 1\r\nConnection: close\r\n\r\nx",
  };
  return samples;
}

template <typename Parser>
void expect_same_for_every_split(const std::string& input) {
  Parser whole;
  const std::string expected = transcript(whole, input);
  // Byte by byte.
  std::vector<std::size_t> every(input.size());
  std::iota(every.begin(), every.end(), std::size_t{0});
  Parser bytewise;
  EXPECT_EQ(transcript(bytewise, input, every), expected) << "byte by byte:\n" << input;
  // Every 2-way split.
  for (std::size_t cut = 0; cut <= input.size(); ++cut) {
    Parser split;
    const std::size_t cuts[] = {cut};
    ASSERT_EQ(transcript(split, input, cuts), expected) << "split at " << cut << ":\n" << input;
  }
}

TEST(MessageParser, RequestsParseTheSameFromAnyChunking) {
  for (const std::string& input : sample_requests()) expect_same_for_every_split<RequestParser>(input);
}

TEST(MessageParser, ResponsesParseTheSameFromAnyChunking) {
  for (const std::string& input : sample_responses()) expect_same_for_every_split<ResponseParser>(input);
}

TEST(MessageParser, ChunkedBodyWithExtensionsAndTrailers) {
  RequestParser p;
  EXPECT_EQ(transcript(p, sample_requests()[2], {}, false),
            "> POST /c HTTP/1.1\n  Host: h\n  Transfer-Encoding: chunked\n  [chunked keep-alive]\n"
            "  body 16 hello 0123456789\n"
            "  trailer Checksum: abc\n  trailer X-Trailer: two words\n< complete\n= need_data\n");
  // The trailers stay readable after message_complete, until the next message's head.
  EXPECT_EQ(p.trailers().get("checksum"), "abc");
}

TEST(MessageParser, MalformedChunkExtensionsAreRejected) {
  for (std::string_view line : {"5;\r\n", "5;=v\r\n", "5;a=\r\n", "5;a=\"open\r\n", "5 x\r\n", "5;a b\r\n",
                                "5 \r\n", "5;a=\"\x01\"\r\n", "5;a=b;\r\n",
                                // BWS with no ";" after it, after a name as after a value (found by
                                // fuzzing against a reference decoder).
                                "5;a \r\n", "5;a\t\r\n", "5;a=b \r\n", "5 ;a ;b \r\n"}) {
    RequestParser p;
    p.feed("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n");
    p.feed(line);
    p.feed("hello\r\n0\r\n\r\n");
    ASSERT_EQ(p.next_event(), ParseEvent::headers_complete);
    EXPECT_EQ(p.next_event(), ParseEvent::error) << line;
    EXPECT_EQ(p.error(), make_error_code(ParseError::bad_chunk_extension)) << line;
    EXPECT_EQ(p.error_status(), 400);
  }
}

TEST(MessageParser, ChunkExtensionsAllowBwsAroundTheirDelimiters) {
  for (std::string_view line : {"5 ;a\r\n", "5\t; a = b\r\n", "5;a ;b=\"q \\\" d\"\t;c\r\n"}) {
    RequestParser p;
    p.feed("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n");
    p.feed(line);
    p.feed("hello\r\n0\r\n\r\n");
    ASSERT_EQ(p.next_event(), ParseEvent::headers_complete);
    ASSERT_EQ(p.next_event(), ParseEvent::body) << line;
    EXPECT_EQ(p.body(), "hello");
    EXPECT_EQ(p.next_event(), ParseEvent::message_complete) << line;
  }
}

TEST(MessageParser, ChunkLineLimit) {
  ParserLimits limits;
  limits.max_chunk_line = 16;
  const std::string head = "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n";
  const std::string parsed_head =
      "> POST / HTTP/1.1\n  Host: h\n  Transfer-Encoding: chunked\n  [chunked keep-alive]\n";
  RequestParser ok(limits);  // a 16-byte line
  EXPECT_EQ(transcript(ok, head + "1;aaaaaaaaaaaaaa\r\nz\r\n0\r\n\r\n", {}, false),
            parsed_head + "  body 1 z\n< complete\n= need_data\n");
  RequestParser too_long(limits);
  EXPECT_EQ(transcript(too_long, head + "1;aaaaaaaaaaaaaaa\r\nz\r\n0\r\n\r\n"),
            parsed_head + "= error chunk size line too long 400\n");
  RequestParser endless(limits);  // cut off before the line ends
  EXPECT_EQ(transcript(endless, head + "1" + std::string(100, '0'), {}, false),
            parsed_head + "= error chunk size line too long 400\n");
}

TEST(MessageParser, TrailersHaveTheHeadLimits) {
  ParserLimits limits;
  limits.max_header_count = 2;
  const std::string head = "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n";
  RequestParser two(limits);
  two.feed(head + "A: 1\r\nB: 2\r\n\r\n");
  ASSERT_EQ(two.next_event(), ParseEvent::headers_complete);
  EXPECT_EQ(two.next_event(), ParseEvent::message_complete);
  EXPECT_EQ(two.trailers().size(), 2u);

  RequestParser three(limits);
  three.feed(head + "A: 1\r\nB: 2\r\nC: 3\r\n\r\n");
  ASSERT_EQ(three.next_event(), ParseEvent::headers_complete);
  EXPECT_EQ(three.next_event(), ParseEvent::error);
  EXPECT_EQ(three.error_status(), 431);

  limits.max_header_count = 100;
  limits.max_header_block = 100;
  RequestParser large(limits);
  large.feed(head + "A: " + std::string(200, 'a'));
  ASSERT_EQ(large.next_event(), ParseEvent::headers_complete);
  EXPECT_EQ(large.next_event(), ParseEvent::error);
  EXPECT_EQ(large.error(), make_error_code(ParseError::header_block_too_large));
}

TEST(MessageParser, LargeBodiesStreamInPiecesWithoutBeingBuffered) {
  constexpr std::size_t kBody = 8 << 20;
  constexpr std::size_t kPiece = 16 << 10;
  ParserLimits limits;
  limits.max_body = kBody;
  RequestParser p(limits);
  p.feed("PUT /big HTTP/1.1\r\nHost: h\r\nContent-Length: " + std::to_string(kBody) + "\r\n\r\n");
  ASSERT_EQ(p.next_event(), ParseEvent::headers_complete);
  std::string piece(kPiece, 'b');
  std::size_t received = 0, largest = 0, most_buffered = 0;
  ParseEvent event = ParseEvent::need_data;
  while (event == ParseEvent::need_data) {
    piece[0] = static_cast<char>('a' + received / kPiece % 26);
    p.feed(piece);
    most_buffered = std::max(most_buffered, p.buffered().size());
    while ((event = p.next_event()) == ParseEvent::body) {
      ASSERT_EQ(p.body()[0], piece[0]);
      received += p.body().size();
      largest = std::max(largest, p.body().size());
    }
  }
  EXPECT_EQ(event, ParseEvent::message_complete);
  EXPECT_EQ(received, kBody);
  EXPECT_EQ(largest, kPiece);
  EXPECT_EQ(most_buffered, kPiece);
}

TEST(MessageParser, PrepareAndCommitReceiveInPlace) {
  RequestParser p;
  const std::string request = "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 4\r\n\r\nbody";
  std::span<char> room = p.prepare(7);
  ASSERT_EQ(room.size(), 7u);
  std::memcpy(room.data(), request.data(), 7);
  EXPECT_EQ(p.next_event(), ParseEvent::need_data) << "uncommitted bytes are not parsed";
  p.commit(7);
  room = p.prepare(1024);
  std::memcpy(room.data(), request.data() + 7, request.size() - 7);
  p.commit(request.size() - 7);
  EXPECT_EQ(p.buffered(), request);
  ASSERT_EQ(p.next_event(), ParseEvent::headers_complete);
  ASSERT_EQ(p.next_event(), ParseEvent::body);
  EXPECT_EQ(p.body(), "body");
  EXPECT_THROW(p.commit(1), std::system_error) << "commit without prepare";
}

TEST(MessageParser, TakeBufferedAfterUpgrade) {
  ResponseParser p;
  p.request_sent("GET");
  p.feed(
      "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n\x81\x05hello");
  ASSERT_EQ(p.next_event(), ParseEvent::headers_complete);
  EXPECT_TRUE(p.upgraded());
  EXPECT_EQ(p.next_event(), ParseEvent::message_complete);
  EXPECT_EQ(p.next_event(), ParseEvent::closed);
  EXPECT_EQ(p.take_buffered(), "\x81\x05hello");
  EXPECT_EQ(p.buffered(), "");
}

TEST(MessageParser, EndOfStreamBetweenMessagesIsClosed) {
  RequestParser p;
  EXPECT_EQ(transcript(p, "GET / HTTP/1.1\r\nHost: h\r\n\r\n"),
            "> GET / HTTP/1.1\n  Host: h\n  [none keep-alive]\n< complete\n= closed\n");
  RequestParser empty;
  EXPECT_EQ(transcript(empty, ""), "= closed\n");
}

TEST(MessageParser, BodyUntilCloseStopsAtTheLimit) {
  ParserLimits limits;
  limits.max_body = 4;
  ResponseParser fits(limits);
  EXPECT_EQ(transcript(fits, "HTTP/1.1 200 OK\r\n\r\n1234"),
            "> HTTP/1.1 200 OK\n  [until_close close]\n  body 4 1234\n< complete\n= closed\n");
  ResponseParser over(limits);
  EXPECT_EQ(transcript(over, "HTTP/1.1 200 OK\r\n\r\n12345"),
            "> HTTP/1.1 200 OK\n  [until_close close]\n  body 4 1234\n= error body too large 413\n");
}

TEST(MessageParser, ErrorCodeIsInTheHttpCategory) {
  RequestParser p;
  p.feed("GET / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip\r\n\r\n");
  ASSERT_EQ(p.next_event(), ParseEvent::error);
  EXPECT_EQ(p.error().category(), http_category());
  EXPECT_EQ(p.error_kind(), ParseError::unsupported_transfer_encoding);
  EXPECT_EQ(p.error().message(), "transfer coding not implemented");
}

TEST(MessageParser, MovedParserKeepsItsViews) {
  RequestParser p;
  p.feed("GET /moved HTTP/1.1\r\nHost: h\r\n\r\n");
  ASSERT_EQ(p.next_event(), ParseEvent::headers_complete);
  RequestParser q = std::move(p);
  EXPECT_EQ(q.request().target, "/moved");
  EXPECT_EQ(q.request().headers.get("host"), "h");
  EXPECT_EQ(q.next_event(), ParseEvent::message_complete);
}

}  // namespace
}  // namespace fern::http
