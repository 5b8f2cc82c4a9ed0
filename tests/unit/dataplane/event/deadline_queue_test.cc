#include "dataplane/event/deadline_queue.h"

#include <string>
#include <thread>
#include <vector>

#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"

namespace gatehouse::dataplane::event {
namespace {

class Named : public DeadlineQueue::Entry {
 public:
  Named(std::string name, std::vector<std::string>* expired) : name_(name), expired_(expired) {}

 private:
  void OnDeadline() override { expired_->push_back(name_); }
  std::string name_;
  std::vector<std::string>* expired_;
};

TEST(DeadlineQueueTest, EntriesExpireInOrderUnlessDisarmedOrReArmed) {
  Dispatcher dispatcher;
  std::vector<std::string> expired;
  std::unique_ptr<DeadlineQueue> queue;
  std::unique_ptr<Named> a, b, c, d;
  absl::Notification done;
  dispatcher.Post([&] {
    queue = std::make_unique<DeadlineQueue>(dispatcher, absl::Milliseconds(100));
    a = std::make_unique<Named>("a", &expired);
    b = std::make_unique<Named>("b", &expired);
    c = std::make_unique<Named>("c", &expired);
    d = std::make_unique<Named>("d", &expired);
    queue->Arm(*a);
    queue->Arm(*b);
    queue->Arm(*c);
    queue->Arm(*d);
    DeadlineQueue::Disarm(*b);  // never expires
    d.reset();                  // destroyed: never expires
  });
  std::thread loop([&] { dispatcher.Run(); });
  absl::SleepFor(absl::Milliseconds(50));
  dispatcher.Post([&] { queue->Arm(*a); });  // re-armed: now after c
  absl::SleepFor(absl::Milliseconds(250));
  dispatcher.Post([&] {
    EXPECT_FALSE(a->armed());
    EXPECT_FALSE(b->armed());
    EXPECT_EQ(expired, (std::vector<std::string>{"c", "a"}));
    queue->Close();
    a.reset();
    b.reset();
    c.reset();
    done.Notify();
  });
  done.WaitForNotification();
  dispatcher.Exit();
  loop.join();
}

}  // namespace
}  // namespace gatehouse::dataplane::event
