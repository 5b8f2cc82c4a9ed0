#include "controlplane/source/file_source.h"

#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
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
      Publish({MakeError(options_.dir, "", message)});
    }
    return;
  }
  bool folder_recovered = !folder_error_.empty();
  folder_error_.clear();

  std::map<std::string, std::pair<std::string, FileStat>> present;  // display name → path, stat
  while (dirent* entry = readdir(dir)) {
    if (!IsManifestName(entry->d_name)) continue;
    std::string path = absl::StrCat(options_.dir, "/", entry->d_name);
    struct stat st {};
    if (stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) continue;
    FileStat file_stat{static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec,
                       static_cast<int64_t>(st.st_size), static_cast<uint64_t>(st.st_ino)};
    present.emplace(path, std::make_pair(path, file_stat));
  }
  closedir(dir);

  bool changed = folder_recovered;
  std::set<std::string> reloaded;
  for (auto it = files_.begin(); it != files_.end();) {
    if (present.count(it->first) == 0) {
      LOG_INFO(it->first, ": removed; dropping its ", it->second.objects.size(), " objects");
      it = files_.erase(it);
      changed = true;
    } else {
      ++it;
    }
  }
  for (const auto& [name, path_and_stat] : present) {
    auto [it, inserted] = files_.try_emplace(name);
    if (!inserted && it->second.stat == path_and_stat.second) continue;
    it->second.stat = path_and_stat.second;
    Load(path_and_stat.first, name, &it->second);
    reloaded.insert(name);
    changed = true;
  }
  if (changed) Publish({}, reloaded);
}

void FileSource::Load(const std::string& path, const std::string& display_name, FileState* state) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  if (in) text << in.rdbuf();
  if (!in) {
    std::string message = absl::StrCat("cannot read: ", std::strerror(errno));
    if (!state->objects.empty()) absl::StrAppend(&message, "; keeping its last good objects");
    state->errors = {MakeError(display_name, "", message)};
    return;
  }
  ParsedManifests parsed =
      ParseManifests(text.str(), display_name, ManifestOptions{options_.watch_namespace});
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
  state->objects = std::move(parsed.objects);
  state->errors = std::move(parsed.errors);
}

void FileSource::Publish(std::vector<SourceError> errors, const std::set<std::string>& reloaded) {
  std::map<ObjectKey, const KubeObject*> next;
  std::map<ObjectKey, std::string> origin;
  for (const auto& [name, state] : files_) {
    errors.insert(errors.end(), state.errors.begin(), state.errors.end());
    for (const KubeObject& object : state.objects) {
      ObjectKey key = KeyOf(object);
      auto [it, inserted] = origin.try_emplace(key, name);
      if (!inserted) {
        errors.push_back(MakeError(
            name, key.ToString(),
            it->second == name ? "defined twice in this file; using the first"
                               : absl::StrCat("also defined in ", it->second, "; using that one")));
        continue;
      }
      next.emplace(std::move(key), &object);
    }
  }

  std::map<ObjectKey, Served> served;
  for (const auto& [key, object] : next) {
    const std::string& from = origin.at(key);
    auto old = served_.find(key);
    if (old != served_.end() && old->second.origin == from && reloaded.count(from) == 0) {
      // The same file, not re-read: the object already served, nothing to compare.
      served.emplace(key, std::move(old->second));
      continue;
    }
    if (old == served_.end() || !SameContent(old->second.object, *object)) {
      sink_->OnUpsert(*object);
    }
    served.emplace(key, Served{*object, from});
  }
  for (const auto& [key, entry] : served_) {
    if (next.count(key) == 0) sink_->OnDelete(key);
  }
  served_ = std::move(served);
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
