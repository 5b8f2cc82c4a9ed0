#include "controlplane/objects/object_store.h"

#include "gtest/gtest.h"

namespace gatehouse::controlplane::objects {
namespace {

kube::Service Service(const char* name, int port) {
  kube::Service service;
  service.mutable_metadata()->set_namespace_("default");
  service.mutable_metadata()->set_name(name);
  service.mutable_spec()->add_ports()->set_port(port);
  return service;
}

TEST(ObjectStoreTest, OnlyRealChangesCount) {
  ObjectStore store;
  EXPECT_TRUE(store.Upsert(Service("web", 80)));
  EXPECT_FALSE(store.Upsert(Service("web", 80)));  // the same content again
  EXPECT_TRUE(store.Upsert(Service("web", 81)));
  EXPECT_EQ(store.size(), 1u);
  EXPECT_FALSE(store.Delete(ObjectKey{Kind::kService, {"default", "nope"}}));
  EXPECT_FALSE(store.Delete(ObjectKey{Kind::kIngress, {"default", "web"}}));  // another kind
  EXPECT_TRUE(store.Delete(ObjectKey{Kind::kService, {"default", "web"}}));
  EXPECT_EQ(store.size(), 0u);
}

TEST(ObjectStoreTest, KeptSortedByNamespaceAndName) {
  ObjectStore store;
  store.Upsert(Service("b", 1));
  store.Upsert(Service("a", 1));
  ASSERT_EQ(store.services().size(), 2u);
  EXPECT_EQ(store.services().begin()->first.name, "a");
}

}  // namespace
}  // namespace gatehouse::controlplane::objects
