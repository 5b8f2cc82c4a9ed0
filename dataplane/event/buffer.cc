#include "dataplane/event/buffer.h"

#include <algorithm>

namespace gatehouse::dataplane::event {

char* Buffer::Reserve(size_t size) {
  if (capacity_ - end_ >= size) return storage_.get() + end_;
  size_t live = end_ - start_;
  if (start_ > 0 && capacity_ - live >= size && live <= capacity_ / 2) {
    std::memmove(storage_.get(), storage_.get() + start_, live);
    start_ = 0;
    end_ = live;
    return storage_.get() + end_;
  }
  size_t want = std::max(capacity_ * 2, live + size);
  std::unique_ptr<char[]> grown(new char[want]);
  if (live > 0) std::memcpy(grown.get(), storage_.get() + start_, live);
  storage_ = std::move(grown);
  capacity_ = want;
  start_ = 0;
  end_ = live;
  return storage_.get() + end_;
}

void Buffer::Consume(size_t size) {
  start_ += std::min(size, end_ - start_);
  if (start_ == end_) Clear();
}

void Buffer::Clear() {
  storage_.reset();
  capacity_ = start_ = end_ = 0;
}

void Buffer::Append(absl::string_view data) {
  if (data.empty()) return;
  std::memcpy(Reserve(data.size()), data.data(), data.size());
  Commit(data.size());
}

}  // namespace gatehouse::dataplane::event
