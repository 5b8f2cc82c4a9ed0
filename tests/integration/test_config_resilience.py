"""The config protocol's resilience guarantees (issue 7), each checked under steady load:

(a) a control plane killed (SIGKILL) and restarted on a changed folder: zero failed requests on
    two data planes, which then run the restarted control plane's versions and name it as their
    config source;
(b) two control planes on one folder (same versions), the one followed killed: zero failed
    requests, the data planes name the other one as config source at once (though it has nothing
    new to send) and follow a change made afterwards;
(c) a new Ingress rule with its new Service and EndpointSlice in one file write: the new host goes
    from 404 straight to 200, never 503 (routes never arrive before their cluster and endpoints),
    and the existing host never fails; removing them again goes from 200 straight to 404;
(d) a version with resources the data plane cannot serve, from scripted_controlplane (no real
    control plane sends one; a version skew or a bug could): the data plane applies the rest of
    it (another tenant's new host is served, the existing host never fails) and answers with a
    NACK that names every resource it left out and says it runs the version; `gatehousectl
    status` shows it; reconnecting, the data plane says it runs that version, which is not sent
    again; the next valid version is ACKed and traffic moves.
Only the "zero failures" assertions are strict; everything else polls with generous deadlines.
"""

import json
import os
import re
import socket
import time
import unittest

import harness
from manifests import backed_service, ingress, ingress_class, path, rule

# How long a data plane may take to reconnect and resync: its backoff reaches 5 s.
RESYNC_TIMEOUT = 25.0
# Successful requests per target to see after each event before moving on (about half a second
# of steady load), so the load covers the time around every event.
AFTER_EVENT = 40


# --- gatehousectl, parsed ----------------------------------------------------------------------

def ctl_status(admin_port):
    """The top-level "label: value" fields of `gatehousectl status` (e.g. "config source")."""
    result = harness.gatehousectl("--server=127.0.0.1:%d" % admin_port, "status")
    if result.returncode != 0:
        raise AssertionError("gatehousectl status failed: %s" % result.stderr.strip())
    fields = {}
    for line in result.stdout.splitlines():
        match = re.match(r"^(\S[^:]*):\s*(.*)$", line)
        if match:
            fields[match.group(1)] = match.group(2).strip()
    return fields


def ctl_versions(admin_port):
    """{type_url: version} of the config a process holds, from `gatehousectl config-dump`."""
    result = harness.gatehousectl("--server=127.0.0.1:%d" % admin_port, "config-dump")
    if result.returncode != 0:
        raise AssertionError("gatehousectl config-dump failed: %s" % result.stderr.strip())
    dump = json.loads(result.stdout)
    return {entry["type_url"]: entry.get("version", "") for entry in dump.get("sets", [])}


def config_source(dataplane):
    return ctl_status(dataplane.admin).get("config source")


def wait_config_source(dataplanes, expected, timeout, what, processes):
    """Waits until `gatehousectl status` on every data plane shows `expected` as config source;
    on timeout, says what each showed instead (and its last error)."""
    def check():
        shown = {d.node_id: ctl_status(d.admin) for d in dataplanes}
        wrong = {node: (fields.get("config source"), fields.get("last error"))
                 for node, fields in shown.items() if fields.get("config source") != expected}
        if wrong:
            raise AssertionError("config source, last error: %r" % wrong)
        return True
    harness.wait_until(check, timeout, what, processes)


# --- scripted_controlplane ---------------------------------------------------------------------

CLUSTER = "type.googleapis.com/gatehouse.v1.Cluster"
ENDPOINTS = "type.googleapis.com/gatehouse.v1.ClusterLoadAssignment"
LISTENER = "type.googleapis.com/gatehouse.v1.Listener"
ROUTES = "type.googleapis.com/gatehouse.v1.RouteConfiguration"


def scripted_controlplane_binary():
    return harness.binary("GATEHOUSE_SCRIPTED_CONTROLPLANE", "scripted_controlplane")


class ScriptedControlPlane:
    """tests/integration/scripted_controlplane: serves what serve() writes and logs every
    request of the data planes (subscribe, ack, nack) and every response it sent."""

    def __init__(self, group, work_dir, port=None, log_name="scripted-requests.jsonl"):
        """Serves work_dir/scripted/current; a restart passes the same `port` and a new
        `log_name`."""
        self.dir = os.path.join(work_dir, "scripted")
        os.makedirs(self.dir, exist_ok=True)
        self.log_path = os.path.join(work_dir, log_name)
        self.port = port or harness.free_port()
        self.process = group.start("scripted-controlplane", [
            scripted_controlplane_binary(), "--listen=127.0.0.1:%d" % self.port,
            "--dir=" + self.dir, "--log=" + self.log_path])
        harness.wait_until(self._accepts, harness.START_TIMEOUT,
                           "scripted_controlplane to listen", [self.process])

    @property
    def xds_address(self):
        return "127.0.0.1:%d" % self.port

    def _accepts(self):
        with socket.create_connection(("127.0.0.1", self.port), timeout=1):
            return True

    def serve(self, sets):
        """Serves [(type_url, version, [resource dicts with "@type"])] from now on."""
        dump = {"sets": [{"type_url": type_url, "version": version, "resources": resources}
                         for type_url, version, resources in sets]}
        staging = os.path.join(os.path.dirname(self.dir), ".staging-current")
        with open(staging, "w") as f:
            json.dump(dump, f, indent=1)
        os.replace(staging, os.path.join(self.dir, "current"))

    def entries(self):
        """Every complete line of the request log, parsed."""
        if not os.path.exists(self.log_path):
            return []
        with open(self.log_path) as f:
            lines = f.read().split("\n")
        return [json.loads(line) for line in lines[:-1] if line.strip()]

    def wait_for(self, kind, type_url, version, timeout=RESYNC_TIMEOUT, processes=()):
        """The first log entry of `kind` for `type_url` whose version_info is `version`."""
        def find():
            for entry in self.entries():
                if (entry["kind"], entry["type_url"], entry["version_info"]) == (
                        kind, type_url, version):
                    return entry
            return None
        return harness.wait_until(find, timeout, "a %s of %s version %s in %s" % (
            kind, type_url, version, self.log_path), [self.process, *processes])


def any_of(message_type, **fields):
    return {"@type": "type.googleapis.com/gatehouse.v1." + message_type, **fields}


def cluster_resource(name):
    return any_of("Cluster", name=name, connect_timeout_ms=2000)


def endpoints_resource(name, echo):
    return any_of("ClusterLoadAssignment", cluster_name=name, endpoints=[
        {"address": echo.host, "port": echo.port, "ready": True}])


def route_config(*virtual_hosts):
    return any_of("RouteConfiguration", name="http", virtual_hosts=list(virtual_hosts))


def virtual_host(name, domains, *routes):
    return {"name": name, "domains": list(domains), "routes": list(routes)}


def route(path_type, path_value, cluster):
    return {"source": "default/scripted", "match": {"path_type": path_type, "path": path_value},
            "cluster": cluster}


# --- the tests ---------------------------------------------------------------------------------

class ConfigResilienceTest(harness.GatehouseTestCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        with cls.class_logs_on_error():
            cls.echo = {name: harness.EchoServer(cls.class_group, name, quiet=True)
                        for name in ("app", "api", "new", "blue", "green")}

    def world(self):
        """Two hosts, each to its own upstream; no default backend, so other hosts get 404."""
        return {
            "00-class.yaml": [ingress_class()],
            "10-services.yaml": (backed_service("app", self.echo["app"].host,
                                                self.echo["app"].port)
                                 + backed_service("api", self.echo["api"].host,
                                                  self.echo["api"].port)),
            "20-web.yaml": [ingress("web", rules=[
                rule("app.example.test", path("/", "Prefix", "app")),
                rule("api.example.test", path("/", "Prefix", "api")),
            ])],
        }

    def extra_ingress(self):
        """A change for the control plane to push: a third host, served by "api"."""
        return ingress("extra", rules=[rule("extra.example.test", path("/", "Prefix", "api"))])

    def steady_load(self, dataplanes, hosts=(("app.example.test", "app"),
                                             ("api.example.test", "api"))):
        """Starts steady load on every data plane for every (host, expected echo server)."""
        load = harness.SteadyLoad([harness.LoadTarget(d.http, host, "/", expected)
                                   for d in dataplanes for host, expected in hosts],
                                  duration=60.0)
        self.addCleanup(load.stop)
        return load.start()

    def wait_versions(self, dataplanes, admin_port, what, processes):
        """Waits until every data plane holds the versions the control plane at `admin_port`
        holds; returns them."""
        def same():
            expected = ctl_versions(admin_port)
            held = [ctl_versions(d.admin) for d in dataplanes]
            return expected if expected and all(h == expected for h in held) else None
        return harness.wait_until(same, RESYNC_TIMEOUT, what, processes)

    def test_a_controlplane_killed_and_restarted_under_load(self):
        manifests = self.manifest_dir(self.world())
        controlplane = self.start_controlplane(manifests)
        dataplanes = self.start_dataplanes(controlplane, count=2, log_level="info")
        dataplane_processes = [d.process for d in dataplanes]
        before = self.wait_versions(dataplanes, controlplane.admin,
                                    "both data planes to run the control plane's versions",
                                    dataplane_processes)

        load = self.steady_load(dataplanes)
        load.wait_for_successes(AFTER_EVENT, 15, processes=dataplane_processes)
        load.mark("SIGKILL to the control plane")
        controlplane.process.kill()
        wait_config_source(dataplanes, "not connected", 15,
                           "both data planes to notice the control plane is gone",
                           dataplane_processes)
        load.mark("both data planes lost their stream")
        # The world changes while no control plane runs, so the restarted one has new versions.
        manifests.write("30-extra.yaml", self.extra_ingress())
        load.wait_for_successes(AFTER_EVENT, 15, processes=dataplane_processes)

        restarted = self.start_controlplane(manifests, xds=controlplane.xds,
                                            admin=controlplane.admin, health=controlplane.health)
        load.mark("control plane restarted")
        processes = dataplane_processes + [restarted.process]
        after = self.wait_versions(dataplanes, restarted.admin,
                                   "both data planes to resync to the restarted control plane",
                                   processes)
        load.mark("both data planes resynced")
        self.assertNotEqual(after[ROUTES], before[ROUTES],
                            "the restarted control plane should serve the changed folder")
        wait_config_source(dataplanes, restarted.xds_address, 15,
                           "both data planes to show the restarted control plane as config source",
                           processes)
        load.wait_for_successes(AFTER_EVENT, 15, processes=processes)
        load.stop()
        load.assert_no_failures()
        for dataplane in dataplanes:
            self.assertEqual(dataplane.routed_to("extra.example.test"), "api")

    def test_b_two_controlplanes_the_followed_one_killed_under_load(self):
        manifests = self.manifest_dir(self.world())
        first = self.start_controlplane(manifests)
        second = self.start_controlplane(manifests)
        by_address = {first.xds_address: first, second.xds_address: second}
        # Every replica produces the same versions for the same world.
        self.assertEqual(ctl_versions(first.admin), ctl_versions(second.admin))
        servers = "%s,%s" % (first.xds_address, second.xds_address)
        dataplanes = [harness.DataPlane(self.group, servers, "dataplane-%d" % (i + 1),
                                        log_level="info")
                      for i in range(2)]
        for dataplane in dataplanes:
            dataplane.wait_ready()
        dataplane_processes = [d.process for d in dataplanes]
        def followed():
            sources = [config_source(d) for d in dataplanes]
            return sources if all(s in by_address for s in sources) else None
        sources = harness.wait_until(followed, 15,
                                     "both data planes to name the control plane they follow",
                                     dataplane_processes)
        victim = by_address[sources[0]]
        survivor = second if victim is first else first

        load = self.steady_load(dataplanes)
        load.wait_for_successes(AFTER_EVENT, 15, processes=dataplane_processes)
        load.mark("SIGKILL to %s, followed by %s" % (victim.xds_address, dataplanes[0].node_id))
        victim.process.kill()
        processes = dataplane_processes + [survivor.process]
        # A subtest: when it fails, the rest (the load, the change afterwards) is still checked.
        with self.subTest("status names the surviving control plane before any change"):
            wait_config_source(dataplanes, survivor.xds_address, RESYNC_TIMEOUT,
                               "both data planes to follow the surviving control plane %s"
                               % survivor.xds_address, processes)
            load.mark("both data planes follow %s" % survivor.xds_address)
        self.wait_versions(dataplanes, survivor.admin,
                           "both data planes to run the survivor's versions", processes)
        load.wait_for_successes(AFTER_EVENT, 15, processes=processes)

        # A change made afterwards reaches them through the survivor.
        manifests.write("30-extra.yaml", self.extra_ingress())
        load.mark("30-extra.yaml written")
        harness.wait_until(
            lambda: all(d.routed_to("extra.example.test") == "api" for d in dataplanes), 15,
            "both data planes to route extra.example.test after the change", processes)
        self.wait_versions(dataplanes, survivor.admin,
                           "both data planes to run the survivor's versions", processes)
        wait_config_source(dataplanes, survivor.xds_address, 15,
                           "both data planes to name the survivor after the change", processes)
        load.wait_for_successes(AFTER_EVENT, 15, processes=processes)
        load.stop()
        load.assert_no_failures()

    def test_c_route_and_its_new_service_added_in_one_write_never_answer_503(self):
        manifests = self.manifest_dir(self.world())
        controlplane = self.start_controlplane(manifests)
        dataplanes = self.start_dataplanes(controlplane, count=2, log_level="info")
        processes = [controlplane.process] + [d.process for d in dataplanes]
        new = self.echo["new"]
        # Several rounds: each a new host with a new Service; the window to catch is short.
        for round_number in range(3):
            host = "new%d.example.test" % round_number
            service_name = "fresh%d" % round_number
            filename = "40-%s.yaml" % service_name
            with self.subTest(round=round_number, host=host):
                existing = [harness.LoadTarget(d.http, "app.example.test", "/", "app")
                            for d in dataplanes]
                fresh = [harness.LoadTarget(d.http, host, "/", None) for d in dataplanes]
                load = harness.SteadyLoad(existing + fresh, duration=30.0)
                self.addCleanup(load.stop)
                load.start()
                harness.wait_until(lambda: all(load.results(t) for t in fresh), 15,
                                   "the first answers for %s" % host, processes)
                load.wait_for_successes(3, 15, targets=existing, processes=processes)

                load.mark("wrote %s: Ingress, Service and EndpointSlice for %s" % (filename, host))
                manifests.write(filename, ingress(service_name, rules=[
                    rule(host, path("/", "Prefix", service_name))]),
                    *backed_service(service_name, new.host, new.port))
                harness.wait_until(
                    lambda: all(sum(1 for r in load.results(t) if r.ok() and r.server == "new")
                                >= 10 for t in fresh),
                    15, "10 answers from \"new\" for %s on both data planes" % host, processes)

                load.mark("removed %s" % filename)
                removed_at = time.monotonic()
                manifests.remove(filename)
                harness.wait_until(
                    lambda: all(sum(1 for r in load.results(t)
                                    if r.status == 404 and r.start > removed_at) >= 10
                                for t in fresh),
                    15, "%s to answer 404 again on both data planes" % host, processes)
                load.wait_for_successes(AFTER_EVENT, 15, targets=existing, processes=processes)
                load.stop()
                load.assert_no_failures(existing[0])
                load.assert_no_failures(existing[1])
                for target in fresh:
                    self.check_add_then_remove(load, target)

    def check_add_then_remove(self, load, target):
        """The new host answered 404, then only 200 from "new", then only 404: never 503 (a route
        before its cluster or endpoints, or a cluster removed before its route), never an error."""
        results = sorted(load.results(target), key=lambda r: r.start)
        label = ["new" if r.status == 200 and r.server == "new" else r.outcome()
                 for r in results]
        bad = [r for r, seen in zip(results, label) if seen not in ("404", "new")]
        # Phases, per connection (a data plane's workers switch microseconds apart, so the strict
        # order holds on one connection): 404 ... new ... 404.
        phase = {}
        for result, seen in zip(results, label):
            state = phase.get(result.connection, "before")
            if seen == "new":
                if state == "after":
                    bad.append(result)
                state = "during"
            elif seen == "404" and state == "during":
                state = "after"
            phase[result.connection] = state
        if bad:
            self.fail(load.report("%r: answers other than 404, then 200 from \"new\", then 404"
                                  % target, sorted(set(bad), key=lambda r: r.start)))

    def test_d_resources_the_data_plane_cannot_serve_are_left_out_alone(self):
        blue, green = self.echo["blue"], self.echo["green"]
        scripted = ScriptedControlPlane(self.group, self.dir)
        host = "nack.example.test"
        listeners = (LISTENER, "l1", [any_of("Listener", name="http", route_config_name="http")])
        v1 = [
            (CLUSTER, "c1", [cluster_resource("default/blue:80")]),
            (ENDPOINTS, "e1", [endpoints_resource("default/blue:80", blue)]),
            listeners,
            (ROUTES, "r1", [route_config(virtual_host("nack", [host],
                                                      route("PREFIX", "/", "default/blue:80")))]),
        ]
        scripted.serve(v1)
        dataplane = harness.DataPlane(self.group, scripted.xds_address, "dataplane-1",
                                      log_level="info")
        processes = [scripted.process, dataplane.process]
        for type_url, version, _ in v1:
            scripted.wait_for("ack", type_url, version, processes=processes)
        dataplane.wait_ready()
        wait_config_source([dataplane], scripted.xds_address, 15,
                           "the data plane to name scripted_controlplane as config source",
                           processes)
        self.assertEqual(dataplane.routed_to(host), "blue")

        target = harness.LoadTarget(dataplane.http, host, "/", "blue")
        load = harness.SteadyLoad([target], duration=30.0)
        self.addCleanup(load.stop)
        load.start()
        load.wait_for_successes(AFTER_EVENT, 15, processes=processes)

        # v2: one tenant's host whose regex does not compile and another host naming a domain
        # twice, next to an unchanged host and another tenant's new one; the other types are
        # unchanged.
        load.mark("serving r2 (two bad hosts)")
        scripted.serve(v1[:3] + [(ROUTES, "r2", [route_config(
            virtual_host("nack", [host], route("PREFIX", "/", "default/blue:80")),
            virtual_host("bad", ["bad.example.test"], route("REGEX", "/(", "default/blue:80")),
            virtual_host("new", ["new.example.test"], route("PREFIX", "/", "default/blue:80")),
            virtual_host("dup", ["new.example.test"], route("PREFIX", "/", "default/blue:80")),
        )])])
        sent = harness.wait_until(
            lambda: [e for e in scripted.entries() if e["kind"] == "sent"
                     and e["type_url"] == ROUTES and e["version_info"] == "r2"],
            RESYNC_TIMEOUT, "scripted_controlplane to send r2", processes)[0]
        nack = scripted.wait_for("nack", ROUTES, "r2", processes=processes)
        load.mark("NACK received")
        # The NACK answers r2's response, says the data plane runs r2, and names both hosts left
        # out and why.
        self.assertEqual(nack["nonce"], sent["nonce"], nack)
        self.assertIn("applied in part, without 2 resources", nack["error_message"], nack)
        self.assertIn("(bad).routes[0]: path regex \"/(\" does not compile", nack["error_message"],
                      nack)
        self.assertIn("(dup): domain \"new.example.test\" appears twice", nack["error_message"],
                      nack)
        self.assertNotEqual(nack["error_code"], 0, nack)
        # Everything else in r2 is served: the new host, and the unchanged one without a pause.
        self.assertEqual(dataplane.routed_to("new.example.test"), "blue")
        self.assertEqual(dataplane.get("bad.example.test").status, 404)

        status = ctl_status(dataplane.admin)
        self.assertIn("r2", status.get("last error", ""), status)
        self.assertIn("/(", status.get("last error", ""), status)
        self.assertEqual(ctl_versions(dataplane.admin)[ROUTES], "r2")
        load.wait_for_successes(AFTER_EVENT, 15, processes=processes)

        # Reconnecting, the data plane says it runs r2, so r2 is not sent again.
        load.mark("SIGKILL to scripted_controlplane")
        scripted.process.kill()
        scripted = ScriptedControlPlane(self.group, self.dir, port=scripted.port,
                                        log_name="scripted-requests-2.jsonl")
        load.mark("scripted_controlplane restarted, still serving r2")
        processes = [scripted.process, dataplane.process]
        scripted.wait_for("subscribe", ROUTES, "r2", processes=processes)
        load.wait_for_successes(AFTER_EVENT, 15, processes=processes)
        load.stop()
        load.assert_no_failures()

        # v3: valid again, with a new cluster; traffic moves to it.
        v3 = [
            (CLUSTER, "c3", [cluster_resource("default/blue:80"),
                             cluster_resource("default/green:80")]),
            (ENDPOINTS, "e3", [endpoints_resource("default/blue:80", blue),
                               endpoints_resource("default/green:80", green)]),
            listeners,
            (ROUTES, "r3", [route_config(virtual_host("nack", [host],
                                                      route("PREFIX", "/", "default/green:80")))]),
        ]
        scripted.serve(v3)
        for type_url, version, _ in v3:
            if type_url != LISTENER:  # unchanged: the data plane runs l1, so it is not resent
                scripted.wait_for("ack", type_url, version, processes=processes)
        harness.wait_until(lambda: dataplane.routed_to(host) == "green", 15,
                           "%s to be routed to green after r3" % host, processes)
        self.assertEqual(ctl_versions(dataplane.admin),
                         {CLUSTER: "c3", ENDPOINTS: "e3", LISTENER: "l1", ROUTES: "r3"})
        # r2 was not sent again on the new stream, so nothing was refused there.
        nacks = [e for e in scripted.entries() if e["kind"] == "nack"]
        self.assertEqual(nacks, [])


if __name__ == "__main__":
    unittest.main()
