#include "dataplane/filters/rewrite_path.h"

#include <atomic>
#include <optional>
#include <string>
#include <utility>

#include "common/path_regex.h"
#include "dataplane/filters/redirect.h"

namespace gatehouse::dataplane::filters {

// What a rewrite on the pool needs, kept alive by the work and its completion both: its own
// copy of the rewrite, as the route's may go with its config once the request is gone.
struct RewritePathFilter::Job {
  Job(RewritePathFilter* filter, PathRewrite rewrite, std::string target)
      : filter(filter), rewrite(std::move(rewrite)), target(std::move(target)) {}
  RewritePathFilter* filter;  // null once the filter is gone; loop thread only
  PathRewrite rewrite;
  std::string target;
  std::atomic<bool> abandoned{false};
  std::optional<std::string> rewritten;  // written by the pool's thread, read after it is done
};

absl::StatusOr<std::shared_ptr<const FilterFactory>> RewritePathFilter::Compile(
    const v1::RewritePath& config) {
  absl::StatusOr<PathRewrite> rewrite = PathRewrite::Compile(config.regex(), config.replacement());
  if (!rewrite.ok()) return rewrite.status();
  return std::make_shared<const ConfigFactory<RewritePathFilter, PathRewrite>>(*std::move(rewrite));
}

RewritePathFilter::~RewritePathFilter() {
  if (job_ != nullptr) {
    job_->filter = nullptr;
    job_->abandoned = true;
  }
}

FilterStatus RewritePathFilter::OnRequestHeaders(http::RequestHead& head, bool end_stream) {
  if (head.Path().size() > kMaxRegexMatchBytes) {
    callbacks().SendLocalReply(414, "the path is too long for this route's rewrite");
    return FilterStatus::kStop;
  }
  if (rewrite_.Work(head.Path().size()) <= kMaxLoopRegexWork) {
    std::optional<std::string> rewritten = rewrite_.Apply(OriginForm(head.target));
    if (rewritten.has_value()) head.target = *std::move(rewritten);
    return FilterStatus::kContinue;
  }
  auto job = std::make_shared<Job>(this, rewrite_, std::string(OriginForm(head.target)));
  bool queued = callbacks().RunBlocking(
      [job] {
        if (!job->abandoned.load()) job->rewritten = job->rewrite.Apply(job->target);
      },
      [job](bool ran) {
        if (job->filter != nullptr) job->filter->OnRewritten(*job, ran);
      });
  if (!queued) {
    http::HeaderMap headers;
    headers.Add("Retry-After", "1");
    callbacks().SendLocalReply(503, "too many long paths are waiting for this route's rewrite",
                               std::move(headers));
    return FilterStatus::kStop;
  }
  head_ = &head;
  job_ = std::move(job);
  return FilterStatus::kStop;
}

void RewritePathFilter::OnRewritten(const Job& job, bool ran) {
  std::shared_ptr<Job> keep = std::move(job_);
  if (!ran) {
    callbacks().SendLocalReply(503, "the worker stopped before the path was rewritten");
    return;
  }
  if (job.rewritten.has_value()) head_->target = *job.rewritten;
  head_ = nullptr;
  callbacks().ContinueRequest();
}

}  // namespace gatehouse::dataplane::filters
