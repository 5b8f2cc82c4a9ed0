#include "controlplane/source/file_source.h"

#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>

#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace gatehouse::controlplane::source {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

// Keeps what the source says the world is, for the test to wait on.
class RecordingSink : public ObjectSink {
 public:
  void OnChanges(std::vector<ObjectChange> changes) override {
    absl::MutexLock lock(&mutex_);
    ++batches_;
    for (const ObjectChange& change : changes) {
      if (const auto* object = std::get_if<KubeObject>(&change)) {
        objects_.insert_or_assign(KeyOf(*object).ToString(), *object);
        ++upserts_;
      } else {
        objects_.erase(std::get<ObjectKey>(change).ToString());
        ++deletes_;
      }
    }
  }
  void OnSynced() override {
    absl::MutexLock lock(&mutex_);
    synced_ = true;
  }

  std::vector<std::string> Keys() {
    absl::MutexLock lock(&mutex_);
    std::vector<std::string> keys;
    for (const auto& [key, object] : objects_) keys.push_back(key);
    return keys;
  }
  const KubeObject Get(const std::string& key) {
    absl::MutexLock lock(&mutex_);
    return objects_.at(key);
  }
  int upserts() {
    absl::MutexLock lock(&mutex_);
    return upserts_;
  }
  int deletes() {
    absl::MutexLock lock(&mutex_);
    return deletes_;
  }
  int batches() {
    absl::MutexLock lock(&mutex_);
    return batches_;
  }
  bool synced() {
    absl::MutexLock lock(&mutex_);
    return synced_;
  }
  // Waits up to `timeout` for the world to have exactly `keys`.
  bool WaitForKeys(const std::vector<std::string>& keys, absl::Duration timeout) {
    absl::Time deadline = absl::Now() + timeout;
    while (absl::Now() < deadline) {
      if (Keys() == keys) return true;
      absl::SleepFor(absl::Milliseconds(10));
    }
    return Keys() == keys;
  }

 private:
  absl::Mutex mutex_;
  std::map<std::string, KubeObject> objects_ ABSL_GUARDED_BY(mutex_);
  int upserts_ ABSL_GUARDED_BY(mutex_) = 0;
  int deletes_ ABSL_GUARDED_BY(mutex_) = 0;
  int batches_ ABSL_GUARDED_BY(mutex_) = 0;
  bool synced_ ABSL_GUARDED_BY(mutex_) = false;
};

std::string Service(absl::string_view name, int port = 80) {
  return absl::StrCat("apiVersion: v1\nkind: Service\nmetadata: {name: ", name,
                      "}\nspec: {ports: [{port: ", port, "}]}\n");
}

class FileSourceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/file_source_test.XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override {
    if (source_ != nullptr) source_->Stop();
    std::filesystem::remove_all(dir_);
  }
  void Write(const std::string& name, const std::string& text) {
    // Write then rename, as editors and kubectl-style tools do, so a poll never sees half a file.
    std::string tmp = absl::StrCat(dir_, "/.", name, ".tmp");
    std::ofstream(tmp, std::ios::binary) << text;
    std::filesystem::rename(tmp, absl::StrCat(dir_, "/", name));
  }
  void Start(absl::Duration poll_interval = absl::Milliseconds(250)) {
    auto created = FileSource::Create(FileSource::Options{dir_, "", poll_interval});
    ASSERT_TRUE(created.ok()) << created.status();
    source_ = *std::move(created);
    ASSERT_TRUE(source_->Start(&sink_).ok());
    ASSERT_TRUE(sink_.synced());
  }
  std::vector<std::string> ErrorLines() {
    std::vector<std::string> lines;
    for (const auto& error : source_->Errors()) lines.push_back(FormatSourceError(error));
    return lines;
  }

  std::string dir_;
  RecordingSink sink_;
  std::unique_ptr<FileSource> source_;
};

TEST_F(FileSourceTest, MissingFolderFailsToCreate) {
  auto created = FileSource::Create(FileSource::Options{dir_ + "/nope", ""});
  ASSERT_FALSE(created.ok());
  EXPECT_THAT(std::string(created.status().message()), HasSubstr(dir_ + "/nope"));
}

TEST_F(FileSourceTest, InitialListIsDeliveredBeforeSynced) {
  Write("a.yaml", absl::StrCat(Service("a1"), "---\n", Service("a2")));
  Write("b.yml",
        "apiVersion: v1\nkind: List\nitems:\n- {apiVersion: v1, kind: Service, "
        "metadata: {name: b1}}\n");
  Write("notes.txt", Service("ignored-txt"));
  Write(".hidden.yaml", Service("ignored-hidden"));
  Start();
  EXPECT_EQ(sink_.Keys(), (std::vector<std::string>{"Service default/a1", "Service default/a2",
                                                    "Service default/b1"}));
  EXPECT_THAT(source_->Errors(), IsEmpty());
}

TEST_F(FileSourceTest, MalformedFileIsReportedAndOtherFilesServed) {
  Write("good.yaml", Service("good"));
  Write("broken.yaml", "apiVersion: v1\nkind: [\n");
  Start();
  EXPECT_EQ(sink_.Keys(), std::vector<std::string>{"Service default/good"});
  std::vector<std::string> errors = ErrorLines();
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_THAT(errors[0], HasSubstr(dir_ + "/broken.yaml: not valid YAML: line "));
}

TEST_F(FileSourceTest, BadObjectSkippedWhileNeighboursServed) {
  Write("mixed.yaml", absl::StrCat(Service("before"), "---\n",
                                   "apiVersion: v1\nkind: Service\nmetadata: {name: bad}\n"
                                   "spec: {ports: [{port: {nested: 1}}]}\n---\n",
                                   Service("after")));
  Start();
  EXPECT_EQ(sink_.Keys(),
            (std::vector<std::string>{"Service default/after", "Service default/before"}));
  std::vector<std::string> errors = ErrorLines();
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_THAT(errors[0], HasSubstr(dir_ + "/mixed.yaml: Service default/bad: "));
}

TEST_F(FileSourceTest, ChangeIsDeliveredWithinASecondAndOnlyWhatChanged) {
  Write("a.yaml", absl::StrCat(Service("one"), "---\n", Service("two")));
  Start();
  ASSERT_EQ(sink_.upserts(), 2);
  Write("a.yaml",
        absl::StrCat(Service("one"), "---\n", Service("two", 8080), "---\n", Service("three")));
  ASSERT_TRUE(sink_.WaitForKeys(
      {"Service default/one", "Service default/three", "Service default/two"}, absl::Seconds(1)));
  absl::SleepFor(absl::Milliseconds(300));  // let any duplicate delivery show up
  EXPECT_EQ(sink_.upserts(), 4);            // two, changed; three, new; one untouched
  EXPECT_EQ(std::get<kube::Service>(sink_.Get("Service default/two")).spec().ports(0).port(), 8080);
  // Rewriting identical content delivers nothing.
  Write("a.yaml",
        absl::StrCat(Service("one"), "---\n", Service("two", 8080), "---\n", Service("three")));
  absl::SleepFor(absl::Milliseconds(600));
  EXPECT_EQ(sink_.upserts(), 4);
  EXPECT_EQ(sink_.deletes(), 0);
}

TEST_F(FileSourceTest, AFolderOfManyFilesIsReadWhole) {
  // Enough files to be read by several threads at once; one of them broken.
  std::vector<std::string> want;
  for (int i = 0; i < 80; ++i) {
    std::string name = absl::StrCat("svc-", i);
    Write(absl::StrCat("f", i, ".yaml"), Service(name));
    want.push_back(absl::StrCat("Service default/", name));
  }
  Write("broken.yaml", "kind: [\n");
  Start();
  std::sort(want.begin(), want.end());
  EXPECT_EQ(sink_.Keys(), want);
  std::vector<std::string> errors = ErrorLines();
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_THAT(errors[0], HasSubstr("broken.yaml: not valid YAML"));
}

TEST_F(FileSourceTest, OneEditIsOneBatch) {
  Write("a.yaml", absl::StrCat(Service("one"), "---\n", Service("two")));
  Write("b.yaml", Service("other"));
  Start();
  int batches = sink_.batches();
  // A changed object, a new one and a removed one, in one rewrite of one file.
  Write("a.yaml", absl::StrCat(Service("one", 8080), "---\n", Service("three")));
  ASSERT_TRUE(sink_.WaitForKeys(
      {"Service default/one", "Service default/other", "Service default/three"},
      absl::Seconds(1)));
  absl::SleepFor(absl::Milliseconds(300));  // let any further delivery show up
  EXPECT_EQ(sink_.batches(), batches + 1);
  EXPECT_EQ(sink_.deletes(), 1);
}

TEST_F(FileSourceTest, ChangesArriveAtOnceWithoutWaitingForThePoll) {
  Write("a.yaml", Service("one"));
  Start(/*poll_interval=*/absl::Seconds(30));
  absl::Time written = absl::Now();
  Write("b.yaml", Service("two"));
  ASSERT_TRUE(sink_.WaitForKeys({"Service default/one", "Service default/two"}, absl::Seconds(5)));
  EXPECT_LT(absl::Now() - written, absl::Seconds(2));  // inotify, not the 30 s poll
  std::filesystem::remove(absl::StrCat(dir_, "/a.yaml"));
  ASSERT_TRUE(sink_.WaitForKeys({"Service default/two"}, absl::Seconds(5)));
}

TEST_F(FileSourceTest, MalformedEditKeepsLastGoodObjects) {
  Write("a.yaml", absl::StrCat(Service("one"), "---\n", Service("two")));
  Write("b.yaml", Service("other"));
  Start();
  Write("a.yaml", "apiVersion: v1\nkind: Service\nmetadata: {name: [\n");
  absl::Time deadline = absl::Now() + absl::Seconds(1);
  while (ErrorLines().empty() && absl::Now() < deadline) absl::SleepFor(absl::Milliseconds(10));
  std::vector<std::string> errors = ErrorLines();
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_THAT(errors[0], HasSubstr(dir_ + "/a.yaml: not valid YAML"));
  EXPECT_THAT(errors[0], HasSubstr("keeping its last good objects"));
  EXPECT_EQ(sink_.Keys(), (std::vector<std::string>{"Service default/one", "Service default/other",
                                                    "Service default/two"}));
  EXPECT_EQ(sink_.deletes(), 0);
  // Fixed again: the error goes, and the new content counts.
  Write("a.yaml", Service("one"));
  ASSERT_TRUE(
      sink_.WaitForKeys({"Service default/one", "Service default/other"}, absl::Seconds(1)));
  EXPECT_THAT(source_->Errors(), IsEmpty());
}

TEST_F(FileSourceTest, DeletedFileDeletesItsObjects) {
  Write("a.yaml", Service("one"));
  Write("b.yaml", Service("two"));
  Start();
  std::filesystem::remove(dir_ + "/a.yaml");
  ASSERT_TRUE(sink_.WaitForKeys({"Service default/two"}, absl::Seconds(1)));
  EXPECT_EQ(sink_.deletes(), 1);
}

TEST_F(FileSourceTest, DuplicateAcrossFilesFirstFileWins) {
  Write("a.yaml", Service("dup", 80));
  Write("b.yaml", Service("dup", 81));
  Start();
  EXPECT_EQ(std::get<kube::Service>(sink_.Get("Service default/dup")).spec().ports(0).port(), 80);
  std::vector<std::string> errors = ErrorLines();
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0], absl::StrCat(dir_, "/b.yaml: Service default/dup: also defined in ", dir_,
                                    "/a.yaml; using that one"));
}

TEST_F(FileSourceTest, DuplicateServedFromTheOtherFileWhenTheFirstGoes) {
  Write("a.yaml", Service("dup", 80));
  Write("b.yaml", Service("dup", 81));
  Start();
  std::filesystem::remove(dir_ + "/a.yaml");
  absl::Time deadline = absl::Now() + absl::Seconds(1);
  while (!ErrorLines().empty() && absl::Now() < deadline) absl::SleepFor(absl::Milliseconds(10));
  EXPECT_THAT(ErrorLines(), IsEmpty());
  EXPECT_EQ(std::get<kube::Service>(sink_.Get("Service default/dup")).spec().ports(0).port(), 81);
  EXPECT_EQ(sink_.deletes(), 0);  // the object never went away, its content changed
  // And identical content moving between files delivers nothing.
  int upserts = sink_.upserts();
  Write("c.yaml", Service("dup", 81));
  std::filesystem::remove(dir_ + "/b.yaml");
  absl::SleepFor(absl::Milliseconds(600));
  EXPECT_EQ(sink_.Keys(), std::vector<std::string>{"Service default/dup"});
  EXPECT_EQ(sink_.upserts(), upserts);
  EXPECT_EQ(sink_.deletes(), 0);
}

}  // namespace
}  // namespace gatehouse::controlplane::source
