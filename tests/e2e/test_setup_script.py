"""ignite-setup on the host with stand-ins for blkid/udevadm/mount on PATH (no device is
touched): duplicate labels are refused, a live image's /config.ign is picked up into
/run/ignition (never /usr/lib/ignition). Fast; no QEMU."""
from __future__ import annotations

import os
import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SETUP = REPO / "dracut" / "30ignite" / "ignite-setup"


def run_setup(
    tmp_path: Path, labels: dict[str, list[str]], stamp: str = "ignition"
) -> subprocess.CompletedProcess[str]:
    bindir = tmp_path / "bin"
    bindir.mkdir(exist_ok=True)
    export = "".join(f"DEVNAME={dev}\nLABEL={label}\nUUID=uuid-{n}\n\n"
                     for label, devs in labels.items() for n, dev in enumerate(devs))
    (bindir / "blkid").write_text(f"#!/bin/sh\ncat <<'END'\n{export}END\n")
    (bindir / "udevadm").write_text("#!/bin/sh\nexit 0\n")
    (bindir / "mount").write_text("#!/bin/sh\necho 'mount stand-in: refusing' >&2\nexit 32\n")
    for tool in ("blkid", "udevadm", "mount"):
        (bindir / tool).chmod(0o755)
    env = {"PATH": f"{bindir}:{os.environ['PATH']}", "IGNITE_FIRSTBOOT_STAMP": stamp,
           "IGNITE_RUNTIME_CONFIG_DIR": str(tmp_path / "run/ignition"),
           "IGNITE_STATE_DIR": str(tmp_path / "run/ignite"),
           "IGNITE_LIVE_CONFIG": str(tmp_path / "config.ign"), "IGNITE_OEM_DEVICE_FILE": str(tmp_path / "none")}
    return subprocess.run(["bash", str(SETUP)], env=env, capture_output=True, text=True, timeout=30)


def test_two_boot_filesystems_are_refused(tmp_path):
    done = run_setup(tmp_path, {"boot": ["/dev/vda1", "/dev/vdb1"]})
    assert done.returncode == 1, done
    assert 'several filesystems are labelled "boot" (/dev/vda1 /dev/vdb1)' in done.stderr


def test_two_oem_partitions_are_refused(tmp_path):
    done = run_setup(tmp_path, {"OEM": ["/dev/vda6", "/dev/vdb6"]})
    assert done.returncode == 1 and 'labelled "OEM"' in done.stderr, done


def test_live_config_goes_to_run_ignition(tmp_path):
    (tmp_path / "config.ign").write_text('{"ignition":{"version":"3.4.0"}}')
    done = run_setup(tmp_path, {})
    assert done.returncode == 0, done
    assert (tmp_path / "run/ignition/user.ign").read_text() == '{"ignition":{"version":"3.4.0"}}'
    assert "user config from the initramfs" in done.stdout
    assert not (tmp_path / "run/ignite/stamp-fs").exists()  # no boot filesystem: no stamp
