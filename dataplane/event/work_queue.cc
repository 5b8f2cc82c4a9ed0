#include "dataplane/event/work_queue.h"

#include <uv.h>

namespace gatehouse::dataplane::event {

struct WorkQueue::Item {
  uv_work_t request;
  absl::AnyInvocable<void()> work;
  absl::AnyInvocable<void(bool)> done;
  WorkQueue* queue;  // null once the queue is gone
  Item* previous = nullptr;
  Item* next = nullptr;
};

WorkQueue::WorkQueue(Dispatcher& dispatcher, size_t limit)
    : dispatcher_(dispatcher), limit_(limit) {}

WorkQueue::~WorkQueue() {
  CancelWaiting();
  // Work already running finishes on its thread; its completion then finds no queue.
  for (Item* item = items_; item != nullptr; item = item->next) item->queue = nullptr;
}

bool WorkQueue::Submit(absl::AnyInvocable<void()> work, absl::AnyInvocable<void(bool)> done) {
  if (in_flight_ >= limit_) return false;
  Item* item = new Item{{}, std::move(work), std::move(done), this};
  item->request.data = item;
  item->next = items_;
  if (items_ != nullptr) items_->previous = item;
  items_ = item;
  ++in_flight_;
  uv_queue_work(
      static_cast<uv_loop_t*>(dispatcher_.raw_loop()), &item->request,
      [](uv_work_t* request) { static_cast<Item*>(request->data)->work(); },
      [](uv_work_t* request, int status) {
        Item* item = static_cast<Item*>(request->data);
        WorkQueue* queue = item->queue;
        if (queue != nullptr) {
          --queue->in_flight_;
          if (item->previous != nullptr) item->previous->next = item->next;
          if (item->next != nullptr) item->next->previous = item->previous;
          if (queue->items_ == item) queue->items_ = item->next;
          // Run on the loop's thread after the pool's; the callback may submit more.
          absl::AnyInvocable<void(bool)> done = std::move(item->done);
          delete item;
          done(status == 0);
          return;
        }
        delete item;
      });
  return true;
}

void WorkQueue::CancelWaiting() {
  for (Item* item = items_; item != nullptr; item = item->next) {
    uv_cancel(reinterpret_cast<uv_req_t*>(&item->request));
  }
}

}  // namespace gatehouse::dataplane::event
