"""gatehousectl migrate-check and gatehousectl ingresses: the migration report, offline on a
folder of 40 realistic Ingresses written for ingress-nginx (tests/data/migrate, modelled on
ingress-nginx's documentation examples and e2e tests, ingress2gateway's test data and public
migration guides) and live from a control plane serving the same folder.

The expected report is checked in: tests/data/migrate/expected-report.txt. After a deliberate
change to what Gatehouse does with an annotation, make it again with
    build/dev/bin/gatehousectl migrate-check tests/data/migrate > tests/data/migrate/expected-report.txt
and review the difference.
"""

import os
import subprocess
import unittest

import harness

DATA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "data", "migrate")


def migrate_check(*args, input=None):
    return subprocess.run([harness.gatehousectl_binary(), "migrate-check", *args],
                          capture_output=True, text=True, input=input, timeout=60)


def block(report, name):
    """The lines of one Ingress's report."""
    lines = report.splitlines()
    start = lines.index(next(line for line in lines if line.startswith(name + ": ")))
    end = start + 1
    while end < len(lines) and lines[end].startswith("  "):
        end += 1
    return lines[start:end]


class MigrateCheckTest(harness.GatehouseTestCase):

    def test_the_folder_gives_the_checked_in_report_and_exit_1(self):
        result = migrate_check(DATA)
        with open(os.path.join(DATA, "expected-report.txt")) as f:
            expected = f.read()
        self.assertEqual(result.stderr, "")
        self.assertEqual(result.stdout, expected)
        self.assertEqual(result.returncode, 1)
        self.assertIn("summary: 40 Ingresses", result.stdout)

    def test_a_kubectl_dump_on_stdin_is_read(self):
        with open(os.path.join(DATA, "kubectl-dump.yaml")) as f:
            result = migrate_check("-", input=f.read())
        self.assertEqual(result.stderr, "")
        self.assertIn("summary: 5 Ingresses, 5 accepted", result.stdout)
        # The canary on the regex path splits its primary; its copied annotations are not
        # needed, as the primary's apply.
        self.assertIn("canary-weight ", result.stdout)
        self.assertNotIn("no Ingress serves", result.stdout)

    def test_ingresses_that_all_apply_exit_0(self):
        result = migrate_check(os.path.join(DATA, "plain.yaml"))
        self.assertEqual(result.returncode, 0, result.stdout)
        self.assertIn("every annotation is applied", result.stdout)

    def test_the_class_filter_leaves_out_other_classes(self):
        result = migrate_check("--ingress-class=other", DATA)
        self.assertEqual(result.returncode, 0, result.stdout)
        self.assertIn("summary: 0 Ingresses", result.stdout)
        result = migrate_check("--ingress-class=nginx", DATA)
        self.assertIn("summary: 40 Ingresses", result.stdout)

    def test_unreadable_input_exits_2_and_a_bad_object_is_skipped_alone(self):
        result = migrate_check(os.path.join(self.dir, "missing"))
        self.assertEqual(result.returncode, 2)
        self.assertIn("missing: no such file or folder", result.stderr)
        path = os.path.join(self.dir, "mixed.yaml")
        with open(path, "w") as f:
            f.write("apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: {name: broken}\n"
                    "spec: {rules: 7}\n---\n")
            with open(os.path.join(DATA, "plain.yaml")) as plain:
                f.write(plain.read())
        result = migrate_check(path)
        self.assertIn("mixed.yaml (Ingress default/broken):", result.stderr)
        self.assertIn("summary: 3 Ingresses", result.stdout)

    def test_a_control_plane_shows_the_same_report_live(self):
        manifests = harness.ManifestDir(os.path.join(self.dir, "manifests"))
        for name in sorted(os.listdir(DATA)):
            if name.endswith(".yaml") and name != "kubectl-dump.yaml":
                with open(os.path.join(DATA, name)) as f:
                    manifests.write_text(name, f.read())
        controlplane = harness.ControlPlane(self.group, manifests.path,
                                            extra_args=["--ingress-class=nginx"])
        controlplane.wait_ready()
        server = "--server=127.0.0.1:%d" % controlplane.admin
        listing = harness.gatehousectl(server, "ingresses")
        self.assertEqual(listing.returncode, 0, listing.stderr)
        # (No Services are in the folder: live, the backends are missing, unlike offline.)
        self.assertRegex(listing.stdout, r"public-api/public-api-cors-limit-rps +\S+ +10 +0\n")
        self.assertRegex(listing.stdout, r"frontend/frontend-security-headers-configuration-"
                         r"snippet +partly_accepted +1 +1\n")
        shown = harness.gatehousectl(server, "ingresses", "public-api-cors-limit-rps")
        self.assertEqual(shown.returncode, 0, shown.stderr)
        with open(os.path.join(DATA, "expected-report.txt")) as f:
            offline = block(f.read(), "public-api/public-api-cors-limit-rps")
        live = block(shown.stdout, "public-api/public-api-cors-limit-rps")
        table = [line for line in offline if line.startswith("  ") and not line.startswith("  -")]
        self.assertEqual(len(table), 11)  # the header and 10 annotations
        self.assertEqual([line for line in live if line in table], table)
        missing = harness.gatehousectl(server, "ingresses", "nowhere")
        self.assertEqual(missing.returncode, 1)
        self.assertIn('no Ingress "nowhere"', missing.stderr)


if __name__ == "__main__":
    unittest.main()
