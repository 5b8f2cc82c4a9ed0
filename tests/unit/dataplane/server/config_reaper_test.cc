#include "dataplane/server/config_reaper.h"

#include <chrono>
#include <thread>

#include "gtest/gtest.h"
#include "tests/unit/dataplane/fakes/test_config.h"

namespace gatehouse::dataplane::server {
namespace {

std::shared_ptr<const config::DataplaneConfig> SomeConfig() {
  v1::RouteConfiguration routes;
  routes.set_name("http");
  return fakes::BuildTestConfig(routes, {});
}

TEST(ConfigReaperTest, TheLastWorkerReferenceHandsTheConfigToTheReaper) {
  std::shared_ptr<const config::DataplaneConfig> config = SomeConfig();
  ASSERT_NE(config, nullptr);
  std::weak_ptr<const config::DataplaneConfig> watch = config;
  const config::DataplaneConfig* raw = config.get();
  std::shared_ptr<const config::DataplaneConfig> shared = ConfigReaper::Get().Adopt(config);
  config.reset();
  EXPECT_EQ(shared.get(), raw);
  std::shared_ptr<const config::DataplaneConfig> second_worker = shared;
  shared.reset();
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  EXPECT_FALSE(watch.expired());  // one worker still holds it
  second_worker.reset();
  for (int i = 0; i < 500 && !watch.expired(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  EXPECT_TRUE(watch.expired());
}

TEST(ConfigReaperTest, AnotherHolderKeepsItAlive) {
  std::shared_ptr<const config::DataplaneConfig> client_copy = SomeConfig();
  std::shared_ptr<const config::DataplaneConfig> shared = ConfigReaper::Get().Adopt(client_copy);
  EXPECT_EQ(client_copy.use_count(), 2);
  shared.reset();
  // The reaper lets go of its reference, on its own thread; the client's stays.
  for (int i = 0; i < 500 && client_copy.use_count() > 1; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  EXPECT_EQ(client_copy.use_count(), 1);
  EXPECT_NE(client_copy->certificates(), nullptr);
}

}  // namespace
}  // namespace gatehouse::dataplane::server
