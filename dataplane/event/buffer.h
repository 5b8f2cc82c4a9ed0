// The byte buffer connections read into and codecs consume from.
//
// One contiguous region with a read offset: Reserve() hands out writable space at the end,
// Commit() makes it readable, Consume() drops bytes from the front. Consumed space is reclaimed
// lazily, when compacting is cheaper than growing. A buffer emptied by Consume() lets its
// memory go, so an idle connection holds none.
//
// Reads reserve kBlockSize at a time. Each thread keeps a few such blocks that emptied buffers
// let go and hands them to the next buffer reserving one: a connection that reads a request and
// empties its buffer many times a second allocates nothing for it.
#pragma once

#include <cstddef>
#include <cstring>
#include <memory>

#include "absl/strings/string_view.h"

namespace gatehouse::dataplane::event {

class Buffer {
 public:
  static constexpr size_t kBlockSize = 64 * 1024;
  // Blocks a thread keeps for reuse; more are freed.
  static constexpr size_t kCachedBlocks = 4;

  Buffer() = default;
  ~Buffer() { Clear(); }
  Buffer(Buffer&& other) noexcept;
  Buffer& operator=(Buffer&& other) noexcept;
  Buffer(const Buffer&) = delete;
  Buffer& operator=(const Buffer&) = delete;

  // Returns space for at least `size` more bytes, valid until the next non-const call.
  char* Reserve(size_t size);
  // Makes `size` bytes of the reserved space readable.
  void Commit(size_t size) { end_ += size; }
  // Drops `size` readable bytes from the front.
  void Consume(size_t size);
  void Append(absl::string_view data);
  void Clear();

  const char* data() const { return storage_.get() + start_; }
  size_t size() const { return end_ - start_; }
  size_t capacity() const { return capacity_; }
  bool empty() const { return start_ == end_; }
  absl::string_view view() const { return absl::string_view(data(), size()); }

 private:
  std::unique_ptr<char[]> storage_;  // not zero-filled: only committed bytes are read
  size_t capacity_ = 0;
  size_t start_ = 0;
  size_t end_ = 0;
};

}  // namespace gatehouse::dataplane::event
