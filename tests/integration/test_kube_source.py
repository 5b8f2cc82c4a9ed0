"""The control plane's Kubernetes source (--source=kubernetes): it lists and watches Ingress,
IngressClass, Service, EndpointSlice and Secret objects on an API server (tests/kube/apiserver.py,
which speaks the real wire protocol) and serves what it translates to a data plane.

(1) objects applied with kubectl are served, and an edit, an EndpointSlice change and a
    `kubectl delete` follow;
(2) no partial world: while the first lists are answered 429 (Retry-After: 1), neither the
    control plane nor the data plane is ready, and both stay so as long as one kind has not
    been listed; the 429s are honoured (no request storm), then the world is served;
(3) a compaction while the watches are down (410 on resuming): every kind is relisted, objects
    created, changed and deleted meanwhile come out right (the config equals that of a fresh
    control plane on the same objects), and a later change is served;
(4) dropped watches without compaction resume from their last resourceVersion, with
    bookmarks and without a relist, and deliver a change made while they were down;
(5) the API server killed and restarted (its state kept) under steady load: not one request
    fails, and an edit after the restart is served;
(6) the token rotated (the old one refused at once): the control plane reads the new one from
    the kubeconfig's tokenFile and serves an edit within 10 s;
(7) --watch-namespace: objects of other namespaces are ignored, and nothing outside the namespace
    is even listed or watched.

Every test starts its own API server, control plane and data plane.
"""

import contextlib
import copy
import json
import os
import signal
import sys
import time
import unittest
import urllib.parse

import harness
from manifests import backed_service, endpoint_slice, ingress, ingress_class, path, rule, to_yaml

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "kube"))
from kube_fixture import KubeApiServer  # noqa: E402

# The kinds the control plane lists and watches, as the API server's stats name them.
INGRESSES = "ingresses.networking.k8s.io"
INGRESS_CLASSES = "ingressclasses.networking.k8s.io"
KINDS = frozenset([INGRESSES, INGRESS_CLASSES, "services", "endpointslices.discovery.k8s.io",
                   "secrets"])
NAMESPACED_KINDS = KINDS - {INGRESS_CLASSES}

# A change travels one open watch and the debounce: well under a second; stay generous.
EDIT_TIMEOUT = 5.0
# After a failure the control plane backs off (jittered, capped) before it tries again.
RECOVERY_TIMEOUT = 15.0
TOKEN_TIMEOUT = 10.0

# Test 2: requests answered 429 before the control plane gets through, and the most request
# streams it may run at once: one per kind, and one more (discovery, or its leader-election
# Lease).
THROTTLED = 8
RETRY_AFTER = 1
STREAMS = len(KINDS) + 1


def in_namespace(obj, namespace):
    """A copy of the (namespaced) object `obj` in `namespace`."""
    obj = copy.deepcopy(obj)
    obj["metadata"]["namespace"] = namespace
    return obj


def query_of(entry):
    return dict(urllib.parse.parse_qsl(entry["query"], keep_blank_values=True))


def canonical_config(dump):
    """{type_url: sorted resources as JSON} from a `gatehousectl config-dump` answer: what a
    config holds, whatever order its resources came in."""
    return {entry["type_url"]: sorted(json.dumps(resource, sort_keys=True)
                                      for resource in entry.get("resources", []))
            for entry in dump.get("sets", [])}


class KubeControlPlane(harness.ControlPlane):
    """gatehouse-controlplane --source=kubernetes --kubeconfig=FILE on free ports."""

    def __init__(self, group, kubeconfig, extra_args=()):
        super().__init__(group, extra_args=extra_args,
                         source=["--source=kubernetes", "--kubeconfig=" + kubeconfig])

    def readyz(self):
        """The /readyz status, or None while nothing answers on the health port."""
        try:
            return harness.health_get(self.health, "/readyz")[0]
        except OSError:
            return None

    def wait_ready(self):
        harness.wait_until(lambda: self.readyz() == 200, harness.START_TIMEOUT,
                           "the control plane's /readyz to answer 200", [self.process])

    def config(self):
        result = harness.gatehousectl("--server=127.0.0.1:%d" % self.admin, "config-dump")
        if result.returncode != 0:
            raise AssertionError("gatehousectl config-dump failed: %s" % result.stderr.strip())
        return canonical_config(json.loads(result.stdout))


class KubeSourceTest(harness.GatehouseTestCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        with cls.class_logs_on_error():
            cls.a = harness.EchoServer(cls.class_group, "a", quiet=True)
            cls.b = harness.EchoServer(cls.class_group, "b", quiet=True)
            cls.c = harness.EchoServer(cls.class_group, "c", quiet=True)

    def tearDown(self):
        failed = bool(self._failures())
        super().tearDown()
        kube = getattr(self, "kube", None)
        if failed and kube is not None:
            lines = kube.log().splitlines()
            sys.stderr.write("\n----- test API server (%s), last %d of %d lines -----\n%s\n"
                             % (kube.log_path, min(len(lines), 200), len(lines),
                                "\n".join(lines[-200:])))
            try:
                stats = kube.stats()
                sys.stderr.write("API server stats: requests %r, throttled %d, unauthorized %d, "
                                 "open watches %r\n" % (stats["requests"], stats["throttled"],
                                                        stats["unauthorized"],
                                                        stats["open_watches"]))
            except Exception as error:  # noqa: BLE001  (the server may be down)
                sys.stderr.write("API server stats unavailable: %r\n" % (error,))

    # --- the API server and what is in it ---

    def start_kube(self, **kwargs):
        workdir = os.path.join(self.dir, "kube")  # kept with the test's files if it fails
        os.makedirs(workdir)
        self.kube = KubeApiServer(workdir=workdir, **kwargs)
        self.addCleanup(self.kube.stop)
        return self.kube.start()

    def apply(self, *documents):
        self.kube.kubectl("apply", "-f", "-", input=to_yaml(*documents))

    def web(self, extra_paths=(), extra_rules=()):
        """Ingress "web": app.test (Prefix "/" and `extra_paths`) to Service "app", and
        `extra_rules`."""
        return ingress("web", rules=[rule("app.test", path("/", "Prefix", "app"), *extra_paths),
                                     *extra_rules])

    def world(self):
        """Our default IngressClass; Service "app" on echo server a, "second" on b; Ingress
        "web"."""
        return [ingress_class(), *backed_service("app", self.a.host, self.a.port),
                *backed_service("second", self.b.host, self.b.port), self.web()]

    def token_file_kubeconfig(self):
        """A kubeconfig for the API server that names its token file (the fixture's own
        kubeconfig has the token inline), written as YAML, as kubeconfigs usually are."""
        kubeconfig = os.path.join(self.dir, "kubeconfig-tokenfile.yaml")
        with open(kubeconfig, "w") as out:
            out.write("apiVersion: v1\nkind: Config\n"
                      "clusters:\n- name: test\n  cluster:\n    server: %s\n"
                      "    certificate-authority: %s\n"
                      "users:\n- name: test\n  user:\n    tokenFile: %s\n"
                      "contexts:\n- name: test\n  context:\n    cluster: test\n    user: test\n"
                      "current-context: test\n"
                      % (json.dumps(self.kube.url), json.dumps(self.kube.ca_file),
                         json.dumps(self.kube.token_file)))
        return kubeconfig

    def open_watch_kinds(self):
        return {watch["resource"] for watch in self.kube.stats()["open_watches"]}

    def wait_every_kind_watched(self, timeout=EDIT_TIMEOUT):
        harness.wait_until(lambda: KINDS <= self.open_watch_kinds(), timeout,
                           "the control plane to hold a watch on every kind",
                           [self.controlplane.process])

    def requests_by_kind(self, stats, table):
        """{kind: [query dicts]} of the list or watch requests in `stats`."""
        found = {}
        for entry in stats[table]:
            found.setdefault(entry["resource"], []).append(query_of(entry))
        return found

    # --- Gatehouse ---

    def start_controlplane_on_kube(self, kubeconfig=None, extra_args=(), wait=True):
        self.controlplane = KubeControlPlane(self.group, kubeconfig or self.kube.kubeconfig,
                                             extra_args)
        if wait:
            self.controlplane.wait_ready()
        return self.controlplane

    def start_dataplane(self, wait=True):
        self.dataplane = harness.DataPlane(self.group, self.controlplane.xds_address,
                                           "dataplane-1")
        if wait:
            self.dataplane.wait_ready()
        return self.dataplane

    def start_gatehouse(self, kubeconfig=None, extra_args=()):
        self.start_controlplane_on_kube(kubeconfig, extra_args)
        self.start_dataplane()

    def processes(self):
        return [self.controlplane.process, self.dataplane.process]

    def wait_routed(self, host, request_path, expected, timeout=EDIT_TIMEOUT):
        """Waits until the data plane answers host+path from echo server `expected` ("<404>":
        with a 404)."""
        harness.wait_until(lambda: self.dataplane.routed_to(host, request_path) == expected,
                           timeout, "%s%s to answer from %s" % (host, request_path, expected),
                           self.processes())

    def assert_routed(self, host, request_path, expected):
        self.assertEqual(self.dataplane.routed_to(host, request_path), expected,
                         "%s%s" % (host, request_path))

    @contextlib.contextmanager
    def paused(self, process):
        """The process stopped (SIGSTOP) for the block: it sees whatever happens meanwhile only
        when it runs again."""
        process.signal(signal.SIGSTOP)
        try:
            yield
        finally:
            process.signal(signal.SIGCONT)

    # --- the tests ---

    def test_applied_objects_are_served_and_edits_and_deletes_follow(self):
        self.start_kube()
        self.apply(ingress_class(), *backed_service("app", self.a.host, self.a.port), self.web())
        self.start_gatehouse()
        self.assert_routed("app.test", "/", "a")
        self.assert_routed("app.test", "/b/page", "a")
        self.assert_routed("b.test", "/", "<404>")

        # A second Service with its EndpointSlice, and a second path and host to it.
        self.apply(*backed_service("second", self.b.host, self.b.port), ingress("web", rules=[
            rule("app.test", path("/", "Prefix", "app"), path("/b", "Prefix", "second")),
            rule("b.test", path("/", "Prefix", "second"))]))
        self.wait_routed("app.test", "/b/page", "b")
        self.wait_routed("b.test", "/", "b")
        self.assert_routed("app.test", "/", "a")

        # The endpoints of Service "app" move to echo server c.
        self.apply(endpoint_slice("app", [self.c.host], self.c.port))
        self.wait_routed("app.test", "/", "c")
        self.assert_routed("app.test", "/b/page", "b")

        self.kube.kubectl("delete", "ingress", "web")
        self.wait_routed("app.test", "/", "<404>")
        self.wait_routed("b.test", "/", "<404>")
        self.assertTrue(self.controlplane.process.running())

    def test_nothing_is_served_until_every_kind_is_listed_and_429s_are_honoured(self):
        self.start_kube()
        self.apply(*self.world())
        self.kube.reset_stats()
        self.kube.throttle(THROTTLED, retry_after=RETRY_AFTER)
        origin = time.monotonic()  # no request of the control plane comes before this
        self.start_controlplane_on_kube(wait=False)
        self.start_dataplane(wait=False)

        samples = []  # (seconds since origin, 429s answered so far)
        deadline = origin + 30.0
        while True:
            controlplane_ready = self.controlplane.readyz()
            try:
                dataplane_ready = harness.health_get(self.dataplane.health, "/readyz")[0]
            except OSError:
                dataplane_ready = None
            # Read after the readiness: a kind not listed now was not listed when it was read.
            stats = self.kube.stats()
            elapsed = time.monotonic() - origin
            listed = {entry["resource"] for entry in stats["lists"]} & KINDS
            samples.append((elapsed, stats["throttled"]))
            if listed == KINDS:
                break
            self.assertIn(controlplane_ready, (None, 503),
                          "the control plane is ready though %s were never listed (+%.2fs)"
                          % (sorted(KINDS - listed), elapsed))
            self.assertIn(dataplane_ready, (None, 503),
                          "the data plane got a config though %s were never listed (+%.2fs)"
                          % (sorted(KINDS - listed), elapsed))
            for process in self.processes():
                self.assertTrue(process.running(), "%s exited" % process.name)
            if time.monotonic() > deadline:
                self.fail("not every kind was listed after 30 s: listed %s, %d requests "
                          "throttled" % (sorted(listed), stats["throttled"]))
            time.sleep(0.05)

        # Retry-After: 1 honoured: in any one second, at most one request per stream.
        for elapsed, throttled in samples:
            bound = STREAMS * (1 + int(elapsed // RETRY_AFTER))
            self.assertLessEqual(throttled, bound,
                                 "%d requests answered 429 by +%.2fs: Retry-After: %d not "
                                 "honoured (samples: %r)" % (throttled, elapsed, RETRY_AFTER,
                                                             samples))
        self.assertEqual(self.kube.stats()["throttled"], THROTTLED)

        self.controlplane.wait_ready()
        self.dataplane.wait_ready()
        self.assert_routed("app.test", "/", "a")

    def test_compaction_while_watches_are_down_relists_and_loses_or_keeps_nothing(self):
        self.start_kube()
        self.apply(*self.world(), ingress("old", rules=[rule("old.test",
                                                             path("/", "Prefix", "app"))]))
        self.start_gatehouse()
        self.assert_routed("app.test", "/two", "a")
        self.assert_routed("old.test", "/", "a")
        self.wait_every_kind_watched()

        with self.paused(self.controlplane.process):
            self.kube.drop_watches()
            # While the control plane does not watch: an Ingress created, one deleted, one
            # changed, an EndpointSlice changed.
            self.apply(ingress("new", rules=[rule("new.test", path("/", "Prefix", "second"))]))
            self.kube.kubectl("delete", "ingress", "old")
            self.apply(self.web([path("/two", "Prefix", "second")]))
            self.apply(endpoint_slice("app", [self.c.host], self.c.port))
            self.kube.reset_stats()
            # Every resourceVersion the control plane holds is now 410 Expired.
            self.kube.compact()

        self.wait_routed("new.test", "/", "b", RECOVERY_TIMEOUT)
        self.wait_routed("app.test", "/two", "b")
        self.wait_routed("app.test", "/", "c")
        self.wait_routed("old.test", "/", "<404>")
        # Every kind relists, each once its own watch has come back and met the 410.
        harness.wait_until(
            lambda: not KINDS - set(self.requests_by_kind(self.kube.stats(), "lists")),
            RECOVERY_TIMEOUT, "every kind to be listed again after its watch got 410 Expired",
            [self.controlplane.process])

        # A change after the compaction, through the watches started from the relist.
        self.apply(ingress("new", rules=[rule("new.test", path("/", "Prefix", "app"))]))
        self.wait_routed("new.test", "/", "c")
        self.assert_routed("old.test", "/", "<404>")

        # Nothing lost, nothing duplicated, nothing deleted kept: a fresh control plane on the
        # same objects holds the same config.
        settled = self.controlplane
        fresh = KubeControlPlane(self.group, self.kube.kubeconfig)
        fresh.wait_ready()

        def same_config():
            expected, held = fresh.config(), settled.config()
            if held != expected:
                raise AssertionError("differs from a fresh control plane's:\nheld:     %r\n"
                                     "expected: %r" % (held, expected))
            return True
        harness.wait_until(same_config, EDIT_TIMEOUT,
                           "the relisted config to equal a fresh control plane's",
                           [settled.process, fresh.process])

    def test_dropped_watches_resume_from_their_last_resource_version(self):
        self.start_kube()
        self.apply(*self.world())
        self.start_gatehouse()
        self.assert_routed("app.test", "/two", "a")
        self.wait_every_kind_watched()
        rv_before = int(self.kube.stats()["resourceVersion"])

        with self.paused(self.controlplane.process):
            self.kube.drop_watches()
            self.kube.reset_stats()
            # Made while no watch is open: the resumed watch must deliver it.
            self.apply(self.web([path("/two", "Prefix", "second")]))

        self.wait_routed("app.test", "/two", "b", RECOVERY_TIMEOUT)
        self.wait_every_kind_watched()
        # A change after the resumption.
        self.apply(ingress("more", rules=[rule("more.test", path("/", "Prefix", "second"))]))
        self.wait_routed("more.test", "/", "b")
        self.assert_routed("app.test", "/", "a")

        stats = self.kube.stats()
        lists = self.requests_by_kind(stats, "lists")
        self.assertEqual(lists, {}, "a relist after watches were cut, with no 410")
        watches = self.requests_by_kind(stats, "watches")
        for kind in sorted(KINDS):
            with self.subTest(kind=kind):
                self.assertIn(kind, watches, "no new watch on %s" % kind)
                first = watches[kind][0]
                rv = first.get("resourceVersion", "")
                self.assertNotIn(rv, ("", "0"), "watch resumed from the start, not its last "
                                                "resourceVersion: %r" % first)
                self.assertLessEqual(int(rv), rv_before, first)
                for query in watches[kind]:
                    self.assertEqual(query.get("allowWatchBookmarks"), "true", query)

    def test_api_server_killed_and_restarted_under_load_fails_no_request(self):
        self.start_kube()
        self.apply(*self.world())
        self.start_gatehouse()
        self.assert_routed("app.test", "/", "a")
        self.wait_every_kind_watched()

        load = harness.SteadyLoad([harness.LoadTarget(self.dataplane.http, "app.test", "/",
                                                      "a")], duration=60.0)
        self.addCleanup(load.stop)
        load.start()
        load.wait_for_successes(40, 15, processes=self.processes())
        load.mark("API server killed (SIGKILL) and restarted on its state file")
        self.kube.restart()
        # A fresh process: its stats start empty, so this sees the control plane back.
        self.wait_every_kind_watched(RECOVERY_TIMEOUT)
        load.mark("the control plane watches every kind again")
        self.apply(ingress("after", rules=[rule("after.test", path("/", "Prefix", "second"))]))
        self.wait_routed("after.test", "/", "b", RECOVERY_TIMEOUT)
        load.mark("an edit after the restart is served")
        load.wait_for_successes(40, 15, processes=self.processes())
        load.stop()
        load.assert_no_failures()
        self.assert_routed("app.test", "/", "a")

    def test_rotated_token_is_read_again_from_the_kubeconfig_token_file(self):
        self.start_kube()
        self.apply(*self.world())
        self.start_gatehouse(kubeconfig=self.token_file_kubeconfig())
        self.assert_routed("app.test", "/", "a")
        self.wait_every_kind_watched()

        old_token = self.kube.token
        self.kube.rotate_token()
        rotated_at = time.monotonic()
        self.assertEqual(self.kube.request("GET", "/api/v1/services", token=old_token).status,
                         401, "the API server still takes the old token")
        self.kube.reset_stats()
        # Open watches outlive the token; cut them so the control plane needs the new one.
        self.kube.drop_watches()
        self.apply(ingress("rotated", rules=[rule("rotated.test",
                                                  path("/", "Prefix", "second"))]))
        self.wait_routed("rotated.test", "/", "b",
                         TOKEN_TIMEOUT - (time.monotonic() - rotated_at))

        # Every kind gets through again (an accepted request: the new token), within the same
        # 10 s, each after at most a 401 or two.
        def reconnected():
            stats = self.kube.stats()
            accepted = set(self.requests_by_kind(stats, "watches")) | \
                set(self.requests_by_kind(stats, "lists"))
            missing = sorted(KINDS - accepted)
            if missing:
                raise AssertionError("no request accepted since the rotation for %s; %d "
                                     "answered 401" % (missing, stats["unauthorized"]))
            return stats
        stats = harness.wait_until(reconnected,
                                   max(0.0, TOKEN_TIMEOUT - (time.monotonic() - rotated_at)),
                                   "every kind to reconnect with the new token",
                                   self.processes())
        self.assertLessEqual(stats["unauthorized"], 2 * len(KINDS),
                             "401s since the rotation: the token is not read again after a 401")

    def test_watch_namespace_ignores_other_namespaces(self):
        self.start_kube()
        self.apply(
            ingress_class(),
            *[in_namespace(obj, "prod")
              for obj in backed_service("app", self.a.host, self.a.port) + [self.web()]],
            # The same names in "default", elsewhere: none of it may be served.
            *backed_service("app", self.b.host, self.b.port),
            ingress("other", rules=[rule("other.test", path("/", "Prefix", "app"))]),
            ingress("steal", rules=[rule("app.test", path("/steal", "Prefix", "app"))]))
        self.start_gatehouse(extra_args=["--watch-namespace=prod"])
        self.assert_routed("app.test", "/", "a")
        self.assert_routed("app.test", "/steal", "a")
        self.assert_routed("other.test", "/", "<404>")

        # A change in "default", then one in "prod": the second is served, the first never.
        self.apply(ingress("late", rules=[rule("late.test", path("/", "Prefix", "app"))]))
        self.apply(in_namespace(
            self.web(extra_rules=[rule("prod.test", path("/", "Prefix", "app"))]), "prod"))
        self.wait_routed("prod.test", "/", "a")
        self.assert_routed("late.test", "/", "<404>")
        self.assert_routed("other.test", "/", "<404>")

        # Nothing outside "prod" is even read (a Role in one namespace is all it needs).
        stats = self.kube.stats()
        for table in ("lists", "watches"):
            for entry in stats[table]:
                if entry["resource"] in NAMESPACED_KINDS:
                    with self.subTest(table=table, resource=entry["resource"]):
                        self.assertEqual(entry["namespace"], "prod", entry)


if __name__ == "__main__":
    unittest.main()
