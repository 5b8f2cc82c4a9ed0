#include "dataplane/event/buffer.h"

namespace gatehouse::dataplane::event {

char* Buffer::Reserve(size_t size) {
  if (storage_.size() - end_ >= size) return storage_.data() + end_;
  size_t live = end_ - start_;
  if (start_ > 0 && storage_.size() - live >= size && live <= storage_.size() / 2) {
    std::memmove(storage_.data(), storage_.data() + start_, live);
    start_ = 0;
    end_ = live;
    return storage_.data() + end_;
  }
  size_t want = std::max(storage_.size() * 2, end_ + size);
  storage_.resize(want);
  return storage_.data() + end_;
}

void Buffer::Consume(size_t size) {
  start_ += std::min(size, end_ - start_);
  if (start_ == end_) start_ = end_ = 0;
}

void Buffer::Append(absl::string_view data) {
  std::memcpy(Reserve(data.size()), data.data(), data.size());
  Commit(data.size());
}

}  // namespace gatehouse::dataplane::event
