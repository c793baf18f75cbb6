"""ignite-setup on the host with stand-ins for udevadm and mount on PATH, and udev's view of
the block devices (sysfs entries, udev's database, /dev nodes) in a tree of the test's own
(no device is touched): duplicate labels are refused, a live image's /config.ign is picked
up into /run/ignition (never /usr/lib/ignition). Fast; no QEMU."""
from __future__ import annotations

import os
import shutil
import subprocess
import threading
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SETUP = REPO / "dracut" / "30ignite" / "ignite-setup"


# udevadm stand-in: logs its arguments; `settle` ends after $SETTLE_S seconds.
UDEVADM = """#!/bin/sh
echo "$*" >> "$UDEVADM_LOG"
case "$1" in
    settle) sleep "${SETTLE_S:-0}" < /dev/null > /dev/null 2>&1; echo "$*: done" >> "$UDEVADM_LOG" ;;
esac
exit 0
"""


def block_devices(tree: Path, labels: dict[str, list[str]], unhandled: tuple[str, ...] = ()) -> None:
    """sysfs entries and udev database records (as udev's blkid builtin leaves them) for
    each labelled device, UUID uuid-N; `unhandled` devices have no record yet."""
    minor = 0
    for label, devs in labels.items():
        for n, dev in enumerate(devs):
            minor += 1
            entry = tree / "sys" / dev.removeprefix("/dev/")
            entry.mkdir(parents=True)
            (entry / "dev").write_text(f"254:{minor}\n")
            if dev in unhandled:
                continue
            record = tree / "udev" / f"b254:{minor}"
            record.parent.mkdir(parents=True, exist_ok=True)
            encoded = label.replace(" ", "\\x20")
            record.write_text(f"S:disk/by-label/{encoded}\nE:ID_FS_TYPE=vfat\nE:ID_FS_LABEL={label}\n"
                              f"E:ID_FS_LABEL_ENC={encoded}\nE:ID_FS_UUID_ENC=uuid-{n}\n")


def run_setup(
    tmp_path: Path, labels: dict[str, list[str]], stamp: str = "ignition", cmdline: str = "ro",
    devices_tree: bool = True, **udevadm: str,
) -> subprocess.CompletedProcess[str]:
    bindir = tmp_path / "bin"
    bindir.mkdir(exist_ok=True)
    tree = tmp_path / "devices"
    if devices_tree:
        for part in ("sys", "udev"):  # a second run in the same test sees only its own devices
            shutil.rmtree(tree / part, ignore_errors=True)
        block_devices(tree, labels)
    (bindir / "udevadm").write_text(UDEVADM)
    (tmp_path / "cmdline").write_text(cmdline + "\n")
    (bindir / "mount").write_text("#!/bin/sh\necho 'mount stand-in: refusing' >&2\nexit 32\n")
    for tool in ("udevadm", "mount"):
        (bindir / tool).chmod(0o755)
    env = {"PATH": f"{bindir}:{os.environ['PATH']}", "IGNITE_FIRSTBOOT_STAMP": stamp,
           "IGNITE_DEV_DIR": str(tree / "dev"), "IGNITE_SYS_BLOCK": str(tree / "sys"),
           "IGNITE_UDEV_DATA": str(tree / "udev"), "IGNITE_UDEV_QUEUE": str(tree / "queue"),
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
    log = tmp_path / "udevadm.log"
    return log.read_text().splitlines() if log.exists() else []


def root_node(tmp_path: Path, device: str) -> None:
    node = tmp_path / "devices/dev" / device.removeprefix("/dev/")
    node.parent.mkdir(parents=True, exist_ok=True)
    node.write_text("")


def test_the_root_device_ends_the_wait_before_udev_settles(tmp_path):
    root_node(tmp_path, "/dev/disk/by-label/my\\x2froot")
    done = run_setup(tmp_path, {"EFI-SYSTEM": ["/dev/vda1"]}, stamp="flatcar", cmdline="ro root=LABEL=my/root quiet",
                     SETTLE_S="20")
    assert done.returncode == 0, done
    calls = udevadm_calls(tmp_path)
    assert "settle --timeout=30: done" not in calls  # not waited for: the root device came first
    assert "the root device /dev/disk/by-label/my\\x2froot is there" in done.stdout
    assert (tmp_path / "run/ignite/stamp-fs").read_text() == "uuid-0 EFI-SYSTEM\n"


def test_no_udevadm_process_while_udev_is_busy_and_the_root_device_comes(tmp_path):
    """udev's queue is there (coldplug under way) until the root device appears: the wait
    ends without a settle process."""
    (tmp_path / "devices").mkdir()
    (tmp_path / "devices/queue").write_text("")
    timer = threading.Timer(0.4, root_node, (tmp_path, "/dev/disk/by-label/root"))
    timer.start()
    try:
        done = run_setup(tmp_path, {}, cmdline="root=LABEL=root", SETTLE_S="20")
    finally:
        timer.cancel()
    assert done.returncode == 0 and "the root device /dev/disk/by-label/root is there" in done.stdout, done
    assert udevadm_calls(tmp_path) == []


def test_the_settle_starts_once_udevs_queue_is_empty(tmp_path):
    """root= names a device that never comes: once udev's queue is gone, udev settling
    ends the wait."""
    (tmp_path / "devices").mkdir()
    (tmp_path / "devices/queue").write_text("")
    timer = threading.Timer(0.4, (tmp_path / "devices/queue").unlink)
    timer.start()
    try:
        done = run_setup(tmp_path, {}, cmdline="root=LABEL=root", SETTLE_S="0.3")
    finally:
        timer.cancel()
    assert done.returncode == 0, done
    assert udevadm_calls(tmp_path) == ["settle --timeout=30", "settle --timeout=30: done"]
    assert "is there" not in done.stdout


@pytest.mark.parametrize(("cmdline", "device"), [
    ("root=UUID=0b1e-77", "/dev/disk/by-uuid/0b1e-77"),
    ("root=PARTUUID=ab-01", "/dev/disk/by-partuuid/ab-01"),
    ("root=PARTLABEL=root", "/dev/disk/by-partlabel/root"),
    ("root=/dev/vda4 root=/dev/sda2", "/dev/sda2"),  # the last one wins, as for the kernel
])
def test_root_device_names(tmp_path, cmdline, device):
    root_node(tmp_path, device)
    done = run_setup(tmp_path, {}, cmdline=cmdline, SETTLE_S="20")
    assert done.returncode == 0 and f"the root device {device} is there" in done.stdout, done


@pytest.mark.parametrize("cmdline", ["ro quiet", "root=live:CDLABEL=x", "root=/dev/nfs", "root=LABEL="])
def test_without_a_root_device_udev_is_settled(tmp_path, cmdline):
    done = run_setup(tmp_path, {}, cmdline=cmdline, SETTLE_S="0.3")
    assert done.returncode == 0, done
    calls = udevadm_calls(tmp_path)
    assert calls == ["settle --timeout=30", "settle --timeout=30: done"]


def test_a_root_device_that_does_not_come_leaves_the_settle_to_decide(tmp_path):
    """root= names a device the config's disks stage creates: udev settling ends the wait."""
    done = run_setup(tmp_path, {}, cmdline="root=LABEL=root", SETTLE_S="1")
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


def test_labels_are_read_from_udevs_records_once_udev_has_handled_every_device(tmp_path):
    """A device the kernel knows and udev has not handled yet, while udev has events queued,
    is waited for: its OEM label is not missed."""
    block_devices(tmp_path / "devices", {"OEM": ["/dev/vda6"], "EFI SYSTEM": ["/dev/vda2"]}, unhandled=("/dev/vda6",))
    (tmp_path / "devices/queue").write_text("")
    record = tmp_path / "devices/udev/b254:1"

    def udev_catches_up() -> None:
        record.write_text("E:ID_FS_LABEL_ENC=OEM\nE:ID_FS_UUID_ENC=uuid-0\n")
        (tmp_path / "devices/queue").unlink()

    timer = threading.Timer(0.5, udev_catches_up)
    timer.start()
    try:
        done = run_setup(tmp_path, {}, stamp="flatcar", devices_tree=False)
    finally:
        timer.cancel()
    assert done.returncode == 1 and "cannot mount /dev/vda6" in done.stderr, done  # found (its mount is refused here)


def test_a_device_udev_never_handles_does_not_hold_setup_once_udev_is_idle(tmp_path):
    block_devices(tmp_path / "devices", {"EFI-SYSTEM": ["/dev/vda1"], "x": ["/dev/loop0"]}, unhandled=("/dev/loop0",))
    done = run_setup(tmp_path, {}, stamp="flatcar", devices_tree=False)
    assert done.returncode == 0, done
    assert (tmp_path / "run/ignite/stamp-fs").read_text() == "uuid-0 EFI-SYSTEM\n"
