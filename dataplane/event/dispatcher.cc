#include "dataplane/event/dispatcher.h"

#include <uv.h>

#include <sched.h>

#include <cstdlib>

#include "common/log.h"
#include "dataplane/event/timer.h"

namespace gatehouse::dataplane::event {

struct Dispatcher::Loop {
  uv_loop_t loop;
  uv_async_t wakeup;
  uv_idle_t deferred;  // active only while objects wait to be deleted
  uv_check_t after_io;  // active only while CallAfterIo calls wait
  uv_prepare_t yield;   // before each poll: see NoteRead

  // Busy time per turn: the wait for events (poll) is bracketed by before_poll and after_poll,
  // and the loop's idle-time metric says how much of that bracket was spent blocked.
  uv_prepare_t before_poll;
  uv_check_t after_poll;
  Histogram* busy = nullptr;
  uint64_t before_poll_ns = 0;
  uint64_t before_poll_idle_ns = 0;
  uint64_t after_poll_ns = 0;
  uint64_t busy_in_poll_ns = 0;
};

Dispatcher::Dispatcher() : loop_(std::make_unique<Loop>()) {
  if (uv_loop_init(&loop_->loop) != 0) {
    LOG_ERROR("uv_loop_init failed");
    std::abort();
  }
  loop_->loop.data = this;
  uv_loop_configure(&loop_->loop, UV_METRICS_IDLE_TIME);
  uv_async_init(&loop_->loop, &loop_->wakeup, [](uv_async_t* handle) {
    static_cast<Dispatcher*>(handle->loop->data)->DrainPosted();
  });
  uv_idle_init(&loop_->loop, &loop_->deferred);
  uv_check_init(&loop_->loop, &loop_->after_io);
  uv_prepare_init(&loop_->loop, &loop_->yield);
  uv_unref(reinterpret_cast<uv_handle_t*>(&loop_->yield));  // never keeps the loop alive
  uv_prepare_start(&loop_->yield, [](uv_prepare_t* handle) {
    auto* self = static_cast<Dispatcher*>(handle->loop->data);
    // See NoteRead. Alone on the core, sched_yield returns at once.
    if (self->reads_this_turn_ >= 2) sched_yield();
    self->reads_this_turn_ = 0;
  });
}

Dispatcher::~Dispatcher() {
  // Run() has returned, so every handle is closed; only the loop itself remains.
  if (uv_loop_close(&loop_->loop) != 0) LOG_ERROR("event loop closed with live handles");
}

void Dispatcher::Post(std::function<void()> fn) {
  {
    absl::MutexLock lock(&mutex_);
    posted_.push_back(std::move(fn));
  }
  uv_async_send(&loop_->wakeup);
}

void Dispatcher::DrainPosted() {
  std::vector<std::function<void()>> batch;
  {
    absl::MutexLock lock(&mutex_);
    batch.swap(posted_);
  }
  for (auto& fn : batch) fn();
}

void Dispatcher::Run() { uv_run(&loop_->loop, UV_RUN_DEFAULT); }

void Dispatcher::Exit(std::function<void()> before_exit) {
  Post([this, before_exit = std::move(before_exit)] {
    if (exiting_) return;
    exiting_ = true;
    if (before_exit) before_exit();
    DrainDeferred();
    // Closing removes each entry; take them out first.
    std::map<void*, Lingering> lingering;
    lingering.swap(lingering_);
    lingering_count_ = 0;
    for (auto& [key, entry] : lingering) entry.force_close();
    uv_close(reinterpret_cast<uv_handle_t*>(&loop_->wakeup), nullptr);
    uv_close(reinterpret_cast<uv_handle_t*>(&loop_->deferred), nullptr);
    after_io_.clear();
    uv_close(reinterpret_cast<uv_handle_t*>(&loop_->after_io), nullptr);
    uv_close(reinterpret_cast<uv_handle_t*>(&loop_->yield), nullptr);
    if (loop_->busy != nullptr) {
      uv_close(reinterpret_cast<uv_handle_t*>(&loop_->before_poll), nullptr);
      uv_close(reinterpret_cast<uv_handle_t*>(&loop_->after_poll), nullptr);
    }
  });
}

void Dispatcher::MeasureBusyTime(Histogram* histogram) {
  loop_->busy = histogram;
  uv_prepare_init(&loop_->loop, &loop_->before_poll);
  uv_check_init(&loop_->loop, &loop_->after_poll);
  // Measuring never keeps the loop alive.
  uv_unref(reinterpret_cast<uv_handle_t*>(&loop_->before_poll));
  uv_unref(reinterpret_cast<uv_handle_t*>(&loop_->after_poll));
  uv_prepare_start(&loop_->before_poll, [](uv_prepare_t* handle) {
    Loop& loop = *static_cast<Dispatcher*>(handle->loop->data)->loop_;
    uint64_t now = uv_hrtime();
    if (loop.after_poll_ns != 0) {
      // The callbacks run while polling, then everything from after_poll until now.
      uint64_t busy = loop.busy_in_poll_ns + (now - loop.after_poll_ns);
      loop.busy->Observe(static_cast<double>(busy) / 1e9);
    }
    loop.before_poll_ns = now;
    loop.before_poll_idle_ns = uv_metrics_idle_time(handle->loop);
  });
  uv_check_start(&loop_->after_poll, [](uv_check_t* handle) {
    Loop& loop = *static_cast<Dispatcher*>(handle->loop->data)->loop_;
    uint64_t now = uv_hrtime();
    uint64_t idle = uv_metrics_idle_time(handle->loop) - loop.before_poll_idle_ns;
    uint64_t bracket = now - loop.before_poll_ns;
    loop.busy_in_poll_ns = bracket > idle ? bracket - idle : 0;
    loop.after_poll_ns = now;
  });
}

void Dispatcher::DeferDelete(std::unique_ptr<DeferredDeletable> object) {
  deferred_.push_back(std::move(object));
  if (deferred_.size() == 1 && !exiting_) {
    uv_idle_start(&loop_->deferred, [](uv_idle_t* handle) {
      static_cast<Dispatcher*>(handle->loop->data)->DrainDeferred();
    });
  }
}

void Dispatcher::DrainDeferred() {
  // Destructors may defer more objects; keep going until none are left.
  while (!deferred_.empty()) {
    std::vector<std::unique_ptr<DeferredDeletable>> batch;
    batch.swap(deferred_);
    batch.clear();
  }
  if (!exiting_) uv_idle_stop(&loop_->deferred);
}

void Dispatcher::AddLingering(void* key, uint64_t timeout_ms, std::function<void()> force_close) {
  Lingering& entry = lingering_[key];
  entry.force_close = std::move(force_close);
  entry.timer = std::make_unique<Timer>(*this, [this, key] {
    auto it = lingering_.find(key);
    if (it == lingering_.end()) return;
    std::function<void()> close = std::move(it->second.force_close);
    lingering_.erase(it);  // and the timer running this: Timer allows that
    lingering_count_ = static_cast<int>(lingering_.size());
    close();
  });
  entry.timer->Start(timeout_ms);
  lingering_count_ = static_cast<int>(lingering_.size());
}

void Dispatcher::RemoveLingering(void* key) {
  lingering_.erase(key);
  lingering_count_ = static_cast<int>(lingering_.size());
}

void Dispatcher::CallAfterIo(void* key, void (*fn)(void*)) {
  if (exiting_) {
    fn(key);
    return;
  }
  after_io_.emplace_back(key, fn);
  if (after_io_.size() == 1) {
    uv_check_start(&loop_->after_io, [](uv_check_t* handle) {
      auto* self = static_cast<Dispatcher*>(handle->loop->data);
      // A call may ask for more (a write that completes another); run until none is left.
      while (!self->after_io_.empty()) {
        std::vector<std::pair<void*, void (*)(void*)>>& batch = self->after_io_running_;
        batch.swap(self->after_io_);
        for (auto& [key, fn] : batch) {
          if (key != nullptr) fn(key);
        }
        batch.clear();
      }
      uv_check_stop(handle);
    });
  }
}

void Dispatcher::CancelCallAfterIo(void* key) {
  for (auto& entry : after_io_) {
    if (entry.first == key) entry.first = nullptr;
  }
  for (auto& entry : after_io_running_) {  // the batch running now, if any
    if (entry.first == key) entry.first = nullptr;
  }
}

std::unique_ptr<std::string> Dispatcher::TakeOutbox() {
  if (outboxes_.empty()) return std::make_unique<std::string>();
  std::unique_ptr<std::string> outbox = std::move(outboxes_.back());
  outboxes_.pop_back();
  return outbox;
}

void Dispatcher::ReturnOutbox(std::unique_ptr<std::string> outbox) {
  // The string objects are kept (their bytes have moved on to the socket): as many as one turn
  // used at once, up to a bound.
  constexpr size_t kKeptOutboxes = 1024;
  outbox->clear();
  if (outboxes_.size() < kKeptOutboxes) outboxes_.push_back(std::move(outbox));
}

}  // namespace gatehouse::dataplane::event
