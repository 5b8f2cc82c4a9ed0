#include "dataplane/event/buffer.h"

#include <algorithm>
#include <vector>

namespace gatehouse::dataplane::event {
namespace {

// The blocks of kBlockSize this thread's buffers gave back.
class BlockCache {
 public:
  ~BlockCache();
  // A cached block, or null.
  std::unique_ptr<char[]> Take() {
    if (blocks_.empty()) return nullptr;
    char* block = blocks_.back();
    blocks_.pop_back();
    return std::unique_ptr<char[]>(block);
  }
  void Give(std::unique_ptr<char[]> block) {
    if (blocks_.size() < Buffer::kCachedBlocks) blocks_.push_back(block.release());
  }

 private:
  std::vector<char*> blocks_;
};

thread_local BlockCache cache;
// Set once this thread's cache is destroyed (thread exit): a buffer freed after that, by another
// thread-local or a static, allocates and frees its block itself.
thread_local bool cache_gone = false;

BlockCache::~BlockCache() {
  for (char* block : blocks_) delete[] block;
  cache_gone = true;
}

std::unique_ptr<char[]> TakeBlock() {
  std::unique_ptr<char[]> block = cache_gone ? nullptr : cache.Take();
  return block != nullptr ? std::move(block) : std::unique_ptr<char[]>(new char[Buffer::kBlockSize]);
}

void GiveBlock(std::unique_ptr<char[]> block) {
  if (!cache_gone) cache.Give(std::move(block));
}

}  // namespace

Buffer::Buffer(Buffer&& other) noexcept
    : storage_(std::move(other.storage_)),
      capacity_(other.capacity_),
      start_(other.start_),
      end_(other.end_) {
  other.capacity_ = other.start_ = other.end_ = 0;
}

Buffer& Buffer::operator=(Buffer&& other) noexcept {
  if (this != &other) {
    Clear();
    storage_ = std::move(other.storage_);
    capacity_ = other.capacity_;
    start_ = other.start_;
    end_ = other.end_;
    other.capacity_ = other.start_ = other.end_ = 0;
  }
  return *this;
}

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
  std::unique_ptr<char[]> grown =
      want == kBlockSize ? TakeBlock() : std::unique_ptr<char[]>(new char[want]);
  if (live > 0) std::memcpy(grown.get(), storage_.get() + start_, live);
  if (capacity_ == kBlockSize) GiveBlock(std::move(storage_));
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
  if (capacity_ == kBlockSize) GiveBlock(std::move(storage_));
  storage_.reset();
  capacity_ = start_ = end_ = 0;
}

void Buffer::Append(absl::string_view data) {
  if (data.empty()) return;
  std::memcpy(Reserve(data.size()), data.data(), data.size());
  Commit(data.size());
}

}  // namespace gatehouse::dataplane::event
