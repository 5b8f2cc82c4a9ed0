// Frees configs on a thread of its own. The last holder of a config is often a worker (its last
// request on the old version), and freeing a table of 100,000 routes there would stall every
// connection of that worker for tens of milliseconds.
#pragma once

#include <memory>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "dataplane/config/dataplane_config.h"

namespace gatehouse::dataplane::server {

class ConfigReaper {
 public:
  // Lives until the process exits, so a config released at any time has somewhere to go.
  static ConfigReaper& Get();

  // `config` as the workers are to hold it: when the last of them lets go, the reaper's thread
  // drops the reference `config` held (freeing it unless someone else, such as the config
  // client, still holds it).
  std::shared_ptr<const config::DataplaneConfig> Adopt(
      std::shared_ptr<const config::DataplaneConfig> config);

 private:
  ConfigReaper();
  void Run();

  absl::Mutex mutex_;
  std::vector<std::shared_ptr<const config::DataplaneConfig>> queue_ ABSL_GUARDED_BY(mutex_);
};

}  // namespace gatehouse::dataplane::server
