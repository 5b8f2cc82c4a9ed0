// The byte buffer connections read into and codecs consume from.
//
// One contiguous region with a read offset: Reserve() hands out writable space at the end,
// Commit() makes it readable, Consume() drops bytes from the front. Consumed space is reclaimed
// lazily, when compacting is cheaper than growing.
#pragma once

#include <cstddef>
#include <cstring>
#include <string>

#include "absl/strings/string_view.h"

namespace gatehouse::dataplane::event {

class Buffer {
 public:
  // Returns space for at least `size` more bytes, valid until the next non-const call.
  char* Reserve(size_t size);
  // Makes `size` bytes of the reserved space readable.
  void Commit(size_t size) { end_ += size; }
  // Drops `size` readable bytes from the front.
  void Consume(size_t size);
  void Append(absl::string_view data);
  void Clear() { start_ = end_ = 0; }

  const char* data() const { return storage_.data() + start_; }
  size_t size() const { return end_ - start_; }
  bool empty() const { return start_ == end_; }
  absl::string_view view() const { return absl::string_view(data(), size()); }

 private:
  std::string storage_;
  size_t start_ = 0;
  size_t end_ = 0;
};

}  // namespace gatehouse::dataplane::event
