#include "controlplane/source/file_source.h"

#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <set>
#include <sstream>
#include <tuple>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/log.h"
#include "common/metrics.h"
#include "controlplane/source/manifest_parser.h"

namespace gatehouse::controlplane::source {
namespace {

using gatehouse::v1::SourceError;

auto ErrorTuple(const SourceError& e) { return std::tie(e.file(), e.object(), e.message()); }

bool ErrorLess(const SourceError& a, const SourceError& b) { return ErrorTuple(a) < ErrorTuple(b); }

SourceError MakeError(const std::string& file, const std::string& object, std::string message) {
  SourceError error;
  error.set_file(file);
  error.set_object(object);
  error.set_message(std::move(message));
  return error;
}

bool IsManifestName(absl::string_view name) {
  return !absl::StartsWith(name, ".") &&
         (absl::EndsWith(name, ".yaml") || absl::EndsWith(name, ".yml"));
}

Gauge* SourceErrorsGauge() {
  static Gauge* gauge = MetricsRegistry::Global().GetGauge(
      "gatehouse_controlplane_source_errors", "Inputs the control plane's source cannot use");
  return gauge;
}

}  // namespace

absl::StatusOr<std::unique_ptr<FileSource>> FileSource::Create(Options options) {
  while (options.dir.size() > 1 && options.dir.back() == '/') options.dir.pop_back();
  struct stat st {};
  if (stat(options.dir.c_str(), &st) != 0) {
    return absl::NotFoundError(
        absl::StrCat("cannot read folder ", options.dir, ": ", std::strerror(errno)));
  }
  if (!S_ISDIR(st.st_mode)) {
    return absl::InvalidArgumentError(absl::StrCat(options.dir, " is not a folder"));
  }
  if (DIR* dir = opendir(options.dir.c_str()); dir == nullptr) {
    return absl::PermissionDeniedError(
        absl::StrCat("cannot read folder ", options.dir, ": ", std::strerror(errno)));
  } else {
    closedir(dir);
  }
  return std::unique_ptr<FileSource>(new FileSource(std::move(options)));
}

FileSource::FileSource(Options options) : options_(std::move(options)) {}

FileSource::~FileSource() {
  Stop();
  for (int fd : wake_fds_) {
    if (fd >= 0) close(fd);
  }
}

absl::Status FileSource::Start(ObjectSink* sink) {
  if (started_) return absl::FailedPreconditionError("the file source is already started");
  started_ = true;
  sink_ = sink;
  // inotify makes a change visible at once; the poll stays as a fallback for what inotify does
  // not see (some network file systems, a folder replaced wholesale). The watch starts before the
  // first scan, so nothing written after that scan can be missed.
  int inotify_fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
  if (inotify_fd >= 0 &&
      inotify_add_watch(inotify_fd, options_.dir.c_str(),
                        IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM | IN_CREATE | IN_DELETE |
                            IN_ATTRIB | IN_DELETE_SELF | IN_MOVE_SELF) < 0) {
    close(inotify_fd);
    inotify_fd = -1;
  }
  if (pipe2(wake_fds_, O_CLOEXEC | O_NONBLOCK) != 0) wake_fds_[0] = wake_fds_[1] = -1;
  Scan();
  sink_->OnSynced();
  thread_ = std::thread([this, inotify_fd] {
    while (WaitForChange(inotify_fd)) Scan();
    if (inotify_fd >= 0) close(inotify_fd);
  });
  return absl::OkStatus();
}

bool FileSource::WaitForChange(int inotify_fd) {
  pollfd fds[2] = {{inotify_fd, POLLIN, 0}, {wake_fds_[0], POLLIN, 0}};
  int timeout_ms = static_cast<int>(absl::ToInt64Milliseconds(options_.poll_interval));
  if (poll(fds, 2, timeout_ms) > 0 && (fds[0].revents & POLLIN)) {
    char events[4096];
    while (read(inotify_fd, events, sizeof(events)) > 0) {
    }
  }
  return !stop_.HasBeenNotified();
}

void FileSource::Stop() {
  if (!stop_.HasBeenNotified()) stop_.Notify();
  if (wake_fds_[1] >= 0) {
    char byte = 0;
    ssize_t ignored = write(wake_fds_[1], &byte, 1);
    (void)ignored;
  }
  if (thread_.joinable()) thread_.join();
}

std::vector<SourceError> FileSource::Errors() const {
  absl::MutexLock lock(&mutex_);
  return errors_;
}

void FileSource::Scan() {
  DIR* dir = opendir(options_.dir.c_str());
  if (dir == nullptr) {
    // The folder went away: keep serving what we have and say why nothing changes any more.
    std::string message = absl::StrCat("cannot read the folder: ", std::strerror(errno),
                                       "; keeping the objects it last held");
    if (message != folder_error_) {
      folder_error_ = message;
      Publish({});
    }
    return;
  }
  bool folder_recovered = !folder_error_.empty();
  folder_error_.clear();

  std::map<std::string, FileStat> present;  // path → stat
  while (dirent* entry = readdir(dir)) {
    if (!IsManifestName(entry->d_name)) continue;
    std::string path = absl::StrCat(options_.dir, "/", entry->d_name);
    struct stat st {};
    if (stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) continue;
    present.emplace(path, FileStat{static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000000 +
                                       st.st_mtim.tv_nsec,
                                   static_cast<int64_t>(st.st_size),
                                   static_cast<uint64_t>(st.st_ino)});
  }
  closedir(dir);

  bool changed = folder_recovered;
  std::set<ObjectKey> affected;
  for (auto it = files_.begin(); it != files_.end();) {
    if (present.count(it->first) == 0) {
      LOG_INFO(it->first, ": removed; dropping its ", it->second.objects.size(), " objects");
      Track(it->first, it->second, /*defines=*/false, &affected);
      it = files_.erase(it);
      changed = true;
    } else {
      ++it;
    }
  }
  std::vector<std::pair<const std::string*, FileState*>> reread;
  for (const auto& [path, file_stat] : present) {
    auto [it, inserted] = files_.try_emplace(path);
    if (!inserted && it->second.stat == file_stat) continue;
    it->second.stat = file_stat;
    Track(path, it->second, /*defines=*/false, &affected);
    reread.emplace_back(&it->first, &it->second);
    changed = true;
  }
  LoadAll(reread);
  for (const auto& [path, state] : reread) Track(*path, *state, /*defines=*/true, &affected);
  if (changed) Publish(affected);
}

void FileSource::LoadAll(const std::vector<std::pair<const std::string*, FileState*>>& files) {
  // Each file is read on its own, so a big folder (the first scan) is read on every core.
  const size_t threads = std::min<size_t>(std::max(1u, std::thread::hardware_concurrency()),
                                          files.size() / 16 + 1);
  std::atomic<size_t> next{0};
  auto work = [&] {
    for (size_t i = next++; i < files.size(); i = next++) {
      Load(*files[i].first, files[i].second);
    }
  };
  std::vector<std::thread> helpers;
  for (size_t t = 1; t < threads; ++t) helpers.emplace_back(work);
  work();
  for (std::thread& helper : helpers) helper.join();
}

void FileSource::Load(const std::string& path, FileState* state) const {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  if (in) text << in.rdbuf();
  if (!in) {
    std::string message = absl::StrCat("cannot read: ", std::strerror(errno));
    if (!state->objects.empty()) absl::StrAppend(&message, "; keeping its last good objects");
    state->errors = {MakeError(path, "", message)};
    return;
  }
  ParsedManifests parsed =
      ParseManifests(text.str(), path, ManifestOptions{options_.watch_namespace});
  if (parsed.syntax_error) {
    // Losing nothing: a file caught half-edited keeps serving what it served before.
    if (!state->objects.empty()) {
      for (SourceError& error : parsed.errors) {
        error.set_message(absl::StrCat(error.message(), "; keeping its last good objects"));
      }
    }
    state->errors = std::move(parsed.errors);
    return;
  }
  state->objects.clear();
  state->errors = std::move(parsed.errors);
  for (KubeObject& object : parsed.objects) {
    ObjectKey key = KeyOf(object);
    if (state->objects.count(key) != 0) {
      state->errors.push_back(
          MakeError(path, key.ToString(), "defined twice in this file; using the first"));
      continue;
    }
    state->objects.emplace(std::move(key), std::move(object));
  }
}

void FileSource::Track(const std::string& file, const FileState& state, bool defines,
                       std::set<ObjectKey>* affected) {
  for (const auto& [key, object] : state.objects) {
    if (defines) {
      definers_[key].insert(file);
    } else if (auto it = definers_.find(key); it != definers_.end()) {
      it->second.erase(file);
      if (it->second.empty()) definers_.erase(it);
    }
    affected->insert(key);
  }
}

void FileSource::Publish(const std::set<ObjectKey>& affected) {
  std::vector<ObjectChange> changes;
  for (const ObjectKey& key : affected) {
    auto definers = definers_.find(key);
    if (definers == definers_.end()) {
      duplicate_errors_.erase(key);
      if (served_.erase(key) != 0) changes.emplace_back(key);
      continue;
    }
    const std::string& owner = *definers->second.begin();
    const KubeObject& object = files_.at(owner).objects.at(key);
    if (definers->second.size() > 1) {
      std::vector<SourceError>& errors = duplicate_errors_[key];
      errors.clear();
      for (const std::string& file : definers->second) {
        if (file == owner) continue;
        errors.push_back(MakeError(file, key.ToString(),
                                   absl::StrCat("also defined in ", owner, "; using that one")));
      }
    } else {
      duplicate_errors_.erase(key);
    }
    auto [served, inserted] = served_.try_emplace(key, object);
    if (inserted || !SameContent(served->second, object)) {
      served->second = object;
      changes.emplace_back(object);
    }
  }
  if (!changes.empty()) sink_->OnChanges(std::move(changes));

  std::vector<SourceError> errors;
  if (!folder_error_.empty()) errors.push_back(MakeError(options_.dir, "", folder_error_));
  for (const auto& [name, state] : files_) {
    errors.insert(errors.end(), state.errors.begin(), state.errors.end());
  }
  for (const auto& [key, key_errors] : duplicate_errors_) {
    errors.insert(errors.end(), key_errors.begin(), key_errors.end());
  }
  SetErrors(std::move(errors));
}

void FileSource::SetErrors(std::vector<SourceError> errors) {
  std::sort(errors.begin(), errors.end(), ErrorLess);
  absl::MutexLock lock(&mutex_);
  // Log only what is new, so a broken file is reported once per change, not on every poll.
  for (const SourceError& error : errors) {
    bool known = std::binary_search(errors_.begin(), errors_.end(), error, ErrorLess);
    if (!known) LOG_WARNING(FormatSourceError(error));
  }
  for (const SourceError& error : errors_) {
    if (!std::binary_search(errors.begin(), errors.end(), error, ErrorLess)) {
      LOG_INFO(FormatSourceError(error), " (resolved)");
    }
  }
  errors_ = std::move(errors);
  SourceErrorsGauge()->Set(static_cast<int64_t>(errors_.size()));
}

}  // namespace gatehouse::controlplane::source
