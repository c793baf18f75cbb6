"""The same first boot with Debian's Ignition 2.14 dracut module and with ignite: both
must provision the same files, user and unit; each boot's times (boot_times) go to
artifacts/e2e/compare*-ignition.json (docs/boot.md compares them). Skipped when the
oracle is not unpacked."""
from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import images
import pytest
import qemu_guest
from images import mounted_read_only
from test_boot import SSH_KEY, UNIT, assert_passed, write_config

pytestmark = pytest.mark.e2e

ORACLE_MODULE = qemu_guest.REPO / ".cache/ignition/usr/lib/dracut/modules.d/30ignition/ignition"
CONFIG = {
    "ignition": {"version": "3.3.0"},
    "storage": {"files": [
        {"path": "/etc/hostname", "mode": 0o644, "contents": {"source": "data:,compared%0A"}},
        {"path": "/etc/app/compare.e2e", "mode": 0o640, "contents": {"source": "data:,same%20result%0A"}}]},
    "passwd": {"users": [{"name": "core", "sshAuthorizedKeys": [SSH_KEY]}]},
    "systemd": {"units": [{"name": "e2e-hello.service", "enabled": True, "contents": UNIT}]},
}
CMDLINE = "ignition.firstboot ignition.platform.id=qemu root=LABEL=root ro"


@pytest.fixture(scope="module")
def ignition_images(e2e_images) -> qemu_guest.Images:
    if not ORACLE_MODULE.exists():
        pytest.skip("Debian's ignition is not unpacked (make oracle)")
    done = subprocess.run([str(qemu_guest.REPO / "tools/e2e/build-ignition.sh")], capture_output=True,
                          text=True, timeout=600)
    if done.returncode != 0:
        raise RuntimeError(f"build-ignition.sh failed: {done.stderr[-3000:]}")
    kernel, initrd = done.stdout.split()[-2:]
    return qemu_guest.Images(Path(kernel), Path(initrd))


def boot_times(boot: qemu_guest.Boot) -> dict[str, float]:
    """Wall time (QEMU start to exit); `provisioned`: the kernel's timestamp when systemd
    starts the e2e report unit (every stage done, the initramfs about to switch root), the
    same point in both boots and the figure the comparison uses; the guest's uptime when
    the report prints its timings and the report's own timing of Python in the guest
    (ignite boots only, about 1 s under TCG): the report costs ignite's boots more (more
    units to show, the Python timing), so the wall time overstates ignite's share; the
    wall time without the Python timing; then each unit's seconds."""
    started = re.search(r"\[ *([\d.]+)\] \S+ systemd\[1\]: Starting ignite-e2e-pass\.service", boot.console)
    uptime = re.search(r"IGNITE-E2E-UPTIME ([\d.]+)", boot.console)
    assert started and uptime, boot.describe()
    python = sum(int(ms) for ms in re.findall(r"(?:bare-interpreter|ignite-version)-ms=(\d+)", boot.console)) / 1000
    return {"wall": round(boot.seconds, 2), "provisioned": float(started.group(1)),
            "report_uptime": float(uptime.group(1)), "report_python": python,
            "wall_without_report_python": round(boot.seconds - python, 2), **boot.unit_times()}


def provisioned(loopdevs, disk: Path, workdir: Path) -> dict[str, object]:
    with mounted_read_only(loopdevs, disk, workdir) as mnt:
        root = mnt[1]
        home = next(line.split(":")[5] for line in (root / "etc/passwd").read_text().splitlines()
                    if line.startswith("core:"))
        app = root / "etc/app/compare.e2e"
        return {
            "hostname": (root / "etc/hostname").read_text(),
            "app": (app.read_text(), oct(app.stat().st_mode & 0o7777)),
            "key": (root / home.lstrip("/") / ".ssh/authorized_keys.d/ignition").read_text().strip(),
            "preset": (root / "etc/systemd/system-preset/20-ignition.preset").read_text(),
            "unit": (root / "etc/systemd/system/e2e-hello.service").read_text(),
        }


def test_same_first_boot_as_debian_ignition(e2e_images, ignition_images, loopdevs, workdir):
    results, times = {}, {}
    for name, imgs in (("ignition", ignition_images), ("ignite", e2e_images)):
        work = workdir / name
        work.mkdir()
        disk = work / "disk.img"
        images.os_disk(disk, work, selinux_config=True)
        config = write_config(work / "config.ign", CONFIG)
        boot = qemu_guest.boot(imgs, qemu_guest.Guest(f"compare-{name}", disks=[disk], fw_cfg_config=config,
                                                      cmdline=CMDLINE))
        assert_passed(boot)
        times[name] = boot_times(boot)
        results[name] = provisioned(loopdevs, disk, work)
    assert results["ignite"] == results["ignition"]
    assert results["ignite"]["key"] == SSH_KEY
    (qemu_guest.ARTIFACTS / "compare-ignition.json").write_text(json.dumps(times, indent=1) + "\n")


def test_same_network_first_boot_as_debian_ignition_with_dracut_network(e2e_images, loopdevs, workdir):
    """The config over http (ip=dhcp, a config server on the host through guestfwd): Debian's
    Ignition 2.14 module with its dracut network (Debian's dracut-network: systemd-networkd,
    enabled for every boot) against ignite, which brings the network up only because the
    config URL needs it. Same results on disk; wall and unit times go to artifacts/e2e/."""
    import sys as _sys

    _sys.path.insert(0, str(Path(__file__).parent))
    from servers import http_server

    if not ORACLE_MODULE.exists():
        pytest.skip("Debian's ignition is not unpacked (make oracle)")
    done = subprocess.run([str(qemu_guest.REPO / "tools/e2e/build-ignition.sh")], capture_output=True, text=True,
                          timeout=600, env={**__import__("os").environ, "IGNITE_E2E_IGNITION_NETWORK": "1"})
    if done.returncode != 0:
        raise RuntimeError(f"build-ignition.sh failed: {done.stderr[-3000:]}")
    kernel, initrd = done.stdout.split()[-2:]
    ignition_net = qemu_guest.Images(Path(kernel), Path(initrd))
    results, times = {}, {}
    for name, imgs in (("ignition", ignition_net), ("ignite", e2e_images)):
        work = workdir / name
        work.mkdir()
        disk = work / "disk.img"
        images.os_disk(disk, work, selinux_config=True)
        with http_server() as server:
            server.serve("/config.ign", json.dumps(CONFIG).encode())
            boot = qemu_guest.boot(imgs, qemu_guest.Guest(
                f"compare-net-{name}", disks=[disk],
                nics=[qemu_guest.Nic(forwards=(qemu_guest.Forward("10.0.2.100", 80, server.port),))],
                cmdline="ignition.firstboot ignition.platform.id=metal root=LABEL=root ro ip=dhcp "
                        "ignition.config.url=http://10.0.2.100/config.ign"))
        assert_passed(boot)
        times[name] = boot_times(boot)
        results[name] = provisioned(loopdevs, disk, work)
    assert results["ignite"] == results["ignition"]
    (qemu_guest.ARTIFACTS / "compare-net-ignition.json").write_text(json.dumps(times, indent=1) + "\n")
