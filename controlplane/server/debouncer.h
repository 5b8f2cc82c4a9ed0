// When the rebuild loop rebuilds: a pure class, the time passed in, so its rules are tested
// without clocks or sleeps.
//
// Never before the source has synced, and never for nothing. A change that comes after a quiet
// spell (no rebuild for `max_delay`) is due at once: it is likely alone, and a burst it starts
// is still coalesced from the second change on (Contour's holdoff does the same). Changes that
// follow a recent rebuild wait for `holdoff` of quiet after the last one, but never more than
// `max_delay` after the first pending one.
#pragma once

#include "absl/time/time.h"

namespace gatehouse::controlplane::server {

class Debouncer {
 public:
  Debouncer(absl::Duration holdoff, absl::Duration max_delay)
      : holdoff_(holdoff), max_delay_(max_delay) {}

  // A change that alters the world arrived at `now`.
  void OnChange(absl::Time now);
  // The source has delivered its whole world (at `now`); returns whether this is news. What
  // changed before it is now due.
  bool OnSynced(absl::Time now);
  // A rebuild ran at `now`: nothing is pending any more.
  void OnRebuilt(absl::Time now);

  // When the next rebuild is due: InfiniteFuture while none is.
  absl::Time Deadline() const;
  bool Due(absl::Time now) const { return now >= Deadline(); }
  bool synced() const { return synced_; }

 private:
  const absl::Duration holdoff_;
  const absl::Duration max_delay_;
  bool synced_ = false;
  bool dirty_ = true;  // the first snapshot is published even for an empty world
  absl::Time first_pending_ = absl::InfiniteFuture();
  absl::Time last_change_ = absl::InfiniteFuture();
  absl::Time last_rebuild_ = absl::InfinitePast();
};

}  // namespace gatehouse::controlplane::server
