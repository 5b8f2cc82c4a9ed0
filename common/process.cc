#include "common/process.h"

#include <algorithm>
#include <cerrno>
#include <csignal>

namespace gatehouse {
namespace {

sigset_t ShutdownSet() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  return set;
}

}  // namespace

void BlockShutdownSignals() {
  sigset_t set = ShutdownSet();
  sigaddset(&set, SIGPIPE);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
}

int WaitForShutdownSignal() {
  sigset_t set = ShutdownSet();
  int signal = 0;
  while (sigwait(&set, &signal) != 0) {
  }
  return signal;
}

int WaitForShutdownSignal(absl::Duration timeout) {
  sigset_t set = ShutdownSet();
  timespec wait = absl::ToTimespec(std::max(timeout, absl::ZeroDuration()));
  while (true) {
    int signal = sigtimedwait(&set, nullptr, &wait);
    if (signal > 0) return signal;
    if (errno != EINTR) return 0;  // EAGAIN: the time is up
  }
}

}  // namespace gatehouse
