"""The access log (--access-log): one JSON line per request, with what was asked, what was
answered and by whom; strings a client chose are escaped so every line stays valid JSON. Without
the flag there is none (a path that cannot be opened is a bad flag: test_processes).
"""

import json
import os
import time
import unittest

import harness
from manifests import echo_world


class AccessLogTest(harness.GatehouseTestCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        with cls.class_logs_on_error():
            cls.echo = harness.EchoServer(cls.class_group, "echo")

    def start(self, *extra_args):
        manifests = self.manifest_dir({"world.yaml": echo_world(self.echo)})
        controlplane = self.start_controlplane(manifests)
        dataplane = harness.DataPlane(self.group, controlplane.xds_address, "logged", workers=2,
                                      extra_args=list(extra_args))
        dataplane.wait_ready()
        return dataplane

    def lines(self, path, count):
        def enough():
            if not os.path.exists(path):
                return False
            with open(path) as f:
                return len(f.read().splitlines()) >= count
        harness.wait_until(enough, 5, "%d access log lines" % count)
        with open(path) as f:
            return [json.loads(line) for line in f.read().splitlines()]

    def test_one_json_line_per_request(self):
        log_path = os.path.join(self.dir, "access.log")
        dataplane = self.start("--access-log=" + log_path)
        ok = dataplane.get("echo.test", "/hello?x=1", headers=[
            ("User-Agent", 'odd "agent"\t/1'), ("X-Request-Id", "req-42")])
        self.assertEqual(ok.status, 200)
        posted = harness.curl(dataplane.url("/upload"), host="echo.test", method="POST",
                              data=b"x" * 1000)
        self.assertEqual(posted.status, 200)
        self.assertEqual(dataplane.get("nowhere.test", "/missing").status, 404)

        lines = self.lines(log_path, 3)
        self.assertEqual(len(lines), 3, lines)
        by_target = {line["target"]: line for line in lines}
        first = by_target["/hello?x=1"]
        self.assertEqual(first["method"], "GET")
        self.assertEqual(first["host"], "echo.test")
        self.assertEqual(first["status"], 200)
        self.assertEqual(first["protocol"], "HTTP/1.1")
        self.assertEqual(first["client"], "127.0.0.1")
        self.assertEqual(first["user_agent"], 'odd "agent"\t/1')
        self.assertEqual(first["request_id"], "req-42")
        self.assertEqual(first["upstream"], "%s:%d" % (self.echo.host, self.echo.port))
        self.assertEqual(first["route"], "default/echo")
        self.assertEqual(first["response_body_bytes"], len(ok.body))
        self.assertGreater(first["duration_ms"], 0)
        self.assertRegex(first["time"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
        self.assertIn(first["worker"], (0, 1))

        upload = by_target["/upload"]
        self.assertEqual((upload["method"], upload["request_body_bytes"]), ("POST", 1000))
        self.assertRegex(upload["request_id"], r"^[0-9a-f-]{36}$")  # the one generated

        missing = by_target["/missing"]
        self.assertEqual((missing["status"], missing["upstream"], missing["route"]),
                         (404, "", ""))

    def test_no_access_log_by_default(self):
        dataplane = self.start()
        self.assertEqual(dataplane.get("echo.test", "/quiet").status, 200)
        time.sleep(0.3)
        self.assertNotIn('"target":', dataplane.process.log())

if __name__ == "__main__":
    unittest.main()
