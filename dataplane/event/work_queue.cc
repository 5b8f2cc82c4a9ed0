#include "dataplane/event/work_queue.h"

#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <uv.h>

#include <algorithm>
#include <memory>
#include <utility>
#include <vector>

namespace gatehouse::dataplane::event {
namespace {

// The pool's threads yield to the loops: CFS gives a nice-10 thread about a tenth of a nice-0
// one's time when both want a core.
constexpr int kPoolNice = 10;

void LowerThisThreadsPriority() {
  thread_local bool lowered = false;
  if (lowered) return;
  lowered = true;
  id_t thread = static_cast<id_t>(syscall(SYS_gettid));
  errno = 0;
  int nice = getpriority(PRIO_PROCESS, thread);
  if (errno == 0 && nice < kPoolNice) setpriority(PRIO_PROCESS, thread, kPoolNice);
}

}  // namespace

struct WorkQueue::Item {
  uv_work_t request;
  absl::AnyInvocable<void()> work;
  absl::AnyInvocable<void(bool)> done;
  std::string share;
  WorkQueue* queue;  // null once the queue is gone
  Item* previous = nullptr;
  Item* next = nullptr;
};

WorkQueue::WorkQueue(Dispatcher& dispatcher, size_t limit, size_t running_limit)
    : dispatcher_(dispatcher),
      limit_(limit),
      per_share_limit_(std::max<size_t>(1, limit / 8)),
      running_limit_(std::max<size_t>(1, running_limit)),
      alive_(std::make_shared<bool>(true)) {}

WorkQueue::~WorkQueue() {
  for (auto& [name, share] : shares_) {
    for (Item* item : share.waiting) delete item;
  }
  for (Item* item : cancelled_) delete item;
  // Work on the pool finishes on its thread; its completion then finds no queue.
  for (Item* item = on_pool_; item != nullptr; item = item->next) {
    uv_cancel(reinterpret_cast<uv_req_t*>(&item->request));
    item->queue = nullptr;
  }
}

size_t WorkQueue::in_flight(absl::string_view share) const {
  auto it = shares_.find(share);
  return it == shares_.end() ? 0 : it->second.held;
}

bool WorkQueue::Submit(absl::string_view share, absl::AnyInvocable<void()> work,
                       absl::AnyInvocable<void(bool)> done) {
  if (in_flight_ >= limit_) return false;
  Share& held = shares_[share];
  if (held.held >= per_share_limit_) return false;
  ++held.held;
  ++in_flight_;
  held.waiting.push_back(new Item{{}, std::move(work), std::move(done), std::string(share), this});
  StartWaiting();
  return true;
}

void WorkQueue::StartWaiting() {
  while (running_ < running_limit_) {
    // The share that started a piece least recently goes next.
    Share* next = nullptr;
    for (auto& [name, share] : shares_) {
      if (!share.waiting.empty() && (next == nullptr || share.last_started < next->last_started)) {
        next = &share;
      }
    }
    if (next == nullptr) return;
    Item* item = next->waiting.front();
    next->waiting.pop_front();
    next->last_started = ++starts_;
    Start(item);
  }
}

void WorkQueue::Start(Item* item) {
  ++running_;
  item->request.data = item;
  item->next = on_pool_;
  if (on_pool_ != nullptr) on_pool_->previous = item;
  on_pool_ = item;
  uv_queue_work(
      static_cast<uv_loop_t*>(dispatcher_.raw_loop()), &item->request,
      [](uv_work_t* request) {
        LowerThisThreadsPriority();
        static_cast<Item*>(request->data)->work();
      },
      [](uv_work_t* request, int status) {
        Item* item = static_cast<Item*>(request->data);
        WorkQueue* queue = item->queue;
        if (queue == nullptr) {
          delete item;
          return;
        }
        --queue->running_;
        if (item->previous != nullptr) item->previous->next = item->next;
        if (item->next != nullptr) item->next->previous = item->previous;
        if (queue->on_pool_ == item) queue->on_pool_ = item->next;
        queue->Release(item);
        queue->StartWaiting();
        // On the loop's thread after the pool's; the callback may submit more.
        absl::AnyInvocable<void(bool)> done = std::move(item->done);
        delete item;
        done(status == 0);
      });
}

void WorkQueue::Release(Item* item) {
  --in_flight_;
  auto it = shares_.find(item->share);
  if (it != shares_.end() && --it->second.held == 0) shares_.erase(it);
}

void WorkQueue::CancelWaiting() {
  for (auto& [name, share] : shares_) {
    cancelled_.insert(cancelled_.end(), share.waiting.begin(), share.waiting.end());
    share.waiting.clear();
  }
  for (Item* item = on_pool_; item != nullptr; item = item->next) {
    uv_cancel(reinterpret_cast<uv_req_t*>(&item->request));
  }
  if (cancelled_.empty() || cancel_posted_) return;
  cancel_posted_ = true;
  dispatcher_.Post([this, alive = std::weak_ptr<bool>(alive_)] {
    if (alive.expired()) return;
    cancel_posted_ = false;
    std::vector<Item*> cancelled;
    cancelled.swap(cancelled_);
    for (Item* item : cancelled) {
      Release(item);
      absl::AnyInvocable<void(bool)> done = std::move(item->done);
      delete item;
      done(false);
    }
  });
}

}  // namespace gatehouse::dataplane::event
