#include "dataplane/http/http1_client_codec.h"

#include "gtest/gtest.h"

namespace gatehouse::dataplane::http {
namespace {

struct RecordingDecoder : ResponseDecoder {
  ResponseHead head;
  bool got_head = false;
  std::string body;
  bool ended = false;
  std::string reset;
  void DecodeResponseHeaders(ResponseHead h, bool end_stream) override {
    head = std::move(h);
    got_head = true;
    ended = end_stream;
  }
  void DecodeResponseData(absl::string_view data, bool end_stream) override {
    body.append(data.data(), data.size());
    if (end_stream) ended = true;
  }
  void DecodeResponseTrailers(HeaderMap t) override {
    trailers = std::move(t);
    ended = true;
  }
  void OnUpstreamWritable() override {}
  void OnUpstreamReset(absl::string_view reason) override { reset = std::string(reason); }
  HeaderMap trailers;
};

struct FakeConnection : Http1ClientCodec::Callbacks {
  std::string written;
  void Write(std::string data) override { written += data; }
  bool WriteBlocked() const override { return false; }
  void PauseReading(bool) override {}
};

RequestHead Get(const char* method = "GET") {
  RequestHead head;
  head.method = method;
  head.target = "/x?y=1";
  head.headers.Add("Host", "example.com");
  return head;
}

TEST(Http1ClientCodecTest, SwitchedProtocolsPassBytesUntilTheUpstreamCloses) {
  FakeConnection connection;
  Http1ClientCodec codec(&connection);
  RecordingDecoder decoder;
  codec.SetDecoder(&decoder);
  RequestHead head = Get();
  head.upgrade = "websocket";
  codec.EncodeHeaders(head, true);
  std::string answer =
      "HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n"
      "\x81\x02hi";
  EXPECT_EQ(codec.Dispatch(answer), answer.size());
  ASSERT_TRUE(decoder.got_head);
  EXPECT_EQ(decoder.head.status, 101);
  EXPECT_EQ(decoder.head.upgrade, "websocket");
  EXPECT_EQ(decoder.body, "\x81\x02hi");  // what followed the head is the tunnel's
  codec.Dispatch("more");
  EXPECT_EQ(decoder.body, "\x81\x02himore");
  EXPECT_FALSE(codec.reusable());
  codec.OnRemoteClose("");
  EXPECT_TRUE(decoder.ended);
  EXPECT_TRUE(decoder.reset.empty());
}

// Found by fuzz_http1_client (corpus crash-101-without-upgrade): llhttp ends a 101 that names no
// protocol in Upgrade as a message without body and parses on. The bytes after it are the
// tunnel's all the same; none of them may be read as another response.
TEST(Http1ClientCodecTest, ASwitchWithoutUpgradeFieldStillTunnelsWhatFollows) {
  FakeConnection connection;
  Http1ClientCodec codec(&connection);
  RecordingDecoder decoder;
  codec.SetDecoder(&decoder);
  RequestHead head = Get();
  head.upgrade = "websocket";
  codec.EncodeHeaders(head, true);
  std::string answer =
      "HTTP/1.1 101 Switching Protocols\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n";
  EXPECT_EQ(codec.Dispatch(answer), answer.size());
  EXPECT_EQ(decoder.head.status, 101);
  EXPECT_EQ(decoder.body, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
  EXPECT_FALSE(codec.reusable());
}

TEST(Http1ClientCodecTest, BytesOnAnIdleConnectionBreakIt) {
  FakeConnection connection;
  Http1ClientCodec codec(&connection);
  RecordingDecoder decoder;
  codec.SetDecoder(&decoder);
  codec.EncodeHeaders(Get(), true);
  codec.Dispatch("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
  EXPECT_TRUE(codec.reusable());
  codec.Dispatch("HTTP/1.1 200 OK\r\n");  // nobody asked
  EXPECT_FALSE(codec.reusable());
  // Broken for good: a later exchange hears nothing from it but a reset.
  RecordingDecoder later;
  codec.SetDecoder(&later);
  codec.OnRemoteClose("");
  EXPECT_FALSE(later.reset.empty());
}

TEST(Http1ClientCodecTest, EncodesChunkedRequest) {
  FakeConnection connection;
  Http1ClientCodec codec(&connection);
  RequestHead head = Get("POST");
  head.framing = BodyFraming::kChunked;
  codec.EncodeHeaders(head, false);
  codec.EncodeData("abc", false);
  codec.EncodeData("", true);
  EXPECT_EQ(connection.written,
            "POST /x?y=1 HTTP/1.1\r\nHost: example.com\r\nTransfer-Encoding: chunked\r\n\r\n"
            "3\r\nabc\r\n0\r\n\r\n");
}

// Towards the upstream too: a field that could end early and smuggle another field or request
// (CR, LF or NUL in its value, a name that is not a token) is left out.
TEST(Http1ClientCodecTest, FieldsThatCouldSmuggleARequestAreLeftOut) {
  FakeConnection connection;
  Http1ClientCodec codec(&connection);
  RequestHead head = Get("GET");
  head.headers.Add("X-Before", "1");
  head.headers.Add("X-Id", "1\r\n\r\nGET /admin HTTP/1.1\r\nHost: internal");
  head.headers.Add("X-Nul", std::string("a\0b", 3));
  head.headers.Add("X:Colon", "c");
  head.headers.Add("X-After", "2");
  codec.EncodeHeaders(head, true);
  EXPECT_EQ(connection.written,
            "GET /x?y=1 HTTP/1.1\r\nHost: example.com\r\nX-Before: 1\r\nX-After: 2\r\n\r\n");
}

TEST(Http1ClientCodecTest, ContentLengthResponseLeavesConnectionReusable) {
  FakeConnection connection;
  Http1ClientCodec codec(&connection);
  RecordingDecoder decoder;
  codec.SetDecoder(&decoder);
  codec.EncodeHeaders(Get(), true);
  std::string response =
      "HTTP/1.1 201 Created\r\nServer: up\r\nContent-Length: 5\r\nKeep-Alive: timeout=5\r\n\r\n"
      "hello";
  EXPECT_EQ(codec.Dispatch(response), response.size());
  EXPECT_EQ(decoder.head.status, 201);
  EXPECT_EQ(decoder.head.reason, "Created");
  EXPECT_EQ(decoder.head.framing, BodyFraming::kContentLength);
  EXPECT_EQ(decoder.head.content_length, 5u);
  EXPECT_FALSE(decoder.head.headers.Has("keep-alive"));
  EXPECT_EQ(decoder.body, "hello");
  EXPECT_TRUE(decoder.ended);
  EXPECT_TRUE(codec.reusable());
}

TEST(Http1ClientCodecTest, InterimResponsesAreSkipped) {
  FakeConnection connection;
  Http1ClientCodec codec(&connection);
  RecordingDecoder decoder;
  codec.SetDecoder(&decoder);
  codec.EncodeHeaders(Get(), true);
  codec.Dispatch("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
  EXPECT_EQ(decoder.head.status, 200);
  EXPECT_TRUE(decoder.ended);
}

TEST(Http1ClientCodecTest, CloseDelimitedBodyEndsAtClose) {
  FakeConnection connection;
  Http1ClientCodec codec(&connection);
  RecordingDecoder decoder;
  codec.SetDecoder(&decoder);
  codec.EncodeHeaders(Get(), true);
  codec.Dispatch("HTTP/1.1 200 OK\r\n\r\nstream");
  EXPECT_EQ(decoder.head.framing, BodyFraming::kUntilClose);
  EXPECT_FALSE(decoder.ended);
  codec.OnRemoteClose("");
  EXPECT_TRUE(decoder.ended);
  EXPECT_EQ(decoder.body, "stream");
  EXPECT_TRUE(decoder.reset.empty());
  EXPECT_FALSE(codec.reusable());
}

TEST(Http1ClientCodecTest, TruncatedBodyResetsTheStream) {
  FakeConnection connection;
  Http1ClientCodec codec(&connection);
  RecordingDecoder decoder;
  codec.SetDecoder(&decoder);
  codec.EncodeHeaders(Get(), true);
  codec.Dispatch("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc");
  codec.OnRemoteClose("");
  EXPECT_FALSE(decoder.ended);
  EXPECT_FALSE(decoder.reset.empty());
}

TEST(Http1ClientCodecTest, HeadResponseHasNoBody) {
  FakeConnection connection;
  Http1ClientCodec codec(&connection);
  RecordingDecoder decoder;
  codec.SetDecoder(&decoder);
  codec.EncodeHeaders(Get("HEAD"), true);
  codec.Dispatch("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n");
  EXPECT_TRUE(decoder.ended);
  EXPECT_EQ(decoder.head.content_length, 100u);
  EXPECT_TRUE(codec.reusable());
}

}  // namespace
}  // namespace gatehouse::dataplane::http

namespace gatehouse::dataplane::http {
namespace {

TEST(Http1ClientCodecTest, NoContentWithContentLengthHeaderEndsAtTheHead) {
  FakeConnection connection;
  Http1ClientCodec codec(&connection);
  RecordingDecoder decoder;
  codec.SetDecoder(&decoder);
  codec.EncodeHeaders(Get(), true);
  codec.Dispatch("HTTP/1.1 204 No Content\r\nContent-Length: 17\r\n\r\n");
  EXPECT_TRUE(decoder.ended);
  EXPECT_EQ(decoder.head.framing, BodyFraming::kNone);
  EXPECT_TRUE(codec.reusable());
}

TEST(Http1ClientCodecTest, TrailersGoUpWithAChunkedRequestAndComeBackFromTheResponse) {
  FakeConnection connection;
  Http1ClientCodec codec(&connection);
  RecordingDecoder decoder;
  codec.SetDecoder(&decoder);
  RequestHead head;
  head.method = "POST";
  head.target = "/";
  head.framing = BodyFraming::kChunked;
  codec.EncodeHeaders(head, false);
  codec.EncodeData("abc", false);
  HeaderMap trailers;
  trailers.Add("X-Checksum", "42");
  codec.EncodeTrailers(trailers);
  EXPECT_EQ(connection.written,
            "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n"
            "0\r\nX-Checksum: 42\r\n\r\n");
  codec.Dispatch(
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n"
      "0\r\nGrpc-Status: 0\r\n\r\n");
  EXPECT_EQ(decoder.body, "ok");
  EXPECT_TRUE(decoder.ended);
  ASSERT_NE(decoder.trailers.Get("grpc-status"), nullptr);
  EXPECT_EQ(*decoder.trailers.Get("grpc-status"), "0");
  EXPECT_TRUE(codec.reusable());
}

}  // namespace
}  // namespace gatehouse::dataplane::http
