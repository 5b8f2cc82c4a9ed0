// scripted_controlplane: a control plane for integration tests. It serves whatever a test writes,
// valid or not (no real control plane sends a version a data plane must refuse), and records
// every request the data planes send, so a test can assert ACKs and NACKs.
//
//   scripted_controlplane --listen=HOST:PORT --dir=DIR --log=FILE
//
// DIR/current holds the protobuf JSON of a gatehouse.v1.GetConfigDumpResponse: one
// ConfigResourceSet {type_url, version, resources (Any, "@type" naming a gatehouse.v1 message)}
// per resource type. The file is polled; when its content changes and parses, every stream
// sends, in the order clusters, endpoints, listeners, routes, each subscribed type whose version
// differs from what that stream last sent (or what the data plane said it runs when it
// subscribed), always as the complete set (never incremental). So a NACKed version is not resent
// until the file changes that type's version. A file that does not parse is reported on stderr
// and the previous content keeps being served.
//
// FILE gets one JSON object per line for every request received and every response sent:
//   {"time": unix seconds, "stream": N, "node": ID, "kind": "subscribe"|"ack"|"nack"|"sent",
//    "type_url": ..., "version_info": ..., "nonce": ..., "error_code": N, "error_message": ...}
// ("nonce" is the response_nonce of a request, the nonce of a response).
#include <atomic>
#include <chrono>
#include <cstdio>
#include <deque>
#include <fstream>
#include <map>
#include <memory>
#include <set>
#include <sstream>
#include <string>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "common/flags.h"
#include "common/grpc_server.h"
#include "common/json_string.h"
#include "common/log.h"
#include "common/net_address.h"
#include "common/process.h"
#include "common/resource_types.h"
#include "gatehouse/v1/admin.pb.h"
#include "gatehouse/v1/config.pb.h"
#include "gatehouse/v1/discovery.grpc.pb.h"
#include "google/protobuf/util/json_util.h"

namespace gatehouse::testing {
namespace {

using ::gatehouse::JsonQuote;

using v1::DiscoveryRequest;
using v1::DiscoveryResponse;
using ReaderWriter = grpc::ServerReaderWriter<DiscoveryResponse, DiscoveryRequest>;

constexpr char kProgram[] = "scripted_controlplane";
constexpr absl::Duration kPollInterval = absl::Milliseconds(50);

// One line of FILE.
struct LogEntry {
  uint64_t stream = 0;
  std::string node;
  std::string kind;
  std::string type_url;
  std::string version_info;
  std::string nonce;
  int error_code = 0;
  std::string error_message;
};

class RequestLog {
 public:
  explicit RequestLog(std::FILE* file) : file_(file) {}

  void Write(const LogEntry& entry) {
    std::string line = absl::StrFormat(
        "{\"time\": %.6f, \"stream\": %d, \"node\": %s, \"kind\": %s, \"type_url\": %s, "
        "\"version_info\": %s, \"nonce\": %s, \"error_code\": %d, \"error_message\": %s}\n",
        absl::ToDoubleSeconds(absl::Now() - absl::UnixEpoch()), entry.stream, JsonQuote(entry.node),
        JsonQuote(entry.kind), JsonQuote(entry.type_url), JsonQuote(entry.version_info),
        JsonQuote(entry.nonce), entry.error_code, JsonQuote(entry.error_message));
    absl::MutexLock lock(&mutex_);
    std::fputs(line.c_str(), file_);
    std::fflush(file_);
  }

 private:
  absl::Mutex mutex_;
  std::FILE* const file_ ABSL_GUARDED_BY(mutex_);
};

// What the test wants served: type_url -> its resource set.
using World = std::map<std::string, v1::ConfigResourceSet>;

class ScriptedDiscoveryService final : public v1::ConfigDiscoveryService::Service {
 public:
  ScriptedDiscoveryService(std::string current_path, RequestLog* log)
      : current_path_(std::move(current_path)), log_(log) {}

  // Polls DIR/current until Stop(); run on its own thread.
  void PollWorld() {
    std::string last_text;
    while (true) {
      ReloadIfChanged(last_text);
      absl::MutexLock lock(&mutex_);
      if (mutex_.AwaitWithTimeout(absl::Condition(&stopping_), kPollInterval)) return;
    }
  }

  void Stop() {
    absl::MutexLock lock(&mutex_);
    stopping_ = true;
    changed_.SignalAll();
  }

  grpc::Status StreamConfig(grpc::ServerContext* context, ReaderWriter* stream) override {
    const uint64_t id = ++stream_count_;
    LOG_INFO("stream ", id, " opened from ", context->peer());
    // As the real control plane does: the data plane knows at once that it reached one.
    context->AddInitialMetadata(std::string(kStreamOpenedMetadata), "1");
    stream->SendInitialMetadata();
    std::deque<DiscoveryRequest> requests;  // guarded by mutex_
    bool reader_done = false;               // guarded by mutex_
    std::thread reader([&] {
      DiscoveryRequest request;
      while (stream->Read(&request)) {
        absl::MutexLock lock(&mutex_);
        requests.push_back(std::move(request));
        request.Clear();
        changed_.SignalAll();
      }
      absl::MutexLock lock(&mutex_);
      reader_done = true;
      changed_.SignalAll();
    });

    std::string node;
    std::set<std::string> subscribed;
    std::map<std::string, std::string> known;  // type -> what the data plane has or was sent
    uint64_t nonce = 0;
    uint64_t seen_generation = 0;
    grpc::Status result = grpc::Status::OK;
    while (true) {
      std::deque<DiscoveryRequest> batch;
      std::shared_ptr<const World> world;
      bool done = false;
      {
        absl::MutexLock lock(&mutex_);
        while (requests.empty() && !reader_done && !stopping_ && generation_ == seen_generation &&
               !context->IsCancelled()) {
          changed_.WaitWithTimeout(&mutex_, absl::Milliseconds(200));
        }
        batch.swap(requests);
        done = reader_done || stopping_ || context->IsCancelled();
        world = world_;
        seen_generation = generation_;
      }
      for (const DiscoveryRequest& request : batch) {
        if (request.has_node() && node.empty()) node = request.node().id();
        LogEntry entry{id,
                       node,
                       "",
                       request.type_url(),
                       request.version_info(),
                       request.response_nonce(),
                       request.error_detail().code(),
                       request.error_detail().message()};
        if (request.response_nonce().empty()) {
          entry.kind = "subscribe";
          subscribed.insert(request.type_url());
          known[request.type_url()] = request.version_info();
        } else {
          entry.kind = request.has_error_detail() ? "nack" : "ack";
        }
        LOG_INFO("stream ", id, " (", node, ") ", entry.kind, " ", request.type_url(),
                 " version \"", request.version_info(), "\" nonce \"", request.response_nonce(),
                 "\" ", request.error_detail().message());
        log_->Write(entry);
      }
      if (done) break;
      if (world == nullptr) continue;
      bool write_failed = false;
      for (absl::string_view type_view : kResourceTypesInOrder) {
        const std::string type(type_view);
        auto set = world->find(type);
        if (subscribed.count(type) == 0 || set == world->end()) continue;
        if (known[type] == set->second.version()) continue;
        DiscoveryResponse response;
        response.set_type_url(type);
        response.set_version_info(set->second.version());
        response.set_nonce(absl::StrCat("s", id, "-", ++nonce));
        *response.mutable_resources() = set->second.resources();
        if (!stream->Write(response)) {
          write_failed = true;
          break;
        }
        known[type] = set->second.version();
        LOG_INFO("stream ", id, " (", node, ") sent ", type, " version \"", set->second.version(),
                 "\" nonce ", response.nonce());
        log_->Write(
            LogEntry{id, node, "sent", type, set->second.version(), response.nonce(), 0, ""});
      }
      if (write_failed) {
        result = grpc::Status(grpc::StatusCode::UNAVAILABLE, "write to the data plane failed");
        break;
      }
    }
    {
      absl::MutexLock lock(&mutex_);
      if (!reader_done) context->TryCancel();
    }
    reader.join();
    LOG_INFO("stream ", id, " (", node, ") closed");
    return result;
  }

 private:
  // Publishes DIR/current when its text differs from `last_text` and parses.
  void ReloadIfChanged(std::string& last_text) {
    std::ifstream in(current_path_);
    if (!in) return;  // not written yet
    std::stringstream text;
    text << in.rdbuf();
    if (text.str() == last_text) return;
    last_text = text.str();
    v1::GetConfigDumpResponse dump;
    auto status = google::protobuf::util::JsonStringToMessage(last_text, &dump);
    if (!status.ok()) {
      LOG_ERROR(current_path_, " does not parse, keeping the previous world: ", status.ToString());
      return;
    }
    auto world = std::make_shared<World>();
    std::string versions;
    for (const v1::ConfigResourceSet& set : dump.sets()) {
      (*world)[set.type_url()] = set;
      absl::StrAppend(&versions, " ", set.type_url(), "=", set.version());
    }
    LOG_INFO("serving", versions);
    absl::MutexLock lock(&mutex_);
    world_ = std::move(world);
    ++generation_;
    changed_.SignalAll();
  }

  const std::string current_path_;
  RequestLog* const log_;
  std::atomic<uint64_t> stream_count_{0};

  absl::Mutex mutex_;
  absl::CondVar changed_;
  bool stopping_ ABSL_GUARDED_BY(mutex_) = false;
  std::shared_ptr<const World> world_ ABSL_GUARDED_BY(mutex_);
  uint64_t generation_ ABSL_GUARDED_BY(mutex_) = 0;
};

[[noreturn]] void Die(absl::string_view message) {
  std::fprintf(stderr, "%s: %s\n", kProgram, std::string(message).c_str());
  std::exit(2);
}

int Main(int argc, char** argv) {
  BlockShutdownSignals();
  // The JSON parser resolves "@type" through the generated pool: keep config.proto linked in.
  (void)v1::Cluster::descriptor();

  std::string listen_text;
  std::string dir;
  std::string log_path;
  FlagSet flags(kProgram, "scripted_controlplane --listen=HOST:PORT --dir=DIR --log=FILE");
  flags.AddString("listen", &listen_text, "where to serve gatehouse.v1.ConfigDiscoveryService");
  flags.AddString("dir", &dir, "folder whose file \"current\" holds the world to serve (JSON)");
  flags.AddString("log", &log_path, "file to append one JSON line per request and response to");
  flags.ParseOrExit(argc, argv);
  if (listen_text.empty() || dir.empty() || log_path.empty()) {
    Die("--listen, --dir and --log are required");
  }
  absl::StatusOr<HostPort> listen = ParseHostPort(listen_text);
  if (!listen.ok()) Die(absl::StrCat("--listen=", listen_text, ": ", listen.status().message()));
  std::FILE* log_file = std::fopen(log_path.c_str(), "a");
  if (log_file == nullptr) Die(absl::StrCat("cannot open --log=", log_path));

  RequestLog log(log_file);
  ScriptedDiscoveryService service(dir + "/current", &log);
  std::thread poller([&service] { service.PollWorld(); });
  absl::StatusOr<RunningGrpcServer> server = StartGrpcServer(*listen, {&service});
  if (!server.ok()) {
    service.Stop();
    poller.join();
    Die(server.status().message());
  }
  LOG_INFO("serving ", dir, "/current on ", listen->host, ":", server->port);

  int signal = WaitForShutdownSignal();
  LOG_INFO("signal ", signal, ": stopping");
  service.Stop();
  server->server->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(1));
  poller.join();
  std::fclose(log_file);
  return 0;
}

}  // namespace
}  // namespace gatehouse::testing

int main(int argc, char** argv) { return gatehouse::testing::Main(argc, argv); }
