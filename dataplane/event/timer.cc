#include "dataplane/event/timer.h"

#include <uv.h>

namespace gatehouse::dataplane::event {

struct Timer::Handle {
  uv_timer_t timer;
  std::function<void()> callback;
};

Timer::Timer(Dispatcher& dispatcher, std::function<void()> callback)
    : handle_(new Handle{{}, std::move(callback)}) {
  uv_timer_init(static_cast<uv_loop_t*>(dispatcher.raw_loop()), &handle_->timer);
  handle_->timer.data = handle_;
}

Timer::~Timer() {
  uv_timer_stop(&handle_->timer);
  handle_->callback = nullptr;
  uv_close(reinterpret_cast<uv_handle_t*>(&handle_->timer),
           [](uv_handle_t* h) { delete static_cast<Handle*>(h->data); });
}

void Timer::Start(uint64_t timeout_ms, uint64_t repeat_ms) {
  uv_timer_start(
      &handle_->timer,
      [](uv_timer_t* t) {
        // A copy: the callback may destroy the Timer, and with it the stored function.
        std::function<void()> callback = static_cast<Handle*>(t->data)->callback;
        if (callback) callback();
      },
      timeout_ms, repeat_ms);
}

void Timer::Stop() { uv_timer_stop(&handle_->timer); }

}  // namespace gatehouse::dataplane::event
