// The folder source (--source=file:DIR): every *.yaml / *.yml file directly in DIR, watched.
//
// inotify wakes the source when the folder changes, and a poll (stat of every file, ~4 times a
// second) catches what inotify does not see; only files whose size, mtime or inode changed are
// re-read, their objects are diffed against what was delivered, and only real upserts and
// deletes reach the sink, one batch per scan. A file that stops being valid YAML keeps serving
// the objects it last contributed; an object that cannot be read is skipped and reported, while
// the rest of its file is served. Each new problem is logged once, when it appears.
#pragma once

#include <map>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "controlplane/source/object_source.h"

namespace gatehouse::controlplane::source {

class FileSource : public ObjectSource {
 public:
  struct Options {
    std::string dir;
    std::string watch_namespace;  // empty: every namespace
    absl::Duration poll_interval = absl::Milliseconds(250);
  };

  // Fails when `options.dir` is not a readable directory.
  static absl::StatusOr<std::unique_ptr<FileSource>> Create(Options options);
  ~FileSource() override;

  absl::Status Start(ObjectSink* sink) override;
  void Stop() override;
  std::vector<gatehouse::v1::SourceError> Errors() const override;

 private:
  struct FileStat {
    int64_t mtime_ns = 0;
    int64_t size = 0;
    uint64_t inode = 0;
    bool operator==(const FileStat& o) const {
      return mtime_ns == o.mtime_ns && size == o.size && inode == o.inode;
    }
  };
  struct FileState {
    FileStat stat;
    // The objects it last contributed successfully, by key; a key defined twice in the file is
    // the first definition.
    std::map<ObjectKey, KubeObject> objects;
    std::vector<gatehouse::v1::SourceError> errors;
  };

  explicit FileSource(Options options);
  // One poll: re-reads the files that changed and delivers what that changed, as one batch.
  // Poll thread (or Start) only.
  void Scan();
  // Re-reads each file into its state, in parallel when there are many.
  void LoadAll(const std::vector<std::pair<const std::string*, FileState*>>& files);
  // Re-reads one file into `state` (its path names it in errors); touches nothing else, so
  // files load in parallel.
  void Load(const std::string& path, FileState* state) const;
  // Records that `file` defines (`defines`) or no longer defines the keys of `state`'s objects,
  // adding those keys to `affected`.
  void Track(const std::string& file, const FileState& state, bool defines,
             std::set<ObjectKey>* affected);
  // Settles which file serves each affected key, delivers the objects that appeared, changed or
  // went away, and updates the errors. Costs what changed, not the size of the world.
  void Publish(const std::set<ObjectKey>& affected);
  // Waits for a change in the folder (inotify) or the poll interval, whichever comes first;
  // false once Stop() was called.
  bool WaitForChange(int inotify_fd);
  void SetErrors(std::vector<gatehouse::v1::SourceError> errors);

  const Options options_;
  ObjectSink* sink_ = nullptr;
  std::thread thread_;
  absl::Notification stop_;
  int wake_fds_[2] = {-1, -1};  // Stop() writes here to end a wait at once
  bool started_ = false;

  // Owned by the scanning thread.
  std::map<std::string, FileState> files_;  // by display name, sorted
  // The files defining each key, sorted: the first one's object is served, the others are
  // reported as duplicates.
  std::map<ObjectKey, std::set<std::string>> definers_;
  std::map<ObjectKey, KubeObject> served_;  // what the sink was given
  std::map<ObjectKey, std::vector<gatehouse::v1::SourceError>> duplicate_errors_;
  std::string folder_error_;  // the last folder-level problem, logged once

  mutable absl::Mutex mutex_;
  std::vector<gatehouse::v1::SourceError> errors_ ABSL_GUARDED_BY(mutex_);
};

}  // namespace gatehouse::controlplane::source
