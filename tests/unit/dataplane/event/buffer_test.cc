#include "dataplane/event/buffer.h"

#include <string>

#include "gtest/gtest.h"

namespace gatehouse::dataplane::event {
namespace {

TEST(BufferTest, ReserveCommitConsume) {
  Buffer buffer;
  char* space = buffer.Reserve(5);
  std::memcpy(space, "hello", 5);
  buffer.Commit(5);
  buffer.Append(" world");
  EXPECT_EQ(buffer.view(), "hello world");
  buffer.Consume(6);
  EXPECT_EQ(buffer.view(), "world");
  buffer.Consume(100);
  EXPECT_TRUE(buffer.empty());
}

TEST(BufferTest, GrowsAndCompactsWithoutLosingBytes) {
  Buffer buffer;
  std::string expected;
  for (int i = 0; i < 1000; ++i) {
    std::string chunk(static_cast<size_t>(i % 97 + 1), static_cast<char>('a' + i % 26));
    buffer.Append(chunk);
    expected += chunk;
    if (i % 3 == 0) {
      size_t drop = std::min<size_t>(expected.size(), 50);
      buffer.Consume(drop);
      expected.erase(0, drop);
    }
    ASSERT_EQ(buffer.view(), expected);
  }
}

TEST(BufferTest, AnEmptiedBufferGivesItsBlockToTheNextOne) {
  Buffer first;
  first.Reserve(Buffer::kBlockSize);  // as a read does
  first.Append("request");
  const char* block = first.data();
  first.Consume(first.size());  // emptied: the block goes back to this thread's cache
  Buffer second;
  std::memcpy(second.Reserve(Buffer::kBlockSize), "next request", 12);
  second.Commit(12);
  EXPECT_EQ(second.data(), block);
  EXPECT_EQ(second.view(), "next request");
}

TEST(BufferTest, ASmallBufferTakesOnlyWhatItNeeds) {
  // An HTTP/2 stream's or a TLS connection's few pending bytes must not pin a whole block.
  Buffer small;
  small.Append("x");
  small.Append(std::string(100, 'y'));
  EXPECT_EQ(small.view(), "x" + std::string(100, 'y'));
  EXPECT_LT(small.capacity(), 1024u);
}

TEST(BufferTest, MovingTakesTheBytes) {
  Buffer from;
  from.Append("bytes");
  Buffer to = std::move(from);
  EXPECT_EQ(to.view(), "bytes");
  EXPECT_TRUE(from.empty());  // NOLINT(bugprone-use-after-move): moved-from is empty
  from.Append("again");
  EXPECT_EQ(from.view(), "again");
  to = std::move(from);
  EXPECT_EQ(to.view(), "again");
}

TEST(BufferTest, GrowsPastOneBlock) {
  Buffer buffer;
  std::string big(Buffer::kBlockSize * 3 + 5, 'x');
  buffer.Append(big.substr(0, 10));
  buffer.Append(big.substr(10));
  EXPECT_EQ(buffer.view(), big);
  buffer.Clear();
  EXPECT_TRUE(buffer.empty());
}

}  // namespace
}  // namespace gatehouse::dataplane::event
