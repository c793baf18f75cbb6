"""The same first boot with Debian's Ignition 2.14 dracut module and with ignite (compare.py):
both must provision the same files, user and unit. Each boot's times go to
artifacts/e2e/compare*-ignition.json; the speed comparison itself, in interleaved pairs, is
bench/boot_bench.py (docs/boot.md). Skipped when the oracle is not unpacked."""
from __future__ import annotations

import json
from pathlib import Path

import compare
import pytest
import qemu_guest
from images import mounted_read_only
from test_boot import SSH_KEY, assert_passed

pytestmark = pytest.mark.e2e


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


@pytest.mark.parametrize("kind", compare.KINDS)
def test_same_first_boot_as_debian_ignition(kind, e2e_images, loopdevs, workdir):
    """offline: the config on fw_cfg. network: over http (ip=dhcp, a config server on the
    host through guestfwd), Debian's module with its dracut network (Debian's dracut-network:
    systemd-networkd, enabled for every boot) against ignite, which brings the network up
    only because the config URL needs it."""
    if not compare.oracle_available():
        pytest.skip("Debian's ignition is not unpacked (make oracle)")
    prefix = "compare" if kind == "offline" else "compare-net"
    results, times = {}, {}
    for name, imgs in (("ignition", compare.ignition_images(kind == "network")), ("ignite", e2e_images)):
        boot = compare.boot(kind, f"{prefix}-{name}", imgs, workdir / name)
        assert_passed(boot)
        assert "bare-interpreter-ms" not in boot.console  # ignite.e2e.python=0: no Python timing
        times[name] = compare.boot_times(boot)
        results[name] = provisioned(loopdevs, workdir / name / "disk.img", workdir / name)
    assert results["ignite"] == results["ignition"]
    assert results["ignite"]["key"] == SSH_KEY
    (qemu_guest.ARTIFACTS / f"{prefix}-ignition.json").write_text(json.dumps(times, indent=1) + "\n")
