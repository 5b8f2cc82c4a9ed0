#include "dataplane/http/http1_server_codec.h"

#include <memory>
#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace gatehouse::dataplane::http {
namespace {

struct RecordingDecoder : RequestDecoder {
  RequestHead head;
  bool headers_end = false;
  std::string body;
  bool ended = false;
  std::string reset;
  void DecodeHeaders(RequestHead h, bool end_stream) override {
    head = std::move(h);
    headers_end = end_stream;
    ended = end_stream;
  }
  void DecodeData(absl::string_view data, bool end_stream) override {
    body.append(data.data(), data.size());
    if (end_stream) ended = true;
  }
  void DecodeTrailers(HeaderMap t) override {
    trailers = std::move(t);
    ended = true;
  }
  void OnDownstreamWritable() override {}
  void OnDownstreamReset(absl::string_view reason) override { reset = std::string(reason); }
  HeaderMap trailers;
};

struct FakeConnection : Http1ServerCodec::Callbacks {
  std::vector<std::unique_ptr<RecordingDecoder>> streams;
  std::string written;
  bool closed = false;
  CloseReason close_reason = CloseReason::kShutdown;
  int ready_calls = 0;
  std::string ip = "192.0.2.1";
  ResponseEncoder* encoder = nullptr;

  RequestDecoder& NewStream(ResponseEncoder& e) override {
    encoder = &e;
    streams.push_back(std::make_unique<RecordingDecoder>());
    return *streams.back();
  }
  void Write(std::string data) override { written += data; }
  bool WriteBlocked() const override { return false; }
  void PauseReading(bool) override {}
  void CloseAfterWrites(CloseReason reason, absl::string_view) override {
    closed = true;
    close_reason = reason;
  }
  void Abort(CloseReason reason, absl::string_view) override {
    closed = true;
    close_reason = reason;
  }
  void OnReadyForNextRequest() override { ++ready_calls; }
  std::string peer_ip() const override { return ip; }
};

void Respond(ResponseEncoder& encoder, absl::string_view body) {
  ResponseHead head;
  head.status = 200;
  head.headers.Add("X-Test", "1");
  head.framing = BodyFraming::kContentLength;
  head.content_length = body.size();
  encoder.EncodeHeaders(head, false);
  encoder.EncodeData(body, true);
}

TEST(Http1ServerCodecTest, ParsesRequestHeadAndStripsHopByHop) {
  FakeConnection connection;
  Http1ServerCodec codec(&connection);
  std::string request =
      "GET /a/b?x=1 HTTP/1.1\r\nHost: Example.com:8080\r\nX-Custom: v\r\n"
      "Connection: keep-alive, X-Drop\r\nX-Drop: gone\r\nKeep-Alive: 5\r\n\r\n";
  EXPECT_EQ(codec.Dispatch(request), request.size());
  ASSERT_EQ(connection.streams.size(), 1u);
  const RequestHead& head = connection.streams[0]->head;
  EXPECT_EQ(head.method, "GET");
  EXPECT_EQ(head.target, "/a/b?x=1");
  EXPECT_EQ(head.Path(), "/a/b");
  EXPECT_EQ(head.authority, "Example.com:8080");
  EXPECT_TRUE(connection.streams[0]->headers_end);
  ASSERT_NE(head.headers.Get("x-custom"), nullptr);
  EXPECT_FALSE(head.headers.Has("x-drop"));
  EXPECT_FALSE(head.headers.Has("connection"));
  EXPECT_FALSE(head.headers.Has("keep-alive"));

  Respond(*connection.encoder, "hi");
  EXPECT_EQ(connection.written, "HTTP/1.1 200 OK\r\nX-Test: 1\r\nContent-Length: 2\r\n\r\nhi");
  EXPECT_FALSE(connection.closed);
}

TEST(Http1ServerCodecTest, PipelinedRequestsWaitForTheResponseBefore) {
  FakeConnection connection;
  Http1ServerCodec codec(&connection);
  std::string two = "GET /1 HTTP/1.1\r\nHost: a\r\n\r\nGET /2 HTTP/1.1\r\nHost: a\r\n\r\n";
  size_t consumed = codec.Dispatch(two);
  ASSERT_EQ(connection.streams.size(), 1u);
  EXPECT_LT(consumed, two.size());
  Respond(*connection.encoder, "one");
  EXPECT_EQ(connection.ready_calls, 1);
  EXPECT_EQ(codec.Dispatch(absl::string_view(two).substr(consumed)), two.size() - consumed);
  ASSERT_EQ(connection.streams.size(), 2u);
  EXPECT_EQ(connection.streams[1]->head.target, "/2");
}

// What the connection reads off the codec to choose its timeout: idle between requests, the
// head timeout while a head arrives, none while a request is served, the tunnel's after a 101.
TEST(Http1ServerCodecTest, PhasesAsTheConnectionSeesThem) {
  FakeConnection connection;
  Http1ServerCodec codec(&connection);
  EXPECT_TRUE(codec.idle());
  codec.Dispatch("GET /ws HTTP/1.1\r\nHost: a\r\n");
  EXPECT_TRUE(codec.reading_head());
  EXPECT_FALSE(codec.idle());
  codec.Dispatch("Connection: Upgrade\r\nUpgrade: websocket\r\n\r\n");
  ASSERT_EQ(connection.streams.size(), 1u);
  EXPECT_FALSE(codec.reading_head());
  EXPECT_FALSE(codec.idle());
  EXPECT_FALSE(codec.tunneling());
  ResponseHead switched;
  switched.status = 101;
  switched.upgrade = "websocket";
  connection.encoder->EncodeHeaders(switched, false);
  EXPECT_TRUE(codec.tunneling());
  // Bytes either way now pass as they are.
  EXPECT_EQ(codec.Dispatch("\x81\x02hi"), 4u);
  EXPECT_EQ(connection.streams[0]->body, "\x81\x02hi");
  connection.encoder->EncodeData("\x81\x02yo", false);
  EXPECT_NE(connection.written.find("\x81\x02yo"), std::string::npos);
  connection.encoder->EncodeData("", true);  // the upstream ended the tunnel
  EXPECT_TRUE(connection.closed);
}

TEST(Http1ServerCodecTest, AKeptAliveConnectionIsIdleAgainAfterTheResponse) {
  FakeConnection connection;
  Http1ServerCodec codec(&connection);
  codec.Dispatch("GET / HTTP/1.1\r\nHost: a\r\n\r\n");
  EXPECT_FALSE(codec.idle());
  Respond(*connection.encoder, "ok");
  EXPECT_TRUE(codec.idle());
  EXPECT_FALSE(connection.closed);
  // A response before the request body ended: the rest is never read, the connection closes.
  codec.Dispatch("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\n\r\n12345");
  ASSERT_EQ(connection.streams.size(), 2u);
  Respond(*connection.encoder, "early");
  EXPECT_TRUE(connection.closed);
  EXPECT_EQ(connection.close_reason, CloseReason::kUnreadRequestBody);
  EXPECT_NE(connection.written.find("Connection: close"), std::string::npos);
}

TEST(Http1ServerCodecTest, ChunkedRequestBodyArrivesWhole) {
  FakeConnection connection;
  Http1ServerCodec codec(&connection);
  std::string request =
      "POST /up HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
      "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n";
  // Byte by byte, to cover every split point.
  for (char c : request) codec.Dispatch(absl::string_view(&c, 1));
  ASSERT_EQ(connection.streams.size(), 1u);
  EXPECT_EQ(connection.streams[0]->head.framing, BodyFraming::kChunked);
  EXPECT_FALSE(connection.streams[0]->head.headers.Has("transfer-encoding"));
  EXPECT_EQ(connection.streams[0]->body, "hello world");
  EXPECT_TRUE(connection.streams[0]->ended);
}

TEST(Http1ServerCodecTest, MalformedRequestsGetA400AndNeverAStream) {
  const char* bad[] = {
      "GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n",
      "GET / HTTP/1.1\r\nHost : a\r\n\r\n",
      "GET / HTTP/1.1\r\nHost: a\r\nContent-Length: abc\r\n\r\n",
      "NOT A REQUEST\r\n\r\n",
      // RFC 9112 section 5.2: obsolete line folding, refused also when the first line's value
      // is empty, where a folded value could otherwise smuggle framing or a host.
      "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding:\r\n chunked\r\n\r\n0\r\n\r\n",
      "POST / HTTP/1.1\r\nHost: a\r\nContent-Length:\r\n 5\r\n\r\nhello",
      "GET / HTTP/1.1\r\nHost:\r\n b.test\r\n\r\n",
      "GET / HTTP/1.1\r\nHost: a\r\nX-A: \r\n\tfolded\r\n\r\n",
  };
  for (const char* request : bad) {
    FakeConnection connection;
    Http1ServerCodec codec(&connection);
    codec.Dispatch(request);
    EXPECT_TRUE(connection.streams.empty()) << request;
    EXPECT_EQ(connection.written.rfind("HTTP/1.1 400 Bad Request\r\n", 0), 0u) << request;
    EXPECT_TRUE(connection.closed) << request;
    EXPECT_EQ(connection.close_reason, CloseReason::kRejectedRequest) << request;
  }
}

TEST(Http1ServerCodecTest, LimitsAndConnectAreRefusedBeforeAnyStream) {
  struct Row {
    std::string request;
    const char* status_line;
  };
  std::string many_headers = "GET / HTTP/1.1\r\nHost: a\r\n";
  for (int i = 0; i < 120; ++i) many_headers += "X-H" + std::to_string(i) + ": v\r\n";
  const Row rows[] = {
      {"GET /" + std::string(Http1Parser::kMaxTargetBytes, 'a') + " HTTP/1.1\r\nHost: a\r\n\r\n",
       "HTTP/1.1 414 URI Too Long\r\n"},
      {many_headers + "\r\n", "HTTP/1.1 431 Request Header Fields Too Large\r\n"},
      {"CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n",
       "HTTP/1.1 405 Method Not Allowed\r\n"},
  };
  for (const Row& row : rows) {
    FakeConnection connection;
    Http1ServerCodec codec(&connection);
    codec.Dispatch(row.request);
    EXPECT_TRUE(connection.streams.empty()) << row.status_line;
    EXPECT_EQ(connection.written.rfind(row.status_line, 0), 0u) << connection.written;
    EXPECT_TRUE(connection.closed) << row.status_line;
  }
}

TEST(Http1ServerCodecTest, HugeHeadersGet431) {
  FakeConnection connection;
  Http1ServerCodec codec(&connection);
  std::string request =
      "GET / HTTP/1.1\r\nHost: a\r\nX-Big: " + std::string(Http1Parser::kMaxHeadBytes, 'x') +
      "\r\n\r\n";
  codec.Dispatch(request);
  EXPECT_TRUE(connection.streams.empty());
  EXPECT_EQ(connection.written.rfind("HTTP/1.1 431 ", 0), 0u);
}

TEST(Http1ServerCodecTest, Http10GetsCloseAndChunkedResponsesForHttp11) {
  {
    FakeConnection connection;
    Http1ServerCodec codec(&connection);
    codec.Dispatch("GET / HTTP/1.0\r\n\r\n");
    ResponseHead head;
    head.framing = BodyFraming::kChunked;
    connection.encoder->EncodeHeaders(head, false);
    connection.encoder->EncodeData("abc", true);
    EXPECT_EQ(connection.written, "HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nabc");
    EXPECT_TRUE(connection.closed);
  }
  {
    FakeConnection connection;
    Http1ServerCodec codec(&connection);
    codec.Dispatch("GET / HTTP/1.1\r\nHost: a\r\n\r\n");
    ResponseHead head;
    head.framing = BodyFraming::kUntilClose;
    connection.encoder->EncodeHeaders(head, false);
    connection.encoder->EncodeData("abc", false);
    connection.encoder->EncodeData("", true);
    EXPECT_EQ(connection.written,
              "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n");
    EXPECT_FALSE(connection.closed);
  }
}

// Whatever a field's origin (an upstream, a filter, a tenant's annotation), the encoder never
// writes one that could end early and become another field or another response: CR, LF or NUL
// in its value, or a name that is not a token (RFC 9110 sections 5.1 and 5.5). It leaves it out.
TEST(Http1ServerCodecTest, FieldsThatCouldSplitTheResponseAreLeftOut) {
  FakeConnection connection;
  Http1ServerCodec codec(&connection);
  codec.Dispatch("GET / HTTP/1.1\r\nHost: a\r\n\r\n");
  ResponseHead head;
  head.headers.Add("X-Before", "1");
  head.headers.Add("Set-Cookie", "s=1\r\n\r\nHTTP/1.1 200 OK\r\nX-Evil: 1");
  head.headers.Add("X-Lf", "a\nb");
  head.headers.Add("X-Nul", std::string("a\0b", 3));
  head.headers.Add("X Space", "c");
  head.headers.Add("X-After", "2");
  head.framing = BodyFraming::kContentLength;
  head.content_length = 2;
  connection.encoder->EncodeHeaders(head, false);
  connection.encoder->EncodeData("ok", true);
  EXPECT_EQ(connection.written,
            "HTTP/1.1 200 OK\r\nX-Before: 1\r\nX-After: 2\r\nContent-Length: 2\r\n\r\nok");
}

TEST(Http1ServerCodecTest, ConnectionCloseRequestClosesAfterResponse) {
  FakeConnection connection;
  Http1ServerCodec codec(&connection);
  codec.Dispatch("GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n");
  Respond(*connection.encoder, "x");
  EXPECT_NE(connection.written.find("Connection: close\r\n"), std::string::npos);
  EXPECT_TRUE(connection.closed);
  EXPECT_EQ(connection.close_reason, CloseReason::kConnectionClose);
}

TEST(Http1ServerCodecTest, TrailersArriveAfterTheBodyAndGoOutWithAChunkedResponse) {
  FakeConnection connection;
  Http1ServerCodec codec(&connection);
  codec.Dispatch(
      "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
      "3\r\nabc\r\n0\r\nX-Checksum: 42\r\nX-Other: y\r\n\r\n");
  ASSERT_EQ(connection.streams.size(), 1u);
  RecordingDecoder& stream = *connection.streams[0];
  EXPECT_EQ(stream.body, "abc");
  EXPECT_TRUE(stream.ended);
  ASSERT_NE(stream.trailers.Get("x-checksum"), nullptr);
  EXPECT_EQ(*stream.trailers.Get("x-checksum"), "42");
  EXPECT_EQ(stream.trailers.size(), 2u);

  ResponseHead head;
  head.framing = BodyFraming::kChunked;
  connection.encoder->EncodeHeaders(head, false);
  connection.encoder->EncodeData("hi", false);
  HeaderMap trailers;
  trailers.Add("Grpc-Status", "0");
  connection.encoder->EncodeTrailers(trailers);
  EXPECT_EQ(connection.written,
            "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nhi\r\n"
            "0\r\nGrpc-Status: 0\r\n\r\n");
  EXPECT_FALSE(connection.closed);
}

// RFC 9110 section 6.5.1: fields that route, frame, authenticate or describe the message are
// not taken from trailers, nor the forwarding fields the proxy writes itself.
TEST(Http1ServerCodecTest, TrailersCannotCarryRoutingFramingOrCredentials) {
  FakeConnection connection;
  Http1ServerCodec codec(&connection);
  codec.Dispatch(
      "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
      "3\r\nabc\r\n0\r\nHost: evil.test\r\nX-Forwarded-For: 203.0.113.9\r\n"
      "Authorization: Basic Zm9v\r\nContent-Length: 99\r\nCookie: a=b\r\n"
      "X-Forwarded-Proto: https\r\nForwarded: for=1.2.3.4\r\nIf-Match: *\r\n"
      "X-Checksum: 42\r\n\r\n");
  ASSERT_EQ(connection.streams.size(), 1u);
  RecordingDecoder& stream = *connection.streams[0];
  EXPECT_TRUE(stream.ended);
  ASSERT_EQ(stream.trailers.size(), 1u);
  EXPECT_EQ(stream.trailers.entries()[0].first, "X-Checksum");
}

// Connection lists hop-by-hop fields; Host is the request's authority and stays.
TEST(Http1ServerCodecTest, ConnectionCannotRemoveHost) {
  FakeConnection connection;
  Http1ServerCodec codec(&connection);
  codec.Dispatch("GET / HTTP/1.1\r\nHost: b.test\r\nConnection: host, x-drop\r\n\r\n");
  ASSERT_EQ(connection.streams.size(), 1u);
  EXPECT_EQ(connection.streams[0]->head.authority, "b.test");
  ASSERT_NE(connection.streams[0]->head.headers.Get("host"), nullptr);
  EXPECT_EQ(*connection.streams[0]->head.headers.Get("host"), "b.test");
}

}  // namespace
}  // namespace gatehouse::dataplane::http
