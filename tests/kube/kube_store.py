"""Object storage of the test API server: every object, one global resourceVersion counter, and
the history of changes that watches and consistent (paginated, exact-RV) lists are served from.

- The resourceVersion is one counter for all kinds, as an etcd revision is: every write (create,
  update, delete) takes the next number, and each number belongs to exactly one history entry.
- The history keeps the latest `compact_keep` entries. `floor` is the newest RV that is no longer
  in it: a watch or list may start at any RV >= floor; older ones are answered 410 Expired.
- Stored objects are never mutated: a write stores a new dict. Readers may keep references to
  them outside the lock.
- With a state file, all objects and the counter are written on every change (to a temporary
  file, then renamed over the old one) and read back at start. The history is not kept: after a
  restart `floor` is the restored counter, so an RV from before the restart gets 410 Expired and
  clients relist, as they do when a real API server restarts with an empty watch cache.
"""

import json
import os
import threading
import time

from kube_status import expired, too_large_resource_version

# How long a request for a resourceVersion newer than the newest waits for it to appear.
TOO_LARGE_RV_WAIT = 3.0


class Change:
    """One history entry: the object `key` of `storage` went from `old` to `new` at `rv`
    (old None: created; new None: deleted)."""

    __slots__ = ("rv", "storage", "key", "old", "new")

    def __init__(self, rv, storage, key, old, new):
        self.rv = rv
        self.storage = storage
        self.key = key
        self.old = old
        self.new = new


class Store:
    def __init__(self, state_path=None, compact_keep=10000):
        self.lock = threading.RLock()
        self.changed = threading.Condition(self.lock)
        self.objects = {}          # storage name -> {(namespace, name): object}
        self.rv = 0
        self.history = []          # Change entries with consecutive RVs from floor + 1
        self.floor = 0
        self.compact_keep = max(0, compact_keep)
        self.next_cluster_ip = 10  # host part of the next 10.96.0.0/16 address handed out
        self.next_node_port = 30000
        self.state_path = state_path
        if state_path and os.path.exists(state_path):
            self._load()

    # --- reads (callers hold the lock) ---

    def objects_of(self, storage):
        return self.objects.setdefault(storage, {})

    def get(self, storage, key):
        return self.objects_of(storage).get(key)

    def snapshot(self, storage, rv):
        """{key: object} of `storage` as it was at `rv` (floor <= rv <= self.rv), rebuilt by
        undoing the newer history entries."""
        if rv < self.floor:
            raise expired("The resourceVersion for the provided list is too old.")
        state = dict(self.objects_of(storage))
        for change in reversed(self.history[rv - self.floor:]):
            if change.storage != storage:
                continue
            if change.old is None:
                state.pop(change.key, None)
            else:
                state[change.key] = change.old
        return state

    def changes_after(self, rv):
        """The history entries newer than `rv` (which must be >= floor)."""
        return self.history[rv - self.floor:]

    def wait_for_rv(self, rv, timeout=TOO_LARGE_RV_WAIT):
        """Waits until the counter reaches `rv`; 504 Timeout (ResourceVersionTooLarge) if it does
        not within `timeout` seconds, as the real API server answers."""
        deadline = time.monotonic() + timeout
        while self.rv < rv:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise too_large_resource_version(rv, self.rv)
            self.changed.wait(remaining)

    # --- writes (callers hold the lock) ---

    def commit(self, storage, key, new):
        """Stores `new` (None deletes) under the next resourceVersion, which is written into
        `new`'s metadata. Returns the resourceVersion."""
        objects = self.objects_of(storage)
        old = objects.get(key)
        self.rv += 1
        if new is None:
            objects.pop(key, None)
        else:
            new["metadata"]["resourceVersion"] = str(self.rv)
            objects[key] = new
        self.history.append(Change(self.rv, storage, key, old, new))
        self._trim_history()
        self._save()
        self.changed.notify_all()
        return self.rv

    def compact(self):
        """Drops the whole history: every RV older than the current one becomes too old."""
        self.history = []
        self.floor = self.rv
        self.changed.notify_all()

    def allocate_cluster_ip(self):
        used = {(service.get("spec") or {}).get("clusterIP")
                for service in self.objects_of("services").values()}
        while True:
            self.next_cluster_ip += 1
            address = "10.96.%d.%d" % divmod(self.next_cluster_ip, 256)
            if address not in used:
                return address

    def allocate_node_port(self):
        self.next_node_port += 1
        if self.next_node_port > 32767:
            self.next_node_port = 30001
        return self.next_node_port

    def _trim_history(self):
        excess = len(self.history) - self.compact_keep
        if excess > 0:
            del self.history[:excess]
            self.floor = self.history[0].rv - 1 if self.history else self.rv

    # --- persistence ---

    def _save(self):
        if not self.state_path:
            return
        state = {
            "resourceVersion": self.rv,
            "nextClusterIP": self.next_cluster_ip,
            "nextNodePort": self.next_node_port,
            "objects": {storage: list(objects.values())
                        for storage, objects in self.objects.items() if objects},
        }
        temporary = self.state_path + ".tmp"
        with open(temporary, "w") as out:
            json.dump(state, out, separators=(",", ":"))
        os.replace(temporary, self.state_path)

    def _load(self):
        with open(self.state_path) as source:
            state = json.load(source)
        self.rv = int(state["resourceVersion"])
        self.floor = self.rv
        self.next_cluster_ip = int(state.get("nextClusterIP", self.next_cluster_ip))
        self.next_node_port = int(state.get("nextNodePort", self.next_node_port))
        for storage, objects in state.get("objects", {}).items():
            table = self.objects_of(storage)
            for obj in objects:
                metadata = obj["metadata"]
                table[(metadata.get("namespace", ""), metadata["name"])] = obj
