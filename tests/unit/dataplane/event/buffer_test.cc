#include "dataplane/event/buffer.h"

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

}  // namespace
}  // namespace gatehouse::dataplane::event
