// A FilterCallbacks that records what a filter asked for, for the filters' unit tests.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "dataplane/filters/filter.h"

namespace gatehouse::dataplane::fakes {

class FakeFilterCallbacks : public filters::FilterCallbacks {
 public:
  struct LocalReply {
    int status = 0;
    std::string message;
    http::HeaderMap headers;
  };

  explicit FakeFilterCallbacks(std::string scheme = "http", std::string client_ip = "192.0.2.7",
                               uint16_t local_port = 8080) {
    downstream_.scheme = std::move(scheme);
    downstream_.client_ip = std::move(client_ip);
    downstream_.client_address = IpAddress::Parse(downstream_.client_ip);
    downstream_.local_port = local_port;
  }

  const filters::DownstreamInfo& downstream() const override { return downstream_; }
  filters::DownstreamInfo& mutable_downstream() { return downstream_; }
  absl::InsecureBitGen& random() override { return random_; }
  void SendLocalReply(int status, absl::string_view message, http::HeaderMap headers) override {
    local_reply = LocalReply{status, std::string(message), std::move(headers)};
  }
  void ContinueRequest() override { ++continued; }
  void SetRequestId(absl::string_view id) override { request_id = std::string(id); }
  // Held until the test runs them with RunHeldWork; refused past `blocking_limit`.
  bool RunBlocking(absl::AnyInvocable<void()> work, absl::AnyInvocable<void(bool)> done) override {
    if (held_work.size() >= blocking_limit) return false;
    held_work.emplace_back(std::move(work), std::move(done));
    return true;
  }
  // Runs every piece of held work and its completion, as the worker would (`ran` false: as
  // if cancelled); returns how many there were.
  size_t RunHeldWork(bool ran = true) {
    std::vector<std::pair<absl::AnyInvocable<void()>, absl::AnyInvocable<void(bool)>>> held;
    held.swap(held_work);
    for (auto& [work, done] : held) {
      if (ran) work();
      done(ran);
    }
    return held.size();
  }

  // Held until the test answers them with AnswerSideRequest.
  uint64_t SendSideRequest(absl::string_view cluster, http::RequestHead head, uint64_t timeout_ms,
                           absl::AnyInvocable<void(filters::SideResponse)> done) override {
    uint64_t id = next_side_id++;
    side_requests.push_back(
        SideRequest{id, std::string(cluster), std::move(head), timeout_ms, std::move(done)});
    return id;
  }
  void CancelSideRequest(uint64_t id) override { cancelled_side_requests.push_back(id); }
  // Answers the oldest side request not yet answered; false when there is none.
  bool AnswerSideRequest(filters::SideResponse response) {
    for (SideRequest& request : side_requests) {
      if (!request.done) continue;
      auto done = std::move(request.done);
      request.done = nullptr;
      done(std::move(response));
      return true;
    }
    return false;
  }
  struct SideRequest {
    uint64_t id;
    std::string cluster;
    http::RequestHead head;
    uint64_t timeout_ms;
    absl::AnyInvocable<void(filters::SideResponse)> done;
  };
  std::vector<SideRequest> side_requests;
  std::vector<uint64_t> cancelled_side_requests;
  uint64_t next_side_id = 1;

  std::optional<LocalReply> local_reply;  // the last one
  int continued = 0;
  std::string request_id;
  size_t blocking_limit = 64;
  std::vector<std::pair<absl::AnyInvocable<void()>, absl::AnyInvocable<void(bool)>>> held_work;

 private:
  filters::DownstreamInfo downstream_;
  absl::InsecureBitGen random_;
};

}  // namespace gatehouse::dataplane::fakes
