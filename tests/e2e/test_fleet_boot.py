"""Fleet boots over the network: a per-machine config URL (`${mac}`), the report pushed to a
host server (`ignite.report.url=`) when a first boot succeeds and when it fails, and a
Butane config fetched by URL. Servers on the host's 127.0.0.1, reached through guestfwd."""
from __future__ import annotations

import json
from pathlib import Path

import images
import pytest
import qemu_guest
from images import mounted_read_only
from servers import Reply, http_server
from test_boot import assert_passed
from test_network import CONFIG_HOST, FIRST_BOOT_METAL, assert_failed_cleanly, config_with_file, nic, paragraph

pytestmark = pytest.mark.e2e

REPO = Path(__file__).resolve().parents[2]
MAC = "52:54:00:f1:ee:01"
MAC_IN_URL = "52%3A54%3A00%3Af1%3Aee%3A01"  # ${mac}, URL-encoded


def schema_validator():  # noqa: ANN201 - jsonschema's type, a test-only dependency
    from jsonschema import Draft202012Validator

    return Draft202012Validator(json.loads((REPO / "schemas/report-1.json").read_text()))


def test_per_machine_config_and_the_report_pushed_on_success(guest_boot, loopdevs, workdir):
    data = b"served for this machine only\n"
    disk = workdir / "disk.img"
    images.os_disk(disk, workdir)
    with http_server() as server:
        server.serve(f"/machines/{MAC_IN_URL}.ign", json.dumps(config_with_file("/etc/mine.e2e", data)).encode())
        server.route(f"/report/{MAC_IN_URL}", Reply(204))
        boot = guest_boot(disks=[disk], nics=[nic(qemu_guest.Forward(CONFIG_HOST, 80, server.port), mac=MAC)],
                          cmdline=f"{FIRST_BOOT_METAL} ignition.config.url=http://{CONFIG_HOST}/machines/${{mac}}.ign "
                                  f"ignite.report.url=http://{CONFIG_HOST}/report/${{mac}}")
        pushes = server.hits(f"/report/{MAC_IN_URL}")
    assert_passed(boot)
    assert len(pushes) == 1 and pushes[0].method == "POST", [(r.method, r.path) for r in server.requests]
    report = json.loads(pushes[0].body)
    schema_validator().validate(report)
    assert report["result"] == "success" and report["failure"] is None
    assert report["platform"] == "metal"
    assert [s["name"] for s in report["stages"]][:2] == ["fetch-offline", "fetch"]
    assert [s["status"] for s in report["stages"]] == ["success"] * len(report["stages"])
    assert report["config"]["sources"][0]["kind"] == "user"
    actions = [(a["stage"], a["action"], a["target"]) for a in report["actions"]]
    assert ("files", "write file", "/etc/mine.e2e") in actions
    with mounted_read_only(loopdevs, disk, workdir) as mnt:
        root = mnt[1]
        assert (root / "etc/mine.e2e").read_bytes() == data
        assert json.loads((root / "etc/ignite/report.json").read_text())["actions"] == report["actions"]


def test_the_report_pushed_by_the_failure_unit(guest_boot, workdir):
    config = {"ignition": {"version": "3.4.0"}, "storage": {"files": [
        {"path": "/etc/missing.e2e", "contents": {"source": f"http://{CONFIG_HOST}/nothing-here"}}]}}
    disk = workdir / "disk.img"
    images.os_disk(disk, workdir)
    with http_server() as server:
        server.serve("/config.ign", json.dumps(config).encode())
        server.route("/report", Reply(200))
        boot = guest_boot(disks=[disk], nics=[nic(qemu_guest.Forward(CONFIG_HOST, 80, server.port))],
                          cmdline=f"{FIRST_BOOT_METAL} ignition.config.url=http://{CONFIG_HOST}/config.ign "
                                  f"ignite.report.url=http://{CONFIG_HOST}/report")
        pushes = server.hits("/report")
    assert_failed_cleanly(boot)
    assert "stage files" in paragraph(boot)
    assert len(pushes) == 1, [(r.method, r.path) for r in server.requests]
    report = json.loads(pushes[0].body)
    schema_validator().validate(report)
    assert report["result"] == "failure"
    assert report["failure"]["stage"] == "files" and report["failure"]["kind"] == "fetch-notfound"
    assert f"http://{CONFIG_HOST}/nothing-here" in report["failure"]["message"]


def test_a_butane_config_fetched_by_url(guest_boot, loopdevs, workdir):
    butane = ("variant: fcos\nversion: 1.5.0\nstorage:\n  files:\n    - path: /etc/from-butane.e2e\n"
              "      mode: 0644\n      contents:\n        inline: |\n          fetched as Butane\n")
    disk = workdir / "disk.img"
    images.os_disk(disk, workdir)
    with http_server() as server:
        server.serve("/config.bu", butane.encode())
        boot = guest_boot(disks=[disk], nics=[nic(qemu_guest.Forward(CONFIG_HOST, 80, server.port))],
                          cmdline=f"{FIRST_BOOT_METAL} ignition.config.url=http://{CONFIG_HOST}/config.bu")
    assert_passed(boot)
    with mounted_read_only(loopdevs, disk, workdir) as mnt:
        path = mnt[1] / "etc/from-butane.e2e"
        assert path.read_text() == "fetched as Butane\n"
        assert path.stat().st_mode & 0o7777 == 0o644
