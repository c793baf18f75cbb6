"""ignite-setup on the host with stand-ins for blkid/udevadm/mount on PATH (no device is
touched): duplicate labels are refused, a live image's /config.ign is picked up into
/run/ignition (never /usr/lib/ignition). Fast; no QEMU."""
from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SETUP = REPO / "dracut" / "30ignite" / "ignite-setup"


# udevadm stand-in: logs its arguments; `wait` exits $WAIT_RC after $WAIT_S seconds,
# `settle` after $SETTLE_S seconds.
UDEVADM = """#!/bin/sh
echo "$*" >> "$UDEVADM_LOG"
case "$1" in
    wait) sleep "${WAIT_S:-0}" < /dev/null > /dev/null 2>&1; exit "${WAIT_RC:-0}" ;;
    settle) sleep "${SETTLE_S:-0}" < /dev/null > /dev/null 2>&1; echo "$*: done" >> "$UDEVADM_LOG" ;;
esac
exit 0
"""


def run_setup(
    tmp_path: Path, labels: dict[str, list[str]], stamp: str = "ignition", cmdline: str = "ro",
    **udevadm: str,
) -> subprocess.CompletedProcess[str]:
    bindir = tmp_path / "bin"
    bindir.mkdir(exist_ok=True)
    export = "".join(f"DEVNAME={dev}\nLABEL={label}\nUUID=uuid-{n}\n\n"
                     for label, devs in labels.items() for n, dev in enumerate(devs))
    (bindir / "blkid").write_text(f"#!/bin/sh\ncat <<'END'\n{export}END\n")
    (bindir / "udevadm").write_text(UDEVADM)
    (tmp_path / "cmdline").write_text(cmdline + "\n")
    (bindir / "mount").write_text("#!/bin/sh\necho 'mount stand-in: refusing' >&2\nexit 32\n")
    for tool in ("blkid", "udevadm", "mount"):
        (bindir / tool).chmod(0o755)
    env = {"PATH": f"{bindir}:{os.environ['PATH']}", "IGNITE_FIRSTBOOT_STAMP": stamp,
           "IGNITE_RUNTIME_CONFIG_DIR": str(tmp_path / "run/ignition"),
           "IGNITE_STATE_DIR": str(tmp_path / "run/ignite"),
           "IGNITE_LIVE_CONFIG": str(tmp_path / "config.ign"), "IGNITE_OEM_DEVICE_FILE": str(tmp_path / "none"),
           "IGNITE_KERNEL_CMDLINE_PATH": str(tmp_path / "cmdline"), "UDEVADM_LOG": str(tmp_path / "udevadm.log"),
           **udevadm}
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


def udevadm_calls(tmp_path: Path) -> list[str]:
    return (tmp_path / "udevadm.log").read_text().splitlines()


def test_the_root_device_ends_the_wait_before_udev_settles(tmp_path):
    done = run_setup(tmp_path, {"EFI-SYSTEM": ["/dev/vda1"]}, stamp="flatcar", cmdline="ro root=LABEL=my/root quiet",
                     SETTLE_S="20")
    assert done.returncode == 0, done
    calls = udevadm_calls(tmp_path)
    assert "wait --timeout=30 /dev/disk/by-label/my\\x2froot" in calls, calls
    assert "settle --timeout=30: done" not in calls  # not waited for: the root device came first
    assert "the root device /dev/disk/by-label/my\\x2froot is there" in done.stdout
    assert (tmp_path / "run/ignite/stamp-fs").read_text() == "uuid-0 EFI-SYSTEM\n"


@pytest.mark.parametrize(("cmdline", "device"), [
    ("root=UUID=0b1e-77", "/dev/disk/by-uuid/0b1e-77"),
    ("root=PARTUUID=ab-01", "/dev/disk/by-partuuid/ab-01"),
    ("root=PARTLABEL=root", "/dev/disk/by-partlabel/root"),
    ("root=/dev/vda4 root=/dev/sda2", "/dev/sda2"),  # the last one wins, as for the kernel
])
def test_root_device_names(tmp_path, cmdline, device):
    assert run_setup(tmp_path, {}, cmdline=cmdline, SETTLE_S="20").returncode == 0
    assert f"wait --timeout=30 {device}" in udevadm_calls(tmp_path)


@pytest.mark.parametrize("cmdline", ["ro quiet", "root=live:CDLABEL=x", "root=/dev/nfs", "root=LABEL="])
def test_without_a_root_device_udev_is_settled(tmp_path, cmdline):
    done = run_setup(tmp_path, {}, cmdline=cmdline, SETTLE_S="0.3")
    assert done.returncode == 0, done
    calls = udevadm_calls(tmp_path)
    assert calls == ["settle --timeout=30", "settle --timeout=30: done"]


def test_a_root_device_that_does_not_come_leaves_the_settle_to_decide(tmp_path):
    """root= names a device the config's disks stage creates: the wait fails, udev settles."""
    done = run_setup(tmp_path, {}, cmdline="root=LABEL=root", WAIT_S="0.1", WAIT_RC="1", SETTLE_S="1")
    assert done.returncode == 0, done
    assert udevadm_calls(tmp_path)[-1] == "settle --timeout=30: done"
    assert "is there" not in done.stdout


@pytest.mark.parametrize(("stamp", "labels", "written"), [
    ("flatcar", {}, "stamp-missing"),
    ("flatcar", {"EFI-SYSTEM": ["/dev/vda1"]}, "stamp-fs"),
    ("ignition", {}, None),
    ("", {"EFI-SYSTEM": ["/dev/vda1"]}, None),
])
def test_the_stamp_unit_runs_only_when_setup_leaves_it_something(tmp_path, stamp, labels, written):
    """ignite-firstboot-complete.service has ConditionPathExists=| on stamp-fs and stamp-missing."""
    assert run_setup(tmp_path, labels, stamp=stamp).returncode == 0
    present = {p.name for p in (tmp_path / "run/ignite").iterdir()}
    assert present == {"setup-done"} | ({written} if written else set())
    unit = (SETUP.parent / "ignite-firstboot-complete.service").read_text()
    assert "ConditionPathExists=|/run/ignite/stamp-fs\nConditionPathExists=|/run/ignite/stamp-missing\n" in unit


def test_done_flag_only_after_success(tmp_path):
    """fetch-offline waits for run/ignite/setup-done: a stale one goes at the start, a
    failed setup writes none."""
    (tmp_path / "run/ignite").mkdir(parents=True)
    (tmp_path / "run/ignite/setup-done").write_text("")
    assert run_setup(tmp_path, {"OEM": ["/dev/vda6", "/dev/vdb6"]}).returncode == 1
    assert not (tmp_path / "run/ignite/setup-done").exists()
    assert run_setup(tmp_path, {}).returncode == 0
    assert (tmp_path / "run/ignite/setup-done").exists()
    unit = (SETUP.parent / "ignite-fetch-offline.service").read_text()
    assert "Environment=IGNITE_STAGE_AFTER_FILE=/run/ignite/setup-done\n" in unit
    assert "ignite-setup" not in "".join(line for line in unit.splitlines() if line.startswith("After="))


def test_the_stamp_unit_is_cancelled_by_a_reboot_like_the_stages():
    """The kargs helper reboots mid-boot: the stamp must survive for the next (first) boot,
    so the stamp unit's queued start goes with the shutdown transaction, as the stages' do."""
    unit = (SETUP.parent / "ignite-firstboot-complete.service").read_text()
    assert "\nConflicts=shutdown.target\n" in unit and "\nBefore=shutdown.target\n" in unit
    after = " ".join(line for line in unit.splitlines() if line.startswith("After="))
    assert {"ignite-kargs.service", "ignite-disks.service", "ignite-files.service"} <= set(after[6:].split())
