// xds_load_client: S data planes' worth of config streams, without the proxies. Each stream is a
// real client of proto/gatehouse/v1/discovery.proto with the data plane's request pattern: its
// own connection, the four types subscribed in order (the first request carrying node id
// bench-I), and every response ACKed as soon as it is read (no validation, no config build:
// this measures the control plane, not the data plane).
//
//   xds_load_client --server=127.0.0.1:18000 [--streams=50] [--timeout=120s]
//                   [--settle=1s] [--max-receive-message-bytes=N]
//
// Prints JSON lines on stdout. Phase 1, once every stream holds all four types (or --timeout):
//   {"event": "initial", "stream": I, "node": ..., "first_config_ms": ..., "bytes": ...,
//    "responses": ...}                                     one per stream
//   {"event": "initial_summary", "streams": S, "complete": N, "first_config_ms": {p50,p99,max},
//    "bytes_per_stream": {p50,p99,max}}
//   {"event": "ready"}
// first_config_ms runs from the program's start to the stream's first response of its last
// type; bytes is the sum of DiscoveryResponse::ByteSizeLong over the responses received.
//
// Phase 2 is driven by lines on stdin, so a driver can time an update from its own trigger:
//   "mark"             snapshot every stream's counters; answers {"event": "marked"}
//   "trigger UNIX_NS"  the change was made at UNIX_NS (wall clock, nanoseconds): waits until every
//                      stream has received and ACKed at least one response since "mark" and no
//                      stream has received anything for --settle (or --timeout), then prints
//   {"event": "update", "stream": I, "bytes": ..., "responses": ..., "ack_ms": ...}  per stream
//   {"event": "update_summary", "streams": S, "acked": N, "ack_ms": {p50,p99,max},
//    "bytes_per_stream": {p50,p99,max}}
// ack_ms runs from UNIX_NS to the stream's last ACK written since "mark". The wall clock is the
// one clock both processes share; on one machine it is good to well under a millisecond.
// End of input closes the streams and exits. --max-receive-message-bytes defaults to gRPC's
// limit (4 MiB), the one the data plane runs with; -1 lifts it.
#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdio>
#include <iostream>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/strip.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "common/flags.h"
#include "common/json_string.h"
#include "common/net_address.h"
#include "common/resource_types.h"
#include "gatehouse/v1/discovery.grpc.pb.h"
#include "grpcpp/grpcpp.h"

namespace gatehouse::bench {
namespace {

constexpr char kProgram[] = "xds_load_client";

// What one stream has seen; guarded by Shared::mutex.
struct StreamStats {
  uint64_t bytes = 0;
  uint64_t responses = 0;
  std::set<std::string> types_seen;
  absl::Time first_full = absl::InfiniteFuture();
  absl::Time last_ack = absl::InfinitePast();
  std::string error;  // set when the stream ended
};

struct Shared {
  absl::Mutex mutex;
  std::vector<StreamStats> streams ABSL_GUARDED_BY(mutex);
  absl::Time last_response ABSL_GUARDED_BY(mutex) = absl::InfinitePast();
  absl::CondVar changed;  // signalled on every response and every stream's end
};

struct Options {
  std::string server;
  int max_receive_message_bytes = 1 << 30;  // as the data plane
};

// One data plane's stream: subscribes, then reads and ACKs until cancelled or closed.
void RunStream(const Options& options, int index, grpc::ClientContext* context, Shared* shared) {
  grpc::ChannelArguments arguments;
  // A connection of its own, as S separate data planes would have (gRPC otherwise shares one
  // subchannel between channels to the same address).
  arguments.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  if (options.max_receive_message_bytes != 0) {
    arguments.SetMaxReceiveMessageSize(options.max_receive_message_bytes);
  }
  std::shared_ptr<grpc::Channel> channel =
      grpc::CreateCustomChannel(options.server, grpc::InsecureChannelCredentials(), arguments);
  std::unique_ptr<v1::ConfigDiscoveryService::Stub> stub =
      v1::ConfigDiscoveryService::NewStub(channel);
  auto stream = stub->StreamConfig(context);
  bool first = true;
  for (absl::string_view type : kResourceTypesInOrder) {
    v1::DiscoveryRequest request;
    if (first) request.mutable_node()->set_id(absl::StrCat("bench-", index));
    first = false;
    request.set_type_url(std::string(type));
    if (!stream->Write(request)) break;
  }
  v1::DiscoveryResponse response;
  while (stream->Read(&response)) {
    const absl::Time received = absl::Now();
    v1::DiscoveryRequest ack;
    ack.set_type_url(response.type_url());
    ack.set_response_nonce(response.nonce());
    ack.set_version_info(response.version_info());
    const bool written = stream->Write(ack);
    const absl::Time acked = absl::Now();
    {
      absl::MutexLock lock(&shared->mutex);
      StreamStats& stats = shared->streams[index];
      stats.bytes += response.ByteSizeLong();
      ++stats.responses;
      stats.types_seen.insert(response.type_url());
      if (stats.first_full == absl::InfiniteFuture() &&
          stats.types_seen.size() == kResourceTypesInOrder.size()) {
        stats.first_full = received;
      }
      if (written) stats.last_ack = acked;
      shared->last_response = received;
      shared->changed.SignalAll();
    }
    if (!written) break;
    response.Clear();
  }
  stream->WritesDone();
  grpc::Status status = stream->Finish();
  absl::MutexLock lock(&shared->mutex);
  shared->streams[index].error =
      status.ok() ? "closed by the control plane"
                  : absl::StrCat("code ", status.error_code(), ": ", status.error_message());
  shared->changed.SignalAll();
}

// Nearest-rank percentile of `values` (sorted here); 0 for none.
double Percentile(std::vector<double> values, double p) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  size_t rank = static_cast<size_t>(std::ceil(p * values.size()));
  return values[std::clamp<size_t>(rank, 1, values.size()) - 1];
}

std::string Distribution(const std::vector<double>& values) {
  return absl::StrFormat("{\"p50\": %.3f, \"p99\": %.3f, \"max\": %.3f}", Percentile(values, 0.5),
                         Percentile(values, 0.99), Percentile(values, 1.0));
}

void Emit(const std::string& line) {
  std::fputs((line + "\n").c_str(), stdout);
  std::fflush(stdout);
}

// Waits for every stream to hold a full config, then reports phase 1.
void ReportInitial(Shared& shared, absl::Time start, absl::Duration timeout) {
  absl::MutexLock lock(&shared.mutex);
  auto all_done = [&shared]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(shared.mutex) {
    for (const StreamStats& stats : shared.streams) {
      if (stats.first_full == absl::InfiniteFuture() && stats.error.empty()) return false;
    }
    return true;
  };
  while (!all_done() && !shared.changed.WaitWithDeadline(&shared.mutex, start + timeout)) {
  }
  std::vector<double> times;
  std::vector<double> bytes;
  for (size_t i = 0; i < shared.streams.size(); ++i) {
    const StreamStats& stats = shared.streams[i];
    bool full = stats.first_full != absl::InfiniteFuture();
    if (full) {
      times.push_back(absl::ToDoubleMilliseconds(stats.first_full - start));
      bytes.push_back(static_cast<double>(stats.bytes));
    }
    Emit(absl::StrFormat(
        "{\"event\": \"initial\", \"stream\": %d, \"node\": \"bench-%d\", \"first_config_ms\": %s, "
        "\"bytes\": %d, \"responses\": %d, \"error\": %s}",
        i, i, full ? absl::StrFormat("%.3f", times.back()) : "null", stats.bytes, stats.responses,
        JsonQuote(stats.error)));
  }
  Emit(absl::StrFormat(
      "{\"event\": \"initial_summary\", \"streams\": %d, \"complete\": %d, \"first_config_ms\": "
      "%s, \"bytes_per_stream\": %s}",
      shared.streams.size(), times.size(), Distribution(times), Distribution(bytes)));
}

// Phase 2 for one trigger: waits for every stream's ACK since `marked`, then reports.
void ReportUpdate(Shared& shared, const std::vector<StreamStats>& marked, absl::Time trigger,
                  absl::Duration settle, absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  absl::MutexLock lock(&shared.mutex);
  auto all_acked = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(shared.mutex) {
    for (size_t i = 0; i < shared.streams.size(); ++i) {
      const StreamStats& stats = shared.streams[i];
      if (stats.responses == marked[i].responses && stats.error.empty()) return false;
    }
    return true;
  };
  while (!all_acked() && !shared.changed.WaitWithDeadline(&shared.mutex, deadline)) {
  }
  // Then quiet for `settle`: an update may take more than one response per stream.
  while (absl::Now() < deadline && absl::Now() - shared.last_response < settle) {
    absl::Time wake = std::min(deadline, shared.last_response + settle);
    shared.mutex.Unlock();
    absl::SleepFor(wake - absl::Now());
    shared.mutex.Lock();
  }
  std::vector<double> times;
  std::vector<double> bytes;
  for (size_t i = 0; i < shared.streams.size(); ++i) {
    const StreamStats& stats = shared.streams[i];
    uint64_t responses = stats.responses - marked[i].responses;
    uint64_t update_bytes = stats.bytes - marked[i].bytes;
    bytes.push_back(static_cast<double>(update_bytes));
    std::string ack_ms = "null";
    if (responses > 0) {
      times.push_back(absl::ToDoubleMilliseconds(stats.last_ack - trigger));
      ack_ms = absl::StrFormat("%.3f", times.back());
    }
    Emit(absl::StrFormat(
        "{\"event\": \"update\", \"stream\": %d, \"bytes\": %d, \"responses\": %d, \"ack_ms\": %s}",
        i, update_bytes, responses, ack_ms));
  }
  Emit(absl::StrFormat(
      "{\"event\": \"update_summary\", \"streams\": %d, \"acked\": %d, \"ack_ms\": %s, "
      "\"bytes_per_stream\": %s}",
      shared.streams.size(), times.size(), Distribution(times), Distribution(bytes)));
}

int Main(int argc, char** argv) {
  const absl::Time start = absl::Now();
  Options options;
  int streams = 50;
  absl::Duration timeout = absl::Seconds(120);
  absl::Duration settle = absl::Seconds(1);
  auto duration = [](absl::Duration* target) {
    return [target](absl::string_view value) -> absl::Status {
      if (!absl::ParseDuration(value, target) || *target <= absl::ZeroDuration()) {
        return absl::InvalidArgumentError("want a positive duration, like 30s");
      }
      return absl::OkStatus();
    };
  };
  FlagSet flags(kProgram,
                "xds_load_client --server=HOST:PORT [--streams=50] [--timeout=120s] [--settle=1s]");
  flags.AddString("server", &options.server, "the control plane's config stream address");
  flags.AddInt("streams", &streams, 1, 10000, "config streams to open (default 50)");
  flags.AddCustom("timeout", "DURATION", duration(&timeout),
                  "longest wait for the first configs and for each update (default 120s)");
  flags.AddCustom("settle", "DURATION", duration(&settle),
                  "quiet time that ends an update (default 1s)");
  flags.AddInt("max-receive-message-bytes", &options.max_receive_message_bytes, -1, 1 << 30,
               "gRPC receive limit; 0 keeps gRPC's default (4 MiB) as the data plane does, -1 "
               "lifts it");
  flags.ParseOrExit(argc, argv);
  if (!ParseHostPort(options.server, /*allow_zero_port=*/false).ok()) {
    std::fprintf(stderr, "%s: --server=HOST:PORT is required\n", kProgram);
    return 2;
  }

  Shared shared;
  {
    absl::MutexLock lock(&shared.mutex);
    shared.streams.resize(streams);
  }
  std::vector<std::unique_ptr<grpc::ClientContext>> contexts;
  std::vector<std::thread> threads;
  for (int i = 0; i < streams; ++i) {
    contexts.push_back(std::make_unique<grpc::ClientContext>());
    threads.emplace_back(RunStream, std::cref(options), i, contexts.back().get(), &shared);
  }
  ReportInitial(shared, start, timeout);
  Emit("{\"event\": \"ready\"}");

  std::vector<StreamStats> marked;
  std::string line;
  while (std::getline(std::cin, line)) {
    absl::string_view command = absl::StripAsciiWhitespace(line);
    if (command == "mark") {
      absl::MutexLock lock(&shared.mutex);
      marked = shared.streams;
      Emit("{\"event\": \"marked\"}");
    } else if (absl::ConsumePrefix(&command, "trigger ")) {
      int64_t unix_ns = 0;
      if (marked.empty() || !absl::SimpleAtoi(command, &unix_ns)) {
        std::fprintf(stderr, "%s: want \"mark\" then \"trigger UNIX_NS\"\n", kProgram);
        continue;
      }
      ReportUpdate(shared, marked, absl::FromUnixNanos(unix_ns), settle, timeout);
    } else if (!command.empty()) {
      std::fprintf(stderr, "%s: unknown command \"%s\"\n", kProgram, std::string(command).c_str());
    }
  }
  for (auto& context : contexts) context->TryCancel();
  for (std::thread& thread : threads) thread.join();
  return 0;
}

}  // namespace
}  // namespace gatehouse::bench

int main(int argc, char** argv) { return gatehouse::bench::Main(argc, argv); }
