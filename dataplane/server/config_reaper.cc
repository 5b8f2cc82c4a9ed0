#include "dataplane/server/config_reaper.h"

#include <thread>

namespace gatehouse::dataplane::server {
namespace {

using Config = config::DataplaneConfig;

}  // namespace

ConfigReaper& ConfigReaper::Get() {
  static ConfigReaper* const reaper = new ConfigReaper();
  return *reaper;
}

ConfigReaper::ConfigReaper() {
  std::thread([this] { Run(); }).detach();
}

std::shared_ptr<const Config> ConfigReaper::Adopt(std::shared_ptr<const Config> config) {
  if (config == nullptr) return nullptr;
  const Config* raw = config.get();
  // The deleter owns the reference it hands to the reaper's queue.
  auto held = std::make_shared<std::shared_ptr<const Config>>(std::move(config));
  return std::shared_ptr<const Config>(raw, [this, held](const Config*) {
    absl::MutexLock lock(&mutex_);
    queue_.push_back(std::move(*held));
  });
}

void ConfigReaper::Run() {
  while (true) {
    std::vector<std::shared_ptr<const Config>> batch;
    {
      absl::MutexLock lock(&mutex_);
      mutex_.Await(absl::Condition(
          +[](std::vector<std::shared_ptr<const Config>>* queue) { return !queue->empty(); },
          &queue_));
      batch.swap(queue_);
    }
    batch.clear();  // the frees happen here, on this thread
  }
}

}  // namespace gatehouse::dataplane::server
