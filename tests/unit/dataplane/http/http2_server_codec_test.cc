// Http2ServerCodec against a real nghttp2 client session (h2_peer.h): requests arrive as
// protocol-neutral heads, responses go back as frames, and the codec's limits and its drain hold.
// Reference: RFC 9113 (HTTP/2) for the framing, pseudo-headers and GOAWAY.
#include "dataplane/http/http2_server_codec.h"

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "tests/unit/dataplane/event/running_dispatcher.h"
#include "tests/unit/dataplane/http/h2_peer.h"

namespace gatehouse::dataplane::http {
namespace {

// One request as the proxy would see it.
class RecordingDecoder : public RequestDecoder {
 public:
  void DecodeHeaders(RequestHead head, bool end_stream) override {
    this->head = std::move(head);
    ended = end_stream;
  }
  void DecodeData(absl::string_view data, bool end_stream) override {
    body.append(data.data(), data.size());
    ended = end_stream;
  }
  void DecodeTrailers(HeaderMap trailers) override {
    this->trailers = std::move(trailers);
    ended = true;
  }
  void OnDownstreamWritable() override { ++writable; }
  void OnDownstreamReset(absl::string_view reason) override { reset = std::string(reason); }

  ResponseEncoder* encoder = nullptr;
  std::optional<RequestHead> head;
  std::string body;
  std::optional<HeaderMap> trailers;
  bool ended = false;
  int writable = 0;
  std::optional<std::string> reset;
};

// Answers its request from inside the codec's dispatch, as the proxy does for a local reply, and
// counts the bytes the codec wrote meanwhile.
class AnsweringDecoder : public RecordingDecoder {
 public:
  explicit AnsweringDecoder(const std::string& written) : written_(written) {}
  void DecodeHeaders(RequestHead head, bool end_stream) override {
    RecordingDecoder::DecodeHeaders(std::move(head), end_stream);
    size_t before = written_.size();
    ResponseHead response;
    response.status = 200;
    response.framing = BodyFraming::kContentLength;
    response.content_length = 2;
    encoder->EncodeHeaders(response, false);
    encoder->EncodeData("hi", true);
    bytes_written_inside = written_.size() - before;
  }
  size_t bytes_written_inside = 0;

 private:
  const std::string& written_;
};

class Http2ServerCodecTest : public ::testing::Test, public ServerCodec::Callbacks {
 protected:
  Http2ServerCodecTest() : client_(std::make_unique<H2Peer>(H2Peer::Role::kClient)), codec_(this) {}

  // ServerCodec::Callbacks
  RequestDecoder& NewStream(ResponseEncoder& encoder) override {
    if (answer_at_head_) {
      decoders_.push_back(std::make_unique<AnsweringDecoder>(written_));
    } else {
      decoders_.push_back(std::make_unique<RecordingDecoder>());
    }
    decoders_.back()->encoder = &encoder;
    return *decoders_.back();
  }
  void Write(std::string data) override { written_ += data; }
  bool WriteBlocked() const override { return false; }
  void PauseReading(bool paused) override {}
  void CloseAfterWrites(CloseReason reason, absl::string_view detail) override {
    closed_ = std::string(CloseReasonName(reason));
  }
  void Abort(CloseReason reason, absl::string_view detail) override {
    closed_ = std::string(CloseReasonName(reason));
  }
  void OnReadyForNextRequest() override {}
  std::string peer_ip() const override { return "192.0.2.7"; }

  // Moves bytes both ways until neither side has more to say.
  void Pump() {
    for (int i = 0; i < 50; ++i) {
      std::string up = client_->TakeOutput();
      if (!up.empty()) {
        EXPECT_EQ(codec_.Dispatch(up), up.size());
      }
      std::string down = std::move(written_);
      written_.clear();
      if (!down.empty()) {
        EXPECT_TRUE(client_->Receive(down));
      }
      if (up.empty() && down.empty()) return;
    }
    ADD_FAILURE() << "the connection never went quiet";
  }

  static H2Peer::Fields Get(absl::string_view path, absl::string_view authority = "a.test") {
    return {{":method", "GET"},
            {":scheme", "https"},
            {":authority", std::string(authority)},
            {":path", std::string(path)}};
  }

  event::BufferBudget* buffer_budget() override { return budget_.get(); }

  // The decoders outlive the codec: it resets the streams still open when it goes.
  std::vector<std::unique_ptr<RecordingDecoder>> decoders_;
  // The connection's budget, when a test sets one; it outlives the codec, whose streams take
  // their charges off as they go.
  std::unique_ptr<event::BufferBudget> budget_;
  std::unique_ptr<H2Peer> client_;
  Http2ServerCodec codec_;
  std::string written_;
  std::optional<std::string> closed_;
  bool answer_at_head_ = false;  // new streams get an AnsweringDecoder
};

TEST_F(Http2ServerCodecTest, RequestBecomesAHeadAndTheResponseFrames) {
  H2Peer::Fields request = Get("/x?y=1");
  request.emplace_back("accept", "*/*");
  int32_t id = client_->SubmitRequest(request);
  Pump();
  ASSERT_EQ(decoders_.size(), 1u);
  RecordingDecoder& decoder = *decoders_[0];
  ASSERT_TRUE(decoder.head.has_value());
  EXPECT_EQ(decoder.head->method, "GET");
  EXPECT_EQ(decoder.head->target, "/x?y=1");
  EXPECT_EQ(decoder.head->authority, "a.test");
  EXPECT_EQ(decoder.head->version_major, 2);
  EXPECT_EQ(*decoder.head->headers.Get("accept"), "*/*");
  EXPECT_TRUE(decoder.ended);

  ResponseHead response;
  response.status = 200;
  response.headers.Add("Content-Type", "text/plain");
  response.framing = BodyFraming::kContentLength;
  response.content_length = 5;
  decoder.encoder->EncodeHeaders(response, false);
  decoder.encoder->EncodeData("hello", true);
  Pump();
  const H2Peer::StreamState& stream = client_->streams[id];
  EXPECT_EQ(stream.Field(":status"), "200");
  EXPECT_EQ(stream.Field("content-type"), "text/plain");
  EXPECT_EQ(stream.data, "hello");
  EXPECT_TRUE(stream.ended);
  EXPECT_TRUE(codec_.idle());
}

// The re-entrancy rule of docs/design.md ("Data plane inside") for the HTTP/2 client
// connection: a response encoded from inside a request's callback is sent once nghttp2 has
// returned, never from inside it.
TEST_F(Http2ServerCodecTest, AnAnswerGivenInsideTheDispatchIsSentAfterIt) {
  answer_at_head_ = true;
  int32_t first = client_->SubmitRequest(Get("/1"));
  int32_t second = client_->SubmitRequest(Get("/2"));
  Pump();
  ASSERT_EQ(decoders_.size(), 2u);
  for (const auto& decoder : decoders_) {
    EXPECT_EQ(static_cast<AnsweringDecoder&>(*decoder).bytes_written_inside, 0u);
  }
  EXPECT_EQ(client_->streams[first].data, "hi");
  EXPECT_EQ(client_->streams[second].data, "hi");
  EXPECT_TRUE(client_->streams[second].ended);
}

// As over HTTP/1.1: a field with CR, LF or NUL in its value, or a name that is not a token, is
// left out of the header block (RFC 9113 section 8.2.1 makes such a field malformed).
TEST_F(Http2ServerCodecTest, FieldsWithLineBreaksOrNulAreLeftOut) {
  int32_t id = client_->SubmitRequest(Get("/"));
  Pump();
  ASSERT_EQ(decoders_.size(), 1u);
  ResponseHead response;
  response.status = 200;
  response.headers.Add("x-before", "1");
  response.headers.Add("set-cookie", "s=1\r\nx-evil: 1");
  response.headers.Add("x-nul", std::string("a\0b", 3));
  response.headers.Add("x space", "c");
  response.headers.Add("x-after", "2");
  decoders_[0]->encoder->EncodeHeaders(response, true);
  Pump();
  const H2Peer::StreamState& stream = client_->streams[id];
  EXPECT_EQ(stream.Field(":status"), "200");
  EXPECT_EQ(stream.Field("x-before"), "1");
  EXPECT_EQ(stream.Field("x-after"), "2");
  EXPECT_EQ(stream.Field("set-cookie"), "(none)");
  EXPECT_EQ(stream.Field("x-nul"), "(none)");
  EXPECT_EQ(stream.Field("x space"), "(none)");
  EXPECT_TRUE(stream.ended);
}

TEST_F(Http2ServerCodecTest, BodyAndTrailersBothWays) {
  H2Peer::Fields request = {{":method", "POST"},
                            {":scheme", "http"},
                            {":authority", "a.test"},
                            {":path", "/grpc.Echo/Say"},
                            {"content-type", "application/grpc"}};
  int32_t id = client_->SubmitRequest(request, "payload");
  Pump();
  ASSERT_EQ(decoders_.size(), 1u);
  RecordingDecoder& decoder = *decoders_[0];
  EXPECT_EQ(decoder.body, "payload");
  EXPECT_TRUE(decoder.ended);

  ResponseHead response;
  response.status = 200;
  response.framing = BodyFraming::kChunked;  // a body of unknown length, as from an upstream
  decoder.encoder->EncodeHeaders(response, false);
  decoder.encoder->EncodeData("answer", false);
  HeaderMap trailers;
  trailers.Add("grpc-status", "0");
  decoder.encoder->EncodeTrailers(trailers);
  Pump();
  const H2Peer::StreamState& stream = client_->streams[id];
  EXPECT_EQ(stream.data, "answer");
  ASSERT_EQ(stream.trailers.size(), 1u);
  EXPECT_EQ(stream.trailers[0], (std::pair<std::string, std::string>{"grpc-status", "0"}));
  EXPECT_TRUE(stream.ended);
}

TEST_F(Http2ServerCodecTest, ManyStreamsAtOnceEachWithItsOwnEncoder) {
  int32_t first = client_->SubmitRequest(Get("/one"));
  int32_t second = client_->SubmitRequest(Get("/two"));
  Pump();
  ASSERT_EQ(decoders_.size(), 2u);
  // Answered out of order.
  ResponseHead response;
  response.status = 204;
  decoders_[1]->encoder->EncodeHeaders(response, true);
  response.status = 202;
  decoders_[0]->encoder->EncodeHeaders(response, true);
  Pump();
  EXPECT_EQ(client_->streams[first].Field(":status"), "202");
  EXPECT_EQ(client_->streams[second].Field(":status"), "204");
}

TEST_F(Http2ServerCodecTest, TooManyHeaderFieldsGet431WithoutADecoder) {
  H2Peer::Fields request = Get("/");
  for (size_t i = 0; i <= Http2ServerCodec::kMaxHeaders; ++i) {
    request.emplace_back("x-field-" + std::to_string(i), "v");
  }
  int32_t id = client_->SubmitRequest(request);
  Pump();
  EXPECT_TRUE(decoders_.empty());
  EXPECT_EQ(client_->streams[id].Field(":status"), "431");
}

// RFC 9113 section 8.3.1 and RFC 9110 section 7.2: :authority carries no userinfo, and is
// checked as an HTTP/1.1 Host is.
TEST_F(Http2ServerCodecTest, AnAuthorityThatIsNoHostGets400WithoutADecoder) {
  for (const char* authority : {"b.test:@evil.com", "user@b.test", "b.test:80x", "[::1"}) {
    int32_t id = client_->SubmitRequest(Get("/", authority));
    Pump();
    EXPECT_EQ(client_->streams[id].Field(":status"), "400") << authority;
  }
  EXPECT_TRUE(decoders_.empty());
  client_->SubmitRequest(Get("/", "b.test:8443"));
  Pump();
  ASSERT_EQ(decoders_.size(), 1u);
  EXPECT_EQ(decoders_[0]->head->authority, "b.test:8443");
}

// RFC 9113 section 8.3.1: a Host that names another authority than :authority is malformed.
TEST_F(Http2ServerCodecTest, AHostOtherThanTheAuthorityGets400WithoutADecoder) {
  H2Peer::Fields fields = Get("/", "a.test");
  fields.push_back({"host", "evil.test"});
  int32_t id = client_->SubmitRequest(fields);
  Pump();
  EXPECT_EQ(client_->streams[id].Field(":status"), "400");
  EXPECT_TRUE(decoders_.empty());
  // The same authority in other letters is the same authority.
  fields = Get("/", "a.test");
  fields.push_back({"host", "A.Test"});
  client_->SubmitRequest(fields);
  Pump();
  ASSERT_EQ(decoders_.size(), 1u);
  EXPECT_EQ(decoders_[0]->head->authority, "a.test");
}

TEST_F(Http2ServerCodecTest, ClientResetReachesTheDecoder) {
  int32_t id = client_->SubmitRequest(Get("/slow"));
  Pump();
  ASSERT_EQ(decoders_.size(), 1u);
  client_->SubmitReset(id, NGHTTP2_CANCEL);
  Pump();
  EXPECT_TRUE(decoders_[0]->reset.has_value());
}

TEST_F(Http2ServerCodecTest, DrainSendsGoawayAndClosesWhenTheLastStreamEnds) {
  int32_t id = client_->SubmitRequest(Get("/"));
  Pump();
  codec_.Drain(CloseReason::kDrain);
  Pump();
  EXPECT_TRUE(client_->goaway);
  EXPECT_EQ(client_->goaway_error, static_cast<uint32_t>(NGHTTP2_NO_ERROR));
  EXPECT_FALSE(closed_.has_value());  // a stream is still open
  ResponseHead response;
  response.status = 200;
  decoders_[0]->encoder->EncodeHeaders(response, true);
  Pump();
  EXPECT_EQ(client_->streams[id].Field(":status"), "200");
  EXPECT_EQ(closed_.value_or("(open)"), "drain");
}

TEST_F(Http2ServerCodecTest, ResponseBodyWaitsForTheClientsWindow) {
  // The client's stream window is 16 bytes and it never opens it: the rest waits.
  client_ = std::make_unique<H2Peer>(
      H2Peer::Role::kClient,
      std::vector<nghttp2_settings_entry>{{NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, 16}},
      /*open_windows=*/false);
  int32_t id = client_->SubmitRequest(Get("/big"));
  Pump();
  ASSERT_EQ(decoders_.size(), 1u);
  ResponseHead response;
  response.status = 200;
  response.framing = BodyFraming::kContentLength;
  response.content_length = 1000;
  decoders_[0]->encoder->EncodeHeaders(response, false);
  decoders_[0]->encoder->EncodeData(std::string(1000, 'x'), true);
  Pump();
  EXPECT_EQ(client_->streams[id].data.size(), 16u);
  EXPECT_FALSE(client_->streams[id].ended);
  EXPECT_FALSE(codec_.idle());
  // As the client reads, the rest follows.
  client_->Consume(id, 16);
  Pump();
  EXPECT_EQ(client_->streams[id].data.size(), 32u);
  nghttp2_session_set_local_window_size(client_->session(), NGHTTP2_FLAG_NONE, id, 1 << 20);
  Pump();
  EXPECT_EQ(client_->streams[id].data.size(), 1000u);
  EXPECT_TRUE(client_->streams[id].ended);
}

// With a 100 ms send timeout for streams: every step runs on a real loop, as deadlines need.
class Http2ServerCodecSendTimeoutTest : public Http2ServerCodecTest {
 protected:
  void SetUp() override {
    OnLoop([&] {
      send_timeouts_ =
          std::make_unique<event::DeadlineQueue>(loop_.dispatcher(), absl::Milliseconds(100));
    });
  }
  void TearDown() override {
    loop_.Stop([&] { send_timeouts_->Close(); });
  }
  event::DeadlineQueue* stream_send_timeouts() override { return send_timeouts_.get(); }
  void OnLoop(std::function<void()> fn) { loop_.RunOnLoop(std::move(fn)); }
  void Respond(RecordingDecoder& decoder, size_t size) {
    ResponseHead response;
    response.status = 200;
    response.framing = BodyFraming::kContentLength;
    response.content_length = size;
    decoder.encoder->EncodeHeaders(response, false);
    decoder.encoder->EncodeData(std::string(size, 'x'), true);
  }

  event::RunningDispatcher loop_;
  std::unique_ptr<event::DeadlineQueue> send_timeouts_;
};

// RFC 9113 section 6.9: a receiver controls how much it is sent. A client that keeps its window
// at 0 still must not hold a stream (and its buffered response) open past the send timeout.
TEST_F(Http2ServerCodecSendTimeoutTest, AStreamHeldByAClosedWindowIsResetAfterTheSendTimeout) {
  client_ = std::make_unique<H2Peer>(
      H2Peer::Role::kClient,
      std::vector<nghttp2_settings_entry>{{NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, 16}},
      /*open_windows=*/false);
  int32_t slow = 0, fast = 0;
  OnLoop([&] {
    slow = client_->SubmitRequest(Get("/slow"));
    fast = client_->SubmitRequest(Get("/fast"));
    Pump();
    ASSERT_EQ(decoders_.size(), 2u);
    Respond(*decoders_[0], 1000);
    Respond(*decoders_[1], 10);
    Pump();
    EXPECT_TRUE(client_->streams[fast].ended);  // sent whole: nothing to time out
    EXPECT_EQ(client_->streams[slow].data.size(), 16u);
  });
  // A client that reads, however slowly, keeps its stream.
  for (int i = 0; i < 4; ++i) {
    absl::SleepFor(absl::Milliseconds(60));
    OnLoop([&] {
      client_->Consume(slow, 16);
      Pump();
    });
  }
  OnLoop([&] {
    EXPECT_EQ(client_->streams[slow].data.size(), 80u);
    EXPECT_EQ(client_->streams[slow].reset_code, -1);
  });
  // One that stops reading loses it, and the connection goes idle.
  absl::SleepFor(absl::Milliseconds(300));
  OnLoop([&] {
    Pump();
    EXPECT_EQ(client_->streams[slow].reset_code, NGHTTP2_CANCEL);
    EXPECT_FALSE(client_->streams[slow].ended);
    EXPECT_EQ(client_->streams[fast].reset_code, -1);
    EXPECT_TRUE(codec_.idle());
  });
}

TEST_F(Http2ServerCodecSendTimeoutTest, TheResetReachesAStreamStillBeingAnswered) {
  client_ = std::make_unique<H2Peer>(
      H2Peer::Role::kClient,
      std::vector<nghttp2_settings_entry>{{NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, 0}},
      /*open_windows=*/false);
  OnLoop([&] {
    client_->SubmitRequest(Get("/"));
    Pump();
    ASSERT_EQ(decoders_.size(), 1u);
    ResponseHead response;
    response.status = 200;
    decoders_[0]->encoder->EncodeHeaders(response, false);
    decoders_[0]->encoder->EncodeData("part of it", false);
    Pump();
  });
  absl::SleepFor(absl::Milliseconds(300));
  OnLoop([&] {
    ASSERT_TRUE(decoders_[0]->reset.has_value());  // the proxy lets its upstream go
    EXPECT_EQ(*decoders_[0]->reset, "the client took no bytes for the send timeout");
  });
}

// With a 128 KiB connection budget (--max-connection-buffer), of which `others` stand for what
// the connection's upstream queues hold.
class Http2ServerCodecBudgetTest : public Http2ServerCodecSendTimeoutTest {
 protected:
  static constexpr size_t kLimit = 128 * 1024;
  void SetUp() override {
    Http2ServerCodecSendTimeoutTest::SetUp();
    OnLoop([&] { budget_ = std::make_unique<event::BufferBudget>(loop_.dispatcher(), kLimit); });
  }
  void RespondPartly(RecordingDecoder& decoder, size_t size) {
    ResponseHead response;
    response.status = 200;
    response.framing = BodyFraming::kContentLength;
    response.content_length = size + 1;
    decoder.encoder->EncodeHeaders(response, false);
    decoder.encoder->EncodeData(std::string(size, 'x'), false);
  }
  size_t BodyBytesReceived() const {
    size_t total = 0;
    for (const auto& decoder : decoders_) total += decoder->body.size();
    return total;
  }
};

TEST_F(Http2ServerCodecBudgetTest, ResponseBodiesPastTheFloorWaitWhileTheBudgetIsExhausted) {
  // The client's windows are shut: responses stay in the codec, charged to the budget.
  client_ = std::make_unique<H2Peer>(
      H2Peer::Role::kClient,
      std::vector<nghttp2_settings_entry>{{NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, 0}},
      /*open_windows=*/false);
  const size_t others = 96 * 1024;
  int32_t big = 0;
  bool big_blocked = false, small_blocked = true;
  OnLoop([&] {
    big = client_->SubmitRequest(Get("/big"));
    client_->SubmitRequest(Get("/small"));
    Pump();
    ASSERT_EQ(decoders_.size(), 2u);
    budget_->Charge(others);
    RespondPartly(*decoders_[0], 40 * 1024);  // under the stream's own 64 KiB watermark
    RespondPartly(*decoders_[1], 8 * 1024);   // under the budget's floor
    Pump();
    EXPECT_EQ(budget_->used(), others + 48 * 1024);
    big_blocked = decoders_[0]->encoder->WriteBlocked();
    small_blocked = decoders_[1]->encoder->WriteBlocked();
  });
  EXPECT_TRUE(big_blocked);
  EXPECT_FALSE(small_blocked);  // a stream under the floor always moves
  // The client reads the big body: under the floor, its stream may go on, though the budget is
  // still exhausted.
  OnLoop([&] {
    EXPECT_EQ(decoders_[0]->writable, 0);
    nghttp2_submit_window_update(client_->session(), NGHTTP2_FLAG_NONE, big, 40 * 1024);
    Pump();
    EXPECT_EQ(client_->streams[big].data.size(), 40u * 1024);
    EXPECT_EQ(decoders_[0]->writable, 1);
    EXPECT_EQ(budget_->used(), others + 8 * 1024);
    // Blocked again past the floor; then the others let go of theirs: the budget wakes it, on
    // a later turn, though the client has not read.
    decoders_[0]->encoder->EncodeData(std::string(40 * 1024, 'y'), false);
    budget_->Charge(kLimit);
    EXPECT_TRUE(decoders_[0]->encoder->WriteBlocked());
    budget_->Release(kLimit + others);
    EXPECT_EQ(decoders_[0]->writable, 1);
  });
  OnLoop([&] {
    EXPECT_EQ(decoders_[0]->writable, 2);
    EXPECT_FALSE(decoders_[0]->encoder->WriteBlocked());
  });
}

TEST_F(Http2ServerCodecBudgetTest, TheConnectionWindowStaysShutWhileTheBudgetIsExhausted) {
  // Six uploads of 256 KiB: each fits its stream's window, together they pass the connection's.
  const size_t each = Http2ServerCodec::kStreamWindow;
  OnLoop([&] {
    budget_->Charge(kLimit);  // the connection's upstream queues are full
    for (int i = 0; i < 6; ++i) {
      client_->SubmitRequest(
          {{":method", "POST"}, {":scheme", "http"}, {":authority", "a.test"}, {":path", "/up"}},
          std::string(each, 'u'));
    }
    Pump();
    // What the connection window let through, and no more.
    EXPECT_LE(BodyBytesReceived(), size_t{Http2ServerCodec::kConnectionWindow});
    EXPECT_LT(BodyBytesReceived(), 6 * each);
    budget_->Release(kLimit);
  });
  OnLoop([&] {
    Pump();
    EXPECT_EQ(BodyBytesReceived(), 6 * each);
  });
}

}  // namespace
}  // namespace gatehouse::dataplane::http
