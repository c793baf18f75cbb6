"""The first boots compared with Debian's Ignition 2.14 dracut module: the same config and
kernel, one boot with each initramfs. Used by test_compare_ignition.py (one pair of each,
same results on disk) and bench/boot_bench.py (interleaved pairs, wall-time ratios)."""
from __future__ import annotations

import json
import os
import re
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import images
import qemu_guest
from servers import http_server
from test_boot import SSH_KEY, UNIT, write_config

ORACLE_MODULE = qemu_guest.REPO / ".cache/ignition/usr/lib/dracut/modules.d/30ignition/ignition"
CONFIG = {
    "ignition": {"version": "3.3.0"},
    "storage": {"files": [
        {"path": "/etc/hostname", "mode": 0o644, "contents": {"source": "data:,compared%0A"}},
        {"path": "/etc/app/compare.e2e", "mode": 0o640, "contents": {"source": "data:,same%20result%0A"}}]},
    "passwd": {"users": [{"name": "core", "sshAuthorizedKeys": [SSH_KEY]}]},
    "systemd": {"units": [{"name": "e2e-hello.service", "enabled": True, "contents": UNIT}]},
}
# ignite.e2e.python=0: the e2e report unit does not time Python in the guest (it would in
# ignite's boots only, about 0.5 s under TCG, after the provisioning but inside the wall time).
CMDLINE = "ignition.firstboot ignition.platform.id=qemu root=LABEL=root ro ignite.e2e.python=0"
CONFIG_ADDRESS = "10.0.2.100"
NET_CMDLINE = ("ignition.firstboot ignition.platform.id=metal root=LABEL=root ro ip=dhcp "
               f"ignition.config.url=http://{CONFIG_ADDRESS}/config.ign ignite.e2e.python=0")
KINDS = ("offline", "network")


def oracle_available() -> bool:
    return ORACLE_MODULE.exists()


def ignition_images(network: bool, stack: str = "networkd") -> qemu_guest.Images:
    """Debian's Ignition module in the same kernel's initramfs; with `network`, Debian's
    dracut network as well: systemd-networkd (enabled for every boot), or with
    stack="legacy" dracut's network-legacy (dhclient, initqueue hooks)."""
    env = {**os.environ, **({"IGNITE_E2E_IGNITION_NETWORK": "legacy" if stack == "legacy" else "1"} if network else {})}
    done = subprocess.run([str(qemu_guest.REPO / "tools/e2e/build-ignition.sh")], capture_output=True, text=True,
                          timeout=600, env=env)
    if done.returncode != 0:
        raise RuntimeError(f"build-ignition.sh failed: {done.stderr[-3000:]}")
    kernel, initrd = done.stdout.split()[-2:]
    return qemu_guest.Images(Path(kernel), Path(initrd))


@contextmanager
def _config_server(kind: str) -> Iterator[list[qemu_guest.Nic]]:
    if kind == "offline":
        yield []
        return
    with http_server() as server:
        server.serve("/config.ign", json.dumps(CONFIG).encode())
        yield [qemu_guest.Nic(forwards=(qemu_guest.Forward(CONFIG_ADDRESS, 80, server.port),))]


def boot(kind: str, name: str, imgs: qemu_guest.Images, work: Path) -> qemu_guest.Boot:
    """One first boot of `kind` (offline: the config on fw_cfg; network: over http, ip=dhcp)
    on a fresh disk in `work`."""
    work.mkdir(parents=True, exist_ok=True)
    disk = work / "disk.img"
    images.os_disk(disk, work, selinux_config=True)
    with _config_server(kind) as nics:
        if kind == "offline":
            guest = qemu_guest.Guest(name, disks=[disk], fw_cfg_config=write_config(work / "config.ign", CONFIG),
                                     cmdline=CMDLINE)
        else:
            guest = qemu_guest.Guest(name, disks=[disk], nics=nics, cmdline=NET_CMDLINE)
        return qemu_guest.boot(imgs, guest)


def boot_times(boot: qemu_guest.Boot) -> dict[str, float]:
    """Wall time (QEMU start to exit); `provisioned`: the kernel's timestamp when systemd
    starts the e2e report unit (every stage done, the initramfs about to switch root), the
    same point in both boots; the guest's uptime when the report prints its timings; then
    each unit's seconds."""
    started = re.search(r"\[ *([\d.]+)\] \S+ systemd\[1\]: Starting ignite-e2e-pass\.service", boot.console)
    uptime = re.search(r"IGNITE-E2E-UPTIME ([\d.]+)", boot.console)
    assert started and uptime, boot.describe()
    return {"wall": round(boot.seconds, 2), "provisioned": float(started.group(1)),
            "report_uptime": float(uptime.group(1)), **boot.unit_times()}
