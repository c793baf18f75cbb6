"""fetch-offline's first-boot set-up (ignite.stages.fetch_setup) on the host, with stand-ins
for udevadm and mount on PATH and udev's view of the block devices (sysfs entries, udev's
database, /dev nodes) in a tree of the test's own: no device is touched. Duplicate labels
are refused, a live image's /config.ign is picked up into /run/ignition (never
/usr/lib/ignition), the root device ends the wait for the boot disk, the stamp's filesystem
is noted by UUID. The real boots (tests/e2e/test_boot.py) read real OEM and boot
partitions."""
from __future__ import annotations

import logging
import os
import threading
from pathlib import Path

import pytest

from ignite.errors import SetupError
from ignite.stages import fetch_setup

REPO = Path(__file__).resolve().parents[2]
DRACUT = REPO / "dracut" / "30ignite"

# udevadm stand-in: logs its arguments; `settle` ends after $SETTLE_S seconds.
UDEVADM = """#!/bin/sh
echo "$*" >> "$UDEVADM_LOG"
case "$1" in
    settle) sleep "${SETTLE_S:-0}" < /dev/null > /dev/null 2>&1; echo "$*: done" >> "$UDEVADM_LOG" ;;
esac
exit 0
"""
# mount stand-in: logs and mounts nothing; `MOUNT_FAIL=1` refuses as a bad filesystem would.
MOUNT = """#!/bin/sh
echo "$*" >> "$MOUNT_LOG"
[ -z "$MOUNT_FAIL" ] || { echo 'mount stand-in: refusing' >&2; exit 32; }
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


class Setup:
    """One run's stand-ins: what it logged, what udevadm and mount were asked."""

    def __init__(self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture):
        self.tmp, self.caplog = tmp_path, caplog
        bindir = tmp_path / "bin"
        bindir.mkdir()
        for name, script in (("udevadm", UDEVADM), ("mount", MOUNT)):
            (bindir / name).write_text(script)
            (bindir / name).chmod(0o755)
        tree = tmp_path / "devices"
        (tree / "sys").mkdir(parents=True)
        env = {"PATH": f"{bindir}:{os.environ['PATH']}", "IGNITE_FIRSTBOOT_STAMP": "ignition",
               "IGNITE_DEV_DIR": str(tree / "dev"), "IGNITE_SYS_BLOCK": str(tree / "sys"),
               "IGNITE_UDEV_DATA": str(tree / "udev"), "IGNITE_UDEV_QUEUE": str(tree / "queue"),
               "IGNITION_SYSTEM_RUNTIME_CONFIG_DIR": str(tmp_path / "run/ignition"),
               "IGNITE_STATE_DIR": str(tmp_path / "run/ignite"), "IGNITE_LIVE_CONFIG": str(tmp_path / "config.ign"),
               "IGNITE_OEM_DEVICE_FILE": str(tmp_path / "none"), "IGNITE_INITRAMFS_OEM_DIR": str(tmp_path / "no-oem"),
               "UDEVADM_LOG": str(tmp_path / "udevadm.log"), "MOUNT_LOG": str(tmp_path / "mount.log")}
        for key, value in env.items():
            monkeypatch.setenv(key, value)
        self.monkeypatch = monkeypatch
        caplog.set_level(logging.INFO, logger="ignite.setup")
        self.unmounted: list[str] = []  # the mount stand-in mounts nothing: nothing to unmount
        monkeypatch.setattr("ignite.system.mounts.umount", self.unmounted.append)

    def run(self, cmdline: str = "ro", **env: str) -> None:
        for key, value in env.items():
            self.monkeypatch.setenv(key, value)
        fetch_setup.run(cmdline)

    @property
    def said(self) -> str:
        return "\n".join(r.getMessage() for r in self.caplog.records)

    def calls(self, tool: str) -> list[str]:
        log = self.tmp / f"{tool}.log"
        return log.read_text().splitlines() if log.exists() else []

    def root_node(self, device: str) -> None:
        node = self.tmp / "devices/dev" / device.removeprefix("/dev/")
        node.parent.mkdir(parents=True, exist_ok=True)
        node.write_text("")

    def state(self) -> set[str]:
        return {p.name for p in (self.tmp / "run/ignite").iterdir()}


@pytest.fixture
def setup(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> Setup:
    return Setup(tmp_path, monkeypatch, caplog)


def test_two_boot_filesystems_are_refused(setup: Setup) -> None:
    block_devices(setup.tmp / "devices", {"boot": ["/dev/vda1", "/dev/vdb1"]})
    with pytest.raises(SetupError, match=r'several filesystems are labelled "boot" \(/dev/vda1 /dev/vdb1\)'):
        setup.run()


def test_two_oem_partitions_are_refused(setup: Setup) -> None:
    block_devices(setup.tmp / "devices", {"OEM": ["/dev/vda6", "/dev/vdb6"]})
    with pytest.raises(SetupError, match='labelled "OEM"'):
        setup.run()
    assert setup.calls("mount") == []


def test_live_config_goes_to_run_ignition(setup: Setup) -> None:
    (setup.tmp / "config.ign").write_text('{"ignition":{"version":"3.4.0"}}')
    setup.run()
    user = setup.tmp / "run/ignition/user.ign"
    assert user.read_text() == '{"ignition":{"version":"3.4.0"}}'
    assert user.stat().st_mode & 0o777 == 0o600
    assert "user config from the initramfs" in setup.said
    assert setup.state() == set()  # no boot filesystem: no stamp


def test_the_oem_partition_and_the_boot_filesystem_are_read_mounted_read_only(setup: Setup, monkeypatch) -> None:
    """The mount stand-in mounts nothing: the configs are planted in the mount point as it
    is made (a real boot mounts real partitions: tests/e2e/test_boot.py)."""
    block_devices(setup.tmp / "devices", {"OEM": ["/dev/vda6"], "boot": ["/dev/vda1"]})
    planted = {"/dev/vda6": {"config.ign": "oem user", "base/base.ign": "oem base"},
               "/dev/vda1": {"ignition/config.ign": "boot user"}}
    real_mkdir, real_rmdir = os.mkdir, os.rmdir

    def mkdir_and_plant(path, mode=0o777):
        real_mkdir(path, mode)
        if "setup-mount." in str(path):
            device = "/dev/vda6" if not setup.calls("mount") else "/dev/vda1"
            for rel, text in planted[device].items():
                parent = os.path.dirname(os.path.join(path, rel))
                if not os.path.isdir(parent):
                    real_mkdir(parent)
                with open(os.path.join(path, rel), "w") as f:
                    f.write(text)

    def rmdir_planted(path, **kwargs):
        if "setup-mount." in str(path):  # what was planted in it first (a real umount leaves it empty)
            for top, dirs, files in os.walk(path, topdown=False):
                for name in files:
                    os.unlink(os.path.join(top, name))
                for name in dirs:
                    real_rmdir(os.path.join(top, name))
        real_rmdir(path, **kwargs)

    monkeypatch.setattr(os, "mkdir", mkdir_and_plant)
    monkeypatch.setattr(os, "rmdir", rmdir_planted)
    setup.run()
    assert [c.split()[:3] for c in setup.calls("mount")] == [["-o", "ro", "/dev/vda6"], ["-o", "ro", "/dev/vda1"]]
    assert len(setup.unmounted) == 2
    assert (setup.tmp / "run/ignition/user.ign").read_text() == "oem user"
    assert (setup.tmp / "run/ignition/base.d/base.ign").read_text() == "oem base"
    assert "ignoring the user config of the boot filesystem /dev/vda1 (ignition/config.ign): the one of the " \
           "OEM partition /dev/vda6 (config.ign) comes first" in setup.said
    assert (setup.tmp / "run/ignite/stamp-fs").read_text() == "uuid-0 boot\n"
    assert not list((setup.tmp / "run/ignite").glob("setup-mount.*"))


def test_a_partition_that_cannot_be_mounted_fails_the_setup(setup: Setup) -> None:
    block_devices(setup.tmp / "devices", {"OEM": ["/dev/vda6"]})
    with pytest.raises(SetupError, match=r"cannot mount /dev/vda6 \(.*\) read-only: check its filesystem"):
        setup.run(MOUNT_FAIL="1")
    assert not list((setup.tmp / "run/ignite").glob("setup-mount.*"))  # its mount point is gone


def test_the_root_device_ends_the_wait_before_udev_settles(setup: Setup) -> None:
    setup.root_node("/dev/disk/by-label/my\\x2froot")
    block_devices(setup.tmp / "devices", {"EFI-SYSTEM": ["/dev/vda1"]})
    setup.run("ro root=LABEL=my/root quiet", IGNITE_FIRSTBOOT_STAMP="flatcar", SETTLE_S="20")
    assert "settle --timeout=30: done" not in setup.calls("udevadm")  # not waited for: the root device came first
    assert "the root device /dev/disk/by-label/my\\x2froot is there" in setup.said
    assert (setup.tmp / "run/ignite/stamp-fs").read_text() == "uuid-0 EFI-SYSTEM\n"


def test_no_udevadm_process_while_udev_is_busy_and_the_root_device_comes(setup: Setup) -> None:
    """udev's queue is there (coldplug under way) until the root device appears: the wait
    ends without a settle process."""
    (setup.tmp / "devices/queue").write_text("")
    timer = threading.Timer(0.4, setup.root_node, ("/dev/disk/by-label/root",))
    timer.start()
    try:
        setup.run("root=LABEL=root", SETTLE_S="20")
    finally:
        timer.cancel()
    assert "the root device /dev/disk/by-label/root is there" in setup.said
    assert setup.calls("udevadm") == []


def test_the_settle_starts_once_udevs_queue_is_empty(setup: Setup) -> None:
    """root= names a device that never comes: once udev's queue is gone, udev settling
    ends the wait."""
    (setup.tmp / "devices/queue").write_text("")
    timer = threading.Timer(0.4, (setup.tmp / "devices/queue").unlink)
    timer.start()
    try:
        setup.run("root=LABEL=root", SETTLE_S="0.3")
    finally:
        timer.cancel()
    assert setup.calls("udevadm") == ["settle --timeout=30", "settle --timeout=30: done"]
    assert "is there" not in setup.said


@pytest.mark.parametrize(("cmdline", "device"), [
    ("root=UUID=0b1e-77", "/dev/disk/by-uuid/0b1e-77"),
    ("root=PARTUUID=ab-01", "/dev/disk/by-partuuid/ab-01"),
    ("root=PARTLABEL=root", "/dev/disk/by-partlabel/root"),
    ("root=/dev/vda4 root=/dev/sda2", "/dev/sda2"),  # the last one wins, as for the kernel
])
def test_root_device_names(setup: Setup, cmdline: str, device: str) -> None:
    setup.root_node(device)
    setup.run(cmdline, SETTLE_S="20")
    assert f"the root device {device} is there" in setup.said


@pytest.mark.parametrize("cmdline", ["ro quiet", "root=live:CDLABEL=x", "root=/dev/nfs", "root=LABEL=",
                                     "root=/dev/vda4 root="])
def test_without_a_root_device_udev_is_settled(setup: Setup, cmdline: str) -> None:
    setup.run(cmdline, SETTLE_S="0.3")
    assert setup.calls("udevadm") == ["settle --timeout=30", "settle --timeout=30: done"]


def test_a_root_device_that_does_not_come_leaves_the_settle_to_decide(setup: Setup) -> None:
    """root= names a device the config's disks stage creates: udev settling ends the wait."""
    setup.run("root=LABEL=root", SETTLE_S="1")
    assert setup.calls("udevadm")[-1] == "settle --timeout=30: done"
    assert "is there" not in setup.said


def test_the_oem_device_the_image_names_is_waited_for(setup: Setup) -> None:
    (setup.tmp / "oem-device").write_text("/dev/disk/by-label/OEM\n")
    timer = threading.Timer(0.3, setup.root_node, ("/dev/disk/by-label/OEM",))
    timer.start()
    try:
        setup.run("root=LABEL=root", IGNITE_OEM_DEVICE_FILE=str(setup.tmp / "oem-device"))
    finally:
        timer.cancel()
    assert "waiting for the OEM device /dev/disk/by-label/OEM (the image says it has one)" in setup.said
    assert setup.calls("udevadm") == []


def test_an_oem_device_that_never_comes_fails_the_setup(setup: Setup, monkeypatch) -> None:
    (setup.tmp / "oem-device").write_text("/dev/disk/by-label/OEM\n")
    monkeypatch.setattr(fetch_setup, "OEM_DEVICE_TIMEOUT", 0.2)
    with pytest.raises(SetupError, match="the OEM device /dev/disk/by-label/OEM did not appear within 0 s"):
        setup.run(IGNITE_OEM_DEVICE_FILE=str(setup.tmp / "oem-device"))


@pytest.mark.parametrize(("stamp", "labels", "written"), [
    ("flatcar", {}, "stamp-missing"),
    ("flatcar", {"EFI-SYSTEM": ["/dev/vda1"]}, "stamp-fs"),
    ("flatcar", {"boot": ["/dev/vda3"]}, "stamp-fs"),
    ("ignition", {}, None),
    ("", {"EFI-SYSTEM": ["/dev/vda1"]}, None),
])
def test_the_stamp_unit_runs_only_when_setup_leaves_it_something(setup: Setup, stamp, labels, written) -> None:
    """ignite-firstboot-complete.service has ConditionPathExists=| on stamp-fs and stamp-missing."""
    block_devices(setup.tmp / "devices", labels)
    (setup.tmp / "run/ignite").mkdir(parents=True)
    for stale in ("stamp-fs", "stamp-missing"):  # a second run in the same boot starts afresh
        (setup.tmp / "run/ignite" / stale).write_text("stale\n")
    setup.run(IGNITE_FIRSTBOOT_STAMP=stamp)
    assert setup.state() == ({written} if written else set())
    if written == "stamp-missing":
        assert (setup.tmp / "run/ignite/stamp-missing").read_text() == "EFI-SYSTEM boot\n"
    unit = (DRACUT / "ignite-firstboot-complete.service").read_text()
    assert "ConditionPathExists=|/run/ignite/stamp-fs\nConditionPathExists=|/run/ignite/stamp-missing\n" in unit


def test_fetch_offline_does_the_setup_at_boot_and_only_there() -> None:
    """The unit asks for it (IGNITE_BOOT_SETUP); no separate set-up unit or script remains,
    and fetch-offline is ordered after udev's coldplug has been triggered."""
    unit = (DRACUT / "ignite-fetch-offline.service").read_text()
    assert "Environment=IGNITE_BOOT_SETUP=1\n" in unit
    assert "IGNITE_STAGE_AFTER_FILE" not in unit
    after = " ".join(line[6:] for line in unit.splitlines() if line.startswith("After="))
    assert "systemd-udev-trigger.service" in after.split()
    assert not (DRACUT / "ignite-setup").exists() and not (DRACUT / "ignite-setup.service").exists()
    assert "ignite-setup" not in (DRACUT / "module-setup.sh").read_text()


def test_the_stamp_unit_is_cancelled_by_a_reboot_like_the_stages() -> None:
    """The kargs helper reboots mid-boot: the stamp must survive for the next (first) boot,
    so the stamp unit's queued start goes with the shutdown transaction, as the stages' do."""
    unit = (DRACUT / "ignite-firstboot-complete.service").read_text()
    assert "\nConflicts=shutdown.target\n" in unit and "\nBefore=shutdown.target\n" in unit
    after = " ".join(line for line in unit.splitlines() if line.startswith("After="))
    assert {"ignite-kargs.service", "ignite-disks.service", "ignite-files.service"} <= set(after[6:].split())


def test_labels_are_read_from_udevs_records_once_udev_has_handled_every_device(setup: Setup) -> None:
    """A device the kernel knows and udev has not handled yet, while udev has events queued,
    is waited for: its OEM label is not missed."""
    block_devices(setup.tmp / "devices", {"OEM": ["/dev/vda6"], "EFI SYSTEM": ["/dev/vda2"]}, unhandled=("/dev/vda6",))
    (setup.tmp / "devices/queue").write_text("")
    record = setup.tmp / "devices/udev/b254:1"

    def udev_catches_up() -> None:
        record.write_text("E:ID_FS_LABEL_ENC=OEM\nE:ID_FS_UUID_ENC=uuid-0\n")
        (setup.tmp / "devices/queue").unlink()

    timer = threading.Timer(0.5, udev_catches_up)
    timer.start()
    try:
        with pytest.raises(SetupError, match="cannot mount /dev/vda6"):  # found (its mount is refused here)
            setup.run(IGNITE_FIRSTBOOT_STAMP="flatcar", MOUNT_FAIL="1")
    finally:
        timer.cancel()


def test_a_device_udev_never_handles_does_not_hold_setup_once_udev_is_idle(setup: Setup) -> None:
    block_devices(setup.tmp / "devices", {"EFI-SYSTEM": ["/dev/vda1"], "x": ["/dev/loop0"]}, unhandled=("/dev/loop0",))
    setup.run(IGNITE_FIRSTBOOT_STAMP="flatcar")
    assert (setup.tmp / "run/ignite/stamp-fs").read_text() == "uuid-0 EFI-SYSTEM\n"


def test_escaped_labels_are_decoded(setup: Setup) -> None:
    """udev escapes a space as \\x20: "EFI SYSTEM" is not "EFI-SYSTEM", and is read as itself."""
    block_devices(setup.tmp / "devices", {"EFI SYSTEM": ["/dev/vda2"]})
    disks = fetch_setup._Disks(fetch_setup._Paths())
    assert disks.only_device("EFI SYSTEM") == "/dev/vda2" and disks.only_device("EFI-SYSTEM") == ""
