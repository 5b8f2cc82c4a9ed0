#include "dataplane/event/buffer_budget.h"

#include <vector>

#include "gtest/gtest.h"
#include "tests/unit/dataplane/event/running_dispatcher.h"

namespace gatehouse::dataplane::event {
namespace {

// Records the calls of a waiter.
struct Counter {
  int calls = 0;
  static void Call(void* self) { ++static_cast<Counter*>(self)->calls; }
  BufferBudget::Waiter waiter() { return {&Counter::Call, this}; }
};

TEST(BufferBudgetTest, ExhaustedAtTheLimitButBuffersUnderTheFloorGoOn) {
  RunningDispatcher loop;
  loop.RunOnLoop([&] {
    BufferBudget budget(loop.dispatcher(), 100 * 1024);
    budget.Charge(99 * 1024);
    EXPECT_FALSE(budget.exhausted());
    EXPECT_FALSE(budget.Blocks(64 * 1024));
    budget.Charge(1024);
    EXPECT_TRUE(budget.exhausted());
    EXPECT_TRUE(budget.Blocks(BufferBudget::kFloor + 1));
    EXPECT_FALSE(budget.Blocks(BufferBudget::kFloor));  // each buffer may always move some bytes
    budget.Release(100 * 1024);
    EXPECT_EQ(budget.used(), 0u);

    BufferBudget unlimited(loop.dispatcher(), 0);
    unlimited.Charge(size_t{1} << 40);
    EXPECT_FALSE(unlimited.exhausted());
    EXPECT_FALSE(unlimited.Blocks(size_t{1} << 40));
    unlimited.Release(size_t{1} << 40);
  });
}

TEST(BufferBudgetTest, RechargeMovesTheChargeToWhatTheBufferNowHolds) {
  RunningDispatcher loop;
  loop.RunOnLoop([&] {
    BufferBudget budget(loop.dispatcher(), 1000);
    budget.Recharge(0, 300);
    EXPECT_EQ(budget.used(), 300u);
    budget.Recharge(300, 1200);
    EXPECT_EQ(budget.used(), 1200u);
    EXPECT_TRUE(budget.exhausted());
    budget.Recharge(1200, 1200);
    EXPECT_EQ(budget.used(), 1200u);
    budget.Recharge(1200, 0);
    EXPECT_EQ(budget.used(), 0u);
  });
}

TEST(BufferBudgetTest, WaitersAreCalledOnALaterTurnOnceHalfTheLimitIsFree) {
  RunningDispatcher loop;
  std::unique_ptr<BufferBudget> budget;
  Counter a, b, forgotten;
  loop.RunOnLoop([&] {
    budget = std::make_unique<BufferBudget>(loop.dispatcher(), 1000);
    budget->Charge(1000);
    budget->Wait(a.waiter());
    budget->Wait(b.waiter());
    budget->Wait(forgotten.waiter());
    budget->Forget(&forgotten);
    budget->Release(400);  // 600 still used: more than half
  });
  loop.RunOnLoop([&] {
    EXPECT_EQ(a.calls, 0);
    budget->Release(100);   // 500: half
    EXPECT_EQ(a.calls, 0);  // not from inside the release
  });
  loop.RunOnLoop([&] {
    EXPECT_EQ(a.calls, 1);
    EXPECT_EQ(b.calls, 1);
    EXPECT_EQ(forgotten.calls, 0);
    // Called once: a waiter that still finds no room waits again.
    budget->Release(500);
    budget->Charge(100);
    budget->Release(100);
  });
  loop.RunOnLoop([&] {
    EXPECT_EQ(a.calls, 1);
    budget.reset();
  });
}

TEST(BufferBudgetTest, AWaiterFilledUpAgainBeforeTheWakeKeepsWaiting) {
  RunningDispatcher loop;
  std::unique_ptr<BufferBudget> budget;
  Counter a;
  loop.RunOnLoop([&] {
    budget = std::make_unique<BufferBudget>(loop.dispatcher(), 1000);
    budget->Charge(1000);
    budget->Wait(a.waiter());
    budget->Release(600);  // a wake is due after this turn...
    budget->Charge(600);   // ...but the room is gone again before it
  });
  loop.RunOnLoop([&] {
    EXPECT_EQ(a.calls, 0);
    budget->Release(1000);
  });
  loop.RunOnLoop([&] {
    EXPECT_EQ(a.calls, 1);
    budget.reset();
  });
}

// A waiter that makes another go away while the waiters are called: the other is not called.
struct Forgetting {
  BufferBudget* budget;
  void* other;
  int calls = 0;
  static void Call(void* self) {
    auto* f = static_cast<Forgetting*>(self);
    ++f->calls;
    f->budget->Forget(f->other);
  }
};

TEST(BufferBudgetTest, AWaiterForgottenDuringTheWakeIsNotCalled) {
  RunningDispatcher loop;
  std::unique_ptr<BufferBudget> budget;
  Counter victim;
  Forgetting first{nullptr, &victim};
  loop.RunOnLoop([&] {
    budget = std::make_unique<BufferBudget>(loop.dispatcher(), 1000);
    first.budget = budget.get();
    budget->Charge(1000);
    budget->Wait({&Forgetting::Call, &first});
    budget->Wait(victim.waiter());
    budget->Release(1000);
  });
  loop.RunOnLoop([&] {
    EXPECT_EQ(first.calls, 1);
    EXPECT_EQ(victim.calls, 0);
    budget.reset();
  });
}

}  // namespace
}  // namespace gatehouse::dataplane::event
