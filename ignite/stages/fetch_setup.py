"""At a first boot, before fetch-offline reads any config (its unit sets BOOT_SETUP_ENV):
the configs an installer or image left on disk, copied where the fetch stages read system
configs, and the filesystem that holds the first-boot stamp, noted by UUID.

Configs (into the runtime system config dir, /run/ignition: /usr may be read-only in the
initramfs, as on images built with systemd >= 256):
- the OEM partition (label OEM, or /usr/share/oem in a PXE initramfs, as Flatcar reads it):
  config.ign -> user.ign, base/base.ign -> base.d/base.ign;
- the boot filesystem (label boot): ignition/config.ign -> user.ign (coreos-installer);
- the initramfs itself: /config.ign -> user.ign (a live image with an embedded config).
The first of them with a user config wins; the others are named and ignored.

Waiting: for the OEM device by name when the image says it has one (OEM_DEVICE_FILE);
otherwise for the root device that root= names, or for udev to settle, whichever comes
first. The OEM and boot partitions live on the boot disk, whose partitions the kernel knows
once the root partition's udev event is through; labels and UUIDs are then read from udev's
database, once udev has handled every block device the kernel knows (no blkid probing each
device a second time).

The stamp (IGNITE_FIRSTBOOT_STAMP, from the generator): its filesystem is found now, by
label (boot; for Flatcar's stamp EFI-SYSTEM, then boot), and recorded as "UUID LABEL" in
STAMP_FS, so that ignite-firstboot-complete removes the stamp from that very filesystem
even if the config creates another with the same label. Two filesystems with one of these
labels are refused: which one is this machine's is unknown.

This ran as a script of its own (ignite-setup); in fetch-offline's process it costs no
shell and no unit (about 0.12 s of CPU under TCG on every first boot).
"""
from __future__ import annotations

import os
import time

from ignite import distro
from ignite.errors import DeviceError, IgniteError, SetupError
from ignite.log import get_logger
from ignite.stages import state

TYPE_CHECKING = False  # not typing's: fetch-offline runs this at every first boot
if TYPE_CHECKING:
    from collections.abc import Callable

log = get_logger("ignite.setup")
POLL = 0.05  # seconds between looks at a device node or udev's records
SETTLE_TIMEOUT = 30  # udevadm settle --timeout, and the most spent waiting for udev's records
OEM_DEVICE_TIMEOUT = 60.0
# Labels that may hold the first-boot stamp, per kind of stamp (IGNITE_FIRSTBOOT_STAMP).
STAMP_LABELS = {"ignition": (distro.BOOT_LABEL,), "flatcar": ("EFI-SYSTEM", distro.BOOT_LABEL)}


class _Paths:
    """Where setup looks and writes: the initramfs's own, or a test's stand-ins."""

    def __init__(self) -> None:
        env = distro.env
        self.system_dir = env(distro.SYSTEM_DIRS[0][0], distro.SYSTEM_DIRS[0][1])
        self.state_dir = env(distro.STATE_DIR_ENV, distro.STATE_DIR)
        self.oem_label = env(distro.OEM_LABEL_ENV, distro.OEM_LABEL)
        self.boot_label = env(distro.BOOT_LABEL_ENV, distro.BOOT_LABEL)
        self.oem_device_file = env(distro.OEM_DEVICE_FILE_ENV, distro.OEM_DEVICE_FILE)
        self.oem_dir = env(distro.INITRAMFS_OEM_DIR_ENV, distro.INITRAMFS_OEM_DIR)
        self.live_config = env(distro.LIVE_CONFIG_ENV, distro.LIVE_CONFIG)
        self.stamp = env(distro.FIRSTBOOT_STAMP_ENV)
        self.dev_dir = env(distro.DEV_DIR_ENV, "/dev")
        self.sys_block = env(distro.SYS_BLOCK_ENV, distro.SYS_BLOCK)
        self.udev_data = env(distro.UDEV_DATA_ENV, distro.UDEV_DATA)
        self.udev_queue = env(distro.UDEV_QUEUE_ENV, distro.UDEV_QUEUE)

    def device(self, name: str) -> str:
        """A /dev path under this run's device directory."""
        return self.dev_dir + name[len("/dev"):] if name.startswith("/dev/") else name


def run(cmdline: str) -> None:
    """Everything above, for the kernel command line `cmdline`; SetupError when a device
    cannot be told apart, found or mounted."""
    paths = _Paths()
    state.private_dir(paths.state_dir)
    if _nonempty(paths.oem_device_file):
        _wait_for_oem_device(paths)
    else:
        _wait_for_disks(paths, _last_root(cmdline))
    disks = _Disks(paths)
    picked = _Picked(paths.system_dir)

    oem = disks.only_device(paths.oem_label)
    if oem:
        _with_mounted(paths, oem, lambda mnt: _pick_up_oem(picked, mnt, f"the OEM partition {oem}"))
    elif os.path.isdir(paths.oem_dir):
        _pick_up_oem(picked, paths.oem_dir, f"the initramfs ({paths.oem_dir})")
    else:
        log.info("setup: no OEM partition (label %s)", paths.oem_label)

    boot = disks.only_device(paths.boot_label)
    if boot:
        _with_mounted(paths, boot, lambda mnt: picked.user_config(
            os.path.join(mnt, "ignition", "config.ign"), f"the boot filesystem {boot} (ignition/config.ign)"))
    picked.user_config(paths.live_config, f"the initramfs ({paths.live_config})")
    _note_stamp(paths, disks)


def _last_root(cmdline: str) -> str:
    """root='s value, the last one winning as for the kernel (an empty one too)."""
    root = ""
    for token in cmdline.split():
        if token.startswith("root="):
            root = token[len("root="):]
    return root


def _nonempty(path: str) -> bool:
    try:
        return os.path.getsize(path) > 0
    except OSError:
        return False


# --- waiting for the boot disk ----------------------------------------------------------


def _wait_for_oem_device(paths: _Paths) -> None:
    with open(paths.oem_device_file) as f:
        name = f.read().strip()
    log.info("setup: waiting for the OEM device %s (the image says it has one)", name)
    from ignite.system.udev import wait_for

    try:
        wait_for(paths.device(name), OEM_DEVICE_TIMEOUT, "the OEM device")
    except DeviceError:
        raise SetupError(name, f"the OEM device {name} did not appear within {OEM_DEVICE_TIMEOUT:.0f} s") from None


def root_device(root: str) -> str:
    """The device root= names, as a path under /dev; "" when it names none (no root=,
    root=live:..., an NFS or tmpfs root)."""
    for prefix, links in (("LABEL=", "by-label"), ("UUID=", "by-uuid"), ("PARTUUID=", "by-partuuid"),
                          ("PARTLABEL=", "by-partlabel")):
        if root.startswith(prefix) and len(root) > len(prefix):
            value = root[len(prefix):]
            if links in ("by-label", "by-partlabel"):
                value = value.replace("/", "\\x2f")  # udev's escaping of a / in a link name
            return f"/dev/disk/{links}/{value}"
    if root.startswith("/dev/") and len(root) > len("/dev/") and root not in ("/dev/nfs", "/dev/nfs4"):
        return root
    return ""


def _wait_for_disks(paths: _Paths, root: str) -> None:
    """Until the root device's node is there or udev has settled, whichever comes first.
    The settle starts only once udev's queue looks empty: while udev is visibly busy it could
    not end the wait anyway, and when the root device comes first, as on most boots, no
    udevadm process runs at all. A queue that stays for SETTLE_TIMEOUT s ends the wait as a
    settle timeout would."""
    name = root_device(root)
    if not name:
        _settle()
        return
    node = paths.device(name)
    settler: _Settler | None = None
    deadline = time.monotonic() + SETTLE_TIMEOUT
    while not os.path.exists(node):
        if settler is None:
            if time.monotonic() >= deadline:
                log.info("setup: udev did not settle within %d s, looking anyway", SETTLE_TIMEOUT)
                return
            if not os.path.exists(paths.udev_queue):
                settler = _Settler()
        if settler is not None and settler.done():
            break
        time.sleep(POLL)
    if os.path.exists(node):
        log.info("setup: the root device %s is there", name)
    elif settler is not None and not settler.settled():
        log.info("setup: udev did not settle within %d s, looking anyway", SETTLE_TIMEOUT)


def _settle() -> None:
    settler = _Settler()
    settler.wait()
    if not settler.settled():
        log.info("setup: udev did not settle within %d s, looking anyway", SETTLE_TIMEOUT)


class _Settler:
    """`udevadm settle` in a thread: the wait goes on looking for the root device meanwhile.
    A settle the root device made moot is left to end on its own (udev's queue is empty by
    then, or it times out)."""

    def __init__(self) -> None:
        import _thread

        self._finished = _thread.allocate_lock()
        self._finished.acquire()
        self._ok = False
        _thread.start_new_thread(self._run, ())

    def _run(self) -> None:
        from ignite.system.run import run

        try:
            self._ok = run("udevadm", "settle", f"--timeout={SETTLE_TIMEOUT}", check=False).returncode == 0
        except IgniteError as exc:  # no udevadm: nothing to wait for
            log.info("setup: cannot settle udev: %s", exc)
        finally:
            self._finished.release()

    def done(self) -> bool:
        return not self._finished.locked()

    def wait(self) -> None:
        self._finished.acquire()
        self._finished.release()

    def settled(self) -> bool:
        return self.done() and self._ok


# --- udev's view of the filesystems -------------------------------------------------------


class _Disks:
    """Every filesystem's device, label and UUID, as udev's blkid builtin recorded them in
    its database (ID_FS_LABEL_ENC, ID_FS_UUID_ENC). A block device the kernel knows and udev
    has not handled yet is waited for while udev still has events queued."""

    def __init__(self, paths: _Paths) -> None:
        self.labelled: dict[str, list[str]] = {}
        self.uuid_of: dict[str, str] = {}
        records = self._records(paths)
        for dev, record in records:
            label = uuid = ""
            for line in record.splitlines():
                if line.startswith("E:ID_FS_LABEL_ENC="):
                    label = _unescape(line[len("E:ID_FS_LABEL_ENC="):])
                elif line.startswith("E:ID_FS_UUID_ENC="):
                    uuid = _unescape(line[len("E:ID_FS_UUID_ENC="):])
            if uuid:
                self.uuid_of[dev] = uuid
            if label and dev not in self.labelled.setdefault(label, []):
                self.labelled[label].append(dev)

    @staticmethod
    def _records(paths: _Paths) -> list[tuple[str, str]]:
        for _ in range(int(SETTLE_TIMEOUT / POLL)):
            found, pending = _read_records(paths)
            if not pending or not os.path.exists(paths.udev_queue):
                return found
            time.sleep(POLL)
        return _read_records(paths)[0]

    def only_device(self, label: str) -> str:
        """The one device with this filesystem label ("" when none)."""
        devices = self.labelled.get(label, [])
        if len(devices) > 1:
            listed = " ".join(devices)
            raise SetupError(listed, f'several filesystems are labelled "{label}" ({listed}): cannot tell which '
                             "one is this machine's; remove the label from all but one")
        return devices[0] if devices else ""


def _read_records(paths: _Paths) -> tuple[list[tuple[str, str]], bool]:
    """(device, udev record) of each block device udev has handled, and whether some device
    the kernel knows has no record yet."""
    found, pending = [], False
    try:
        entries = sorted(os.listdir(paths.sys_block))
    except OSError:
        return [], False
    for entry in entries:
        try:
            with open(os.path.join(paths.sys_block, entry, "dev")) as f:
                devnum = f.read().strip()
        except OSError:
            continue
        try:
            with open(os.path.join(paths.udev_data, f"b{devnum}"), encoding="utf-8", errors="replace") as f:
                found.append((f"/dev/{entry}", f.read()))
        except FileNotFoundError:
            pending = True
        except OSError:
            continue
    return found, pending


def _unescape(value: str) -> str:
    """udev's \\xHH escapes (a space in a label is \\x20)."""
    if "\\x" not in value:
        return value
    out, i = bytearray(), 0
    raw = value.encode()
    while i < len(raw):
        if raw[i:i + 2] == b"\\x" and i + 4 <= len(raw):
            try:
                out.append(int(raw[i + 2:i + 4], 16))
                i += 4
                continue
            except ValueError:
                pass
        out.append(raw[i])
        i += 1
    return out.decode(errors="replace")


# --- picking up configs -------------------------------------------------------------------


class _Picked:
    """The user config found first, and where it came from."""

    def __init__(self, system_dir: str) -> None:
        self.system_dir = system_dir
        self.user_from = ""

    def user_config(self, path: str, what: str) -> None:
        if not os.path.isfile(path):
            return
        if self.user_from:
            log.info("setup: ignoring the user config of %s: the one of %s comes first", what, self.user_from)
            return
        _copy(path, os.path.join(self.system_dir, distro.USER_CONFIG), what)
        self.user_from = what
        log.info("setup: user config from %s", what)


def _pick_up_oem(picked: _Picked, where: str, what: str) -> None:
    user, base = os.path.join(where, "config.ign"), os.path.join(where, "base", "base.ign")
    picked.user_config(user, f"{what} (config.ign)")
    if os.path.isfile(base):
        _copy(base, os.path.join(picked.system_dir, distro.BASE_DIR, "base.ign"), what)
        log.info("setup: base config from %s (base/base.ign)", what)
    if not os.path.isfile(user) and not os.path.isfile(base):
        log.info("setup: %s holds neither config.ign nor base/base.ign", what)


def _copy(source: str, dest: str, what: str) -> None:
    try:
        with open(source, "rb") as f:
            data = f.read()
    except OSError as exc:
        raise SetupError(source, f"cannot read the config of {what}: {exc.strerror or exc}") from None
    state.write_private(dest, data, what=f"the config of {what}")


def _with_mounted(paths: _Paths, device: str, use: Callable[[str], None]) -> None:
    """`use(mountpoint)` with `device` mounted read-only, on a mount point in the state
    directory (a failed umount leaves it, still in use)."""
    from ignite.errors import MountError
    from ignite.system.mounts import Mounted

    try:
        with Mounted(device, "setup-mount.", base=paths.state_dir) as mnt:
            use(mnt)  # reads files: a MountError is the mount's
    except MountError:
        raise SetupError(device, f"cannot mount {device} ({os.path.realpath(device)}) read-only: "
                         "check its filesystem") from None


# --- the first-boot stamp -----------------------------------------------------------------


def _note_stamp(paths: _Paths, disks: _Disks) -> None:
    fs_file = os.path.join(paths.state_dir, distro.STAMP_FS)
    missing_file = os.path.join(paths.state_dir, distro.STAMP_MISSING)
    for stale in (fs_file, missing_file):
        try:
            os.unlink(stale)
        except FileNotFoundError:
            pass
    labels = STAMP_LABELS.get(paths.stamp, ())
    for label in labels:
        device = disks.only_device(label)
        uuid = disks.uuid_of.get(device, "") if device else ""
        if uuid:
            state.write_private(fs_file, f"{uuid} {label}\n".encode(), what="the stamp's filesystem")
            log.info("setup: first-boot stamp on the filesystem labelled %s (UUID %s)", label, uuid)
            return
    # ignite-firstboot-complete runs only when one of the two files exists: with no
    # filesystem to remove a stamp from, the kernel's first_boot=detected (flatcar) is an
    # error it reports; ignition.firstboot without a boot filesystem (PXE, a menu entry)
    # has nothing to remove.
    if paths.stamp == "flatcar":
        state.write_private(missing_file, (" ".join(labels) + "\n").encode(), what="the stamp's note")

