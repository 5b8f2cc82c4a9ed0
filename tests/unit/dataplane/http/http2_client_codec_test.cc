// Http2ClientCodec against a real nghttp2 server session (h2_peer.h): requests go up as frames,
// responses come back as protocol-neutral events, and resets and GOAWAY reach the proxy.
// Reference: RFC 9113 (HTTP/2) for the pseudo-headers, RST_STREAM, GOAWAY and SETTINGS.
#include "dataplane/http/http2_client_codec.h"

#include <memory>
#include <optional>
#include <string>

#include "gtest/gtest.h"
#include "tests/unit/dataplane/http/h2_peer.h"

namespace gatehouse::dataplane::http {
namespace {

class RecordingResponse : public ResponseDecoder {
 public:
  void DecodeResponseHeaders(ResponseHead head, bool end_stream) override {
    this->head = std::move(head);
    ended = end_stream;
  }
  void DecodeResponseData(absl::string_view data, bool end_stream) override {
    body.append(data.data(), data.size());
    ended = end_stream;
  }
  void DecodeResponseTrailers(HeaderMap trailers) override {
    this->trailers = std::move(trailers);
    ended = true;
  }
  void OnUpstreamWritable() override {}
  void OnUpstreamReset(absl::string_view reason) override { reset = std::string(reason); }

  std::optional<ResponseHead> head;
  std::string body;
  std::optional<HeaderMap> trailers;
  bool ended = false;
  std::optional<std::string> reset;
};

// Each test releases every stream it opened before its decoders go out of scope, as the proxy
// does before it frees its streams.
class Http2ClientCodecTest : public ::testing::Test, public Http2ClientCodec::Callbacks {
 protected:
  explicit Http2ClientCodecTest(bool tls = false)
      : server_(H2Peer::Role::kServer), codec_(this, tls) {}

  void Write(std::string data) override { written_ += data; }
  bool WriteBlocked() const override { return false; }

  void Pump() {
    for (int i = 0; i < 50; ++i) {
      std::string up = std::move(written_);
      written_.clear();
      if (!up.empty()) {
        EXPECT_TRUE(server_.Receive(up));
      }
      std::string down = server_.TakeOutput();
      if (!down.empty()) {
        EXPECT_EQ(codec_.Dispatch(down), down.size());
      }
      if (up.empty() && down.empty()) return;
    }
    ADD_FAILURE() << "the connection never went quiet";
  }

  static RequestHead Request(absl::string_view method, absl::string_view target) {
    RequestHead head;
    head.method = std::string(method);
    head.target = std::string(target);
    head.authority = "a.test";
    head.version_major = 2;
    head.version_minor = 0;
    return head;
  }

  H2Peer server_;
  Http2ClientCodec codec_;
  std::string written_;
};

TEST_F(Http2ClientCodecTest, RequestGoesUpAsPseudoHeadersAndTheResponseComesBack) {
  RecordingResponse response;
  RequestEncoder* stream = codec_.NewStream(&response);
  RequestHead head = Request("GET", "/x?y=1");
  head.headers.Add("Accept", "*/*");
  stream->EncodeHeaders(head, true);
  Pump();
  ASSERT_EQ(server_.heads_received.size(), 1u);
  int32_t id = server_.heads_received[0];
  const H2Peer::StreamState& received = server_.streams[id];
  EXPECT_EQ(received.Field(":method"), "GET");
  EXPECT_EQ(received.Field(":scheme"), "http");
  EXPECT_EQ(received.Field(":authority"), "a.test");
  EXPECT_EQ(received.Field(":path"), "/x?y=1");
  EXPECT_EQ(received.Field("accept"), "*/*");
  EXPECT_TRUE(received.ended);

  server_.SubmitResponse(id, {{":status", "200"}, {"content-type", "text/plain"}}, "hello");
  Pump();
  ASSERT_TRUE(response.head.has_value());
  EXPECT_EQ(response.head->status, 200);
  EXPECT_EQ(*response.head->headers.Get("content-type"), "text/plain");
  EXPECT_EQ(response.body, "hello");
  EXPECT_TRUE(response.ended);
  codec_.ReleaseStream(stream);
  EXPECT_EQ(codec_.streams(), 0u);
}

// The re-entrancy rule of docs/design.md ("Data plane inside") for the HTTP/2 upstream
// connection: what a response's end makes the proxy do, from inside the codec's dispatch (hand
// its exchange back, start the next request on the same connection), never runs the codec
// again under that dispatch: nothing is sent until nghttp2 has returned.
class NextRequestAtResponseEnd : public RecordingResponse {
 public:
  NextRequestAtResponseEnd(Http2ClientCodec& codec, const std::string& written)
      : codec_(codec), written_(written) {}
  void DecodeResponseData(absl::string_view data, bool end_stream) override {
    RecordingResponse::DecodeResponseData(data, end_stream);
    if (!end_stream) return;
    size_t written_before = written_.size();
    codec_.ReleaseStream(stream);
    next_stream = codec_.NewStream(&next);
    RequestHead head;
    head.method = "GET";
    head.target = "/next";
    head.authority = "a.test";
    head.version_major = 2;
    next_stream->EncodeHeaders(head, true);
    bytes_sent_inside = written_.size() - written_before;
  }

  RequestEncoder* stream = nullptr;
  RequestEncoder* next_stream = nullptr;
  RecordingResponse next;
  size_t bytes_sent_inside = 0;

 private:
  Http2ClientCodec& codec_;
  const std::string& written_;
};

TEST_F(Http2ClientCodecTest, WhatAResponseEndStartsRunsAfterTheDispatchNotInsideIt) {
  NextRequestAtResponseEnd first(codec_, written_);
  first.stream = codec_.NewStream(&first);
  first.stream->EncodeHeaders(Request("GET", "/first"), true);
  Pump();
  ASSERT_EQ(server_.heads_received.size(), 1u);
  server_.SubmitResponse(server_.heads_received[0], {{":status", "200"}}, "one");
  Pump();
  EXPECT_EQ(first.body, "one");
  EXPECT_EQ(first.bytes_sent_inside, 0u);  // the next request left once nghttp2 had returned
  ASSERT_EQ(server_.heads_received.size(), 2u);
  int32_t next_id = server_.heads_received[1];
  EXPECT_EQ(server_.streams[next_id].Field(":path"), "/next");
  server_.SubmitResponse(next_id, {{":status", "200"}}, "two");
  Pump();
  EXPECT_EQ(first.next.body, "two");
  EXPECT_TRUE(first.next.ended);
  codec_.ReleaseStream(first.next_stream);
  EXPECT_EQ(codec_.streams(), 0u);
}

TEST_F(Http2ClientCodecTest, BodyAndTrailersGoUp) {
  RecordingResponse response;
  RequestEncoder* stream = codec_.NewStream(&response);
  RequestHead head = Request("POST", "/grpc.Echo/Say");
  head.framing = BodyFraming::kChunked;
  stream->EncodeHeaders(head, false);
  stream->EncodeData("pay", false);
  stream->EncodeData("load", false);
  HeaderMap trailers;
  trailers.Add("x-checksum", "42");
  stream->EncodeTrailers(trailers);
  Pump();
  ASSERT_EQ(server_.heads_received.size(), 1u);
  const H2Peer::StreamState& received = server_.streams[server_.heads_received[0]];
  EXPECT_EQ(received.data, "payload");
  ASSERT_EQ(received.trailers.size(), 1u);
  EXPECT_EQ(received.trailers[0].second, "42");
  EXPECT_TRUE(received.ended);
  codec_.ReleaseStream(stream);
}

TEST_F(Http2ClientCodecTest, ServerResetReachesTheDecoder) {
  RecordingResponse response;
  RequestEncoder* stream = codec_.NewStream(&response);
  stream->EncodeHeaders(Request("GET", "/"), true);
  Pump();
  server_.SubmitReset(server_.heads_received[0], NGHTTP2_REFUSED_STREAM);
  Pump();
  EXPECT_TRUE(response.reset.has_value());
  EXPECT_FALSE(response.head.has_value());
  codec_.ReleaseStream(stream);
}

TEST_F(Http2ClientCodecTest, ReleasingAnOpenExchangeCancelsIt) {
  RecordingResponse response;
  RequestEncoder* stream = codec_.NewStream(&response);
  stream->EncodeHeaders(Request("GET", "/slow"), true);
  Pump();
  int32_t id = server_.heads_received[0];
  codec_.ReleaseStream(stream);
  Pump();
  EXPECT_EQ(server_.streams[id].reset_code, static_cast<int32_t>(NGHTTP2_CANCEL));
  // An answer arriving afterwards reaches nobody.
  server_.SubmitResponse(id, {{":status", "200"}}, "late");
  Pump();
  EXPECT_FALSE(response.head.has_value());
}

TEST_F(Http2ClientCodecTest, PeerSettingsAndGoawayDecideWhetherNewExchangesMayStart) {
  H2Peer limited(H2Peer::Role::kServer, {{NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS, 3}});
  std::string settings = limited.TakeOutput();
  codec_.Dispatch(settings);
  EXPECT_EQ(codec_.max_streams(), 3u);
  EXPECT_TRUE(codec_.accepting());
  nghttp2_submit_goaway(limited.session(), NGHTTP2_FLAG_NONE, 0, NGHTTP2_NO_ERROR, nullptr, 0);
  codec_.Dispatch(limited.TakeOutput());
  EXPECT_FALSE(codec_.accepting());
  EXPECT_TRUE(codec_.finished());
}

TEST_F(Http2ClientCodecTest, ConnectionLossResetsEveryOpenExchange) {
  RecordingResponse first;
  RecordingResponse second;
  RequestEncoder* one = codec_.NewStream(&first);
  RequestEncoder* two = codec_.NewStream(&second);
  one->EncodeHeaders(Request("GET", "/1"), true);
  two->EncodeHeaders(Request("GET", "/2"), true);
  Pump();
  codec_.OnRemoteClose("connection reset");
  EXPECT_TRUE(first.reset.has_value());
  EXPECT_TRUE(second.reset.has_value());
  EXPECT_FALSE(codec_.accepting());
  codec_.ReleaseStream(one);
  codec_.ReleaseStream(two);
}

class Http2ClientCodecTlsTest : public Http2ClientCodecTest {
 protected:
  Http2ClientCodecTlsTest() : Http2ClientCodecTest(/*tls=*/true) {}
};

TEST_F(Http2ClientCodecTlsTest, SchemeIsHttps) {
  RecordingResponse response;
  RequestEncoder* stream = codec_.NewStream(&response);
  stream->EncodeHeaders(Request("GET", "/"), true);
  Pump();
  codec_.ReleaseStream(stream);
  ASSERT_EQ(server_.heads_received.size(), 1u);
  EXPECT_EQ(server_.streams[server_.heads_received[0]].Field(":scheme"), "https");
}

}  // namespace
}  // namespace gatehouse::dataplane::http
