"""auth-type basic through real processes, with password files made by Debian's htpasswd
(apache2-utils) in every format it writes. Reference: ingress-nginx's annotations
documentation ("Authentication": auth-type basic, auth-secret holding htpasswd output under the
key "auth", auth-secret-type auth-file or auth-map, auth-realm) and its e2e test
annotations/auth.go (401 without or with wrong credentials, 200 with the right ones, 503 when
the Secret cannot be read). RFC 7617 for the wire: Authorization: Basic base64(user:password),
and 401 with WWW-Authenticate: Basic realm="...".
"""

import base64
import concurrent.futures
import subprocess
import time
import unittest

import harness
from manifests import backed_service, ingress_class, nginx_site as site, secret

PASSWORD = "correct horse"
# htpasswd's formats: the flag, and whether Gatehouse accepts the hash it makes.
FORMATS = {
    "md5": ("-m", True),      # $apr1$, htpasswd's default
    "bcrypt": ("-B", True),
    "sha1": ("-s", True),     # {SHA}
    "sha256": ("-2", True),   # $5$
    "sha512": ("-5", True),   # $6$
    "crypt": ("-d", False),   # DES: 8 characters of a password count
    "plain": ("-p", False),
}


def htpasswd_line(user, password, *flags):
    result = subprocess.run(["htpasswd", "-nb", *flags, user, password], check=True,
                            capture_output=True, text=True, timeout=60)
    return result.stdout.strip()


def basic(user, password):
    return ("Authorization",
            "Basic " + base64.b64encode(("%s:%s" % (user, password)).encode()).decode())


class BasicAuthTest(harness.GatehouseTestCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        lines = [htpasswd_line(name, PASSWORD, flag) for name, (flag, _) in FORMATS.items()]
        # A bcrypt cost above 12 would make every wrong password that costly: refused.
        lines.append(htpasswd_line("costly", PASSWORD, "-B", "-C", "13"))
        # Cost 12, the most allowed (a quarter of a second a check): for the stall test.
        lines.append(htpasswd_line("slow", PASSWORD, "-B", "-C", "12"))
        auth_file = "\n".join(lines) + "\n"
        cls.map_hash = htpasswd_line("mapped", "map pass", "-B").split(":", 1)[1]

        cls.map_secret = secret("staff-map", {"mapped": cls.map_hash})

        def world(echo):
            return [
                ingress_class(),
                *backed_service("echo", echo.host, echo.port),
                secret("staff", {"auth": auth_file}),
                cls.map_secret,
                site("file", **{"auth-type": "basic", "auth-secret": "staff",
                                "auth-realm": "Staff only"}),
                site("map", **{"auth-type": "basic", "auth-secret": "staff-map",
                               "auth-secret-type": "auth-map"}),
                site("digest", **{"auth-type": "digest", "auth-secret": "staff"}),
                site("missing", **{"auth-type": "basic", "auth-secret": "nosuch"}),
                site("open"),
            ]
        cls.world = staticmethod(world)
        cls.start_echo_world(world, workers=1)

    def get(self, host, headers=()):
        return self.dataplane.get(host, "/private", headers=list(headers))

    def test_each_format_htpasswd_makes_is_checked(self):
        for name, (_, accepted) in FORMATS.items():
            with self.subTest(format=name):
                right = self.get("file.test", [basic(name, PASSWORD)])
                if accepted:
                    self.assertEqual(right.status, 200, right)
                    self.assertEqual(right.echo_server(), "echo")
                    # The credentials go upstream with the request, as nginx passes them.
                    sent = dict((k.lower(), v) for k, v in right.json()["headers"])
                    self.assertEqual(sent["authorization"], basic(name, PASSWORD)[1])
                else:
                    self.assertEqual(right.status, 401, right)
                wrong = self.get("file.test", [basic(name, PASSWORD + "!")])
                self.assertEqual(wrong.status, 401, wrong)
                self.assertEqual(wrong.header("WWW-Authenticate"), 'Basic realm="Staff only"')
        self.assertEqual(self.get("file.test", [basic("costly", PASSWORD)]).status, 401)

    def test_requests_without_the_right_user_are_challenged(self):
        cases = [
            [],
            [basic("nobody", PASSWORD)],
            [("Authorization", "Bearer abc")],
            [("Authorization", "Basic not base64!")],
            [("Authorization", "Basic " + base64.b64encode(b"md5").decode())],  # no colon
        ]
        for headers in cases:
            with self.subTest(headers=headers):
                response = self.get("file.test", headers)
                self.assertEqual(response.status, 401, response)
                self.assertIsNone(response.echo_server())
                self.assertEqual(response.header("WWW-Authenticate"), 'Basic realm="Staff only"')
        # The scheme is case-insensitive (RFC 7617, RFC 9110 section 11.1).
        name, value = basic("md5", PASSWORD)
        self.assertEqual(self.get("file.test", [(name, "bAsIc" + value[5:])]).status, 200)

    def test_an_auth_map_is_one_hash_per_user(self):
        response = self.get("map.test", [basic("mapped", "map pass")])
        self.assertEqual(response.status, 200, response)
        self.assertEqual(self.get("map.test", [basic("mapped", "wrong")]).status, 401)
        # An empty realm, as ingress-nginx's default.
        self.assertEqual(self.get("map.test").header("WWW-Authenticate"), 'Basic realm=""')

    def test_credentials_that_cannot_be_read_answer_503(self):
        for host in ("digest.test", "missing.test"):
            with self.subTest(host=host):
                response = self.get(host, [basic("md5", PASSWORD)])
                self.assertEqual(response.status, 503, response)
                self.assertIsNone(response.echo_server())
        self.assertEqual(self.get("open.test").status, 200)

    def test_password_checks_never_stall_other_requests(self):
        """Wrong passwords for a bcrypt-12 user cost about a quarter of a second each. Checked
        off the event loop, no turn of the (single) worker's loop takes anywhere near that: the
        worker's busy-time histogram, which records how long each turn kept the loop busy, gains
        no turn over 0.1 s, and a request to another host is answered meanwhile."""
        def turns_over_100ms():
            labels = {"worker": "0"}
            total = harness.metric(self.dataplane.health,
                                   "gatehouse_dataplane_worker_busy_seconds_count", **labels)
            quick = harness.metric(self.dataplane.health,
                                   "gatehouse_dataplane_worker_busy_seconds_bucket", le="0.1",
                                   **labels)
            return total - quick

        def requests_seen():
            return harness.metric(self.dataplane.health, "gatehouse_dataplane_requests_total")

        def wrong(i):
            return self.get("file.test", [basic("slow", "wrong %d" % i)]).status

        slow_turns = turns_over_100ms()
        before = requests_seen()
        with concurrent.futures.ThreadPoolExecutor(max_workers=8) as pool:
            checks = [pool.submit(wrong, i) for i in range(8)]
            harness.wait_until(lambda: requests_seen() >= before + 8, 10,
                               "the eight requests to reach the data plane")
            open_response = self.get("open.test")
            statuses = [check.result() for check in checks]
        self.assertEqual(open_response.status, 200)
        self.assertEqual(statuses, [401] * 8)
        self.assertEqual(turns_over_100ms(), slow_turns)

    def test_a_changed_secret_takes_the_new_password_and_drops_the_old(self):
        self.assertEqual(self.get("map.test", [basic("mapped", "map pass")]).status, 200)
        new_hash = htpasswd_line("mapped", "new pass", "-m").split(":", 1)[1]
        manifests = harness.ManifestDir(self.class_dir + "/manifests")
        kept = self.map_secret
        try:
            type(self).map_secret = secret("staff-map", {"mapped": new_hash})
            manifests.write("world.yaml", *self.world(self.echo))
            harness.wait_until(
                lambda: self.get("map.test", [basic("mapped", "new pass")]).status == 200, 10,
                "the new password to be accepted")
            # The old password was found right a moment ago; that is not remembered for the
            # new hash.
            self.assertEqual(self.get("map.test", [basic("mapped", "map pass")]).status, 401)
        finally:
            type(self).map_secret = kept
            manifests.write("world.yaml", *self.world(self.echo))
            harness.wait_until(
                lambda: self.get("map.test", [basic("mapped", "map pass")]).status == 200, 10,
                "the old password to be accepted again")


if __name__ == "__main__":
    unittest.main()
