"""mount/umount, and which block devices are in use (mounted or held)."""
from __future__ import annotations

import os

from ignite import distro
from ignite.errors import CommandError, DeviceError, MountError

TYPE_CHECKING = False  # not typing's, nor collections': this module is on a boot stage's start-up path
if TYPE_CHECKING:
    from collections.abc import Sequence


class ScratchDir:
    """A new private (0700) directory in `base` ($TMPDIR or /tmp by default), for a mount
    point or a scratch file, named without waiting for the kernel's random pool (tempfile's
    names seed random from it: ignite.entropy). Removed on exit with rmdir, never
    recursively: a filesystem whose umount failed stays mounted on it, and nothing on it is
    deleted."""

    def __init__(self, prefix: str, base: str = "") -> None:
        self.prefix = prefix
        self.base = base or distro.env(distro.SCRATCH_DIR_ENV, distro.SCRATCH_DIR)
        self.path = ""

    def __enter__(self) -> str:
        from ignite.entropy import random_hex

        while True:
            path = os.path.join(self.base, f"{self.prefix}{random_hex()}")
            try:
                os.mkdir(path, 0o700)
            except FileExistsError:
                continue
            self.path = path
            return path

    def __exit__(self, error: type[BaseException] | None, *_: object) -> None:
        try:
            os.rmdir(self.path)
        except OSError:
            if error is None:
                raise
            # The error on its way out says why the directory is not empty (a mount left on it).


class Mounted:
    """`device` mounted on a new ScratchDir (`prefix`, in `base`) for the block, then
    unmounted and the directory removed: a config drive, the OEM partition or a 2.x named
    filesystem, for one read or one change. A mount that fails raises MountError, before
    the block. The unmount is tried `attempts` times, a fifth of a second more apart each
    time (a device briefly busy: a CD-ROM's udev probe); then its DeviceError is raised
    and the directory stays, still in use."""

    def __init__(self, device: str, prefix: str, *, fstype: str | None = None,
                 options: Sequence[str] = ("ro",), base: str = "", attempts: int = 1) -> None:
        self.device, self.fstype, self.options, self.attempts = device, fstype, options, attempts
        self.scratch = ScratchDir(prefix, base)

    def __enter__(self) -> str:
        path = self.scratch.__enter__()
        try:
            mount(self.device, path, self.fstype, self.options)
        except CommandError as exc:
            self.scratch.__exit__(None)
            raise MountError(self.device, f"cannot mount: {exc}") from None
        except BaseException:
            self.scratch.__exit__(None)
            raise
        return path

    def __exit__(self, error: type[BaseException] | None, *_: object) -> None:
        import time

        for attempt in range(self.attempts):
            try:
                umount(self.scratch.path)
                break
            except DeviceError:
                if attempt == self.attempts - 1:  # the directory stays: still mounted
                    if error is None:
                        raise
                    return  # the block's own error says more
                time.sleep(0.2 * (attempt + 1))
        self.scratch.__exit__(error)


def mount(device: str, target: str, fstype: str | None, options: Sequence[str]) -> None:
    """mount(8), which guesses the type when `fstype` is None."""
    from ignite.system.run import run

    run("mount", "-o", ",".join(options), *(("-t", fstype) if fstype else ()), device, target)


def umount(target: str) -> None:
    """umount2(2), as upstream unmounts: no umount(8) process (and no subprocess import)
    per filesystem, which cost the umount stage more than the unmounting itself."""
    from ignite.system import libc

    if libc.function("umount2")(os.fsencode(target), 0) != 0:
        raise DeviceError(target, f"umount failed: {os.strerror(libc.errno())}")


def sync_filesystems(paths: Sequence[str]) -> None:
    """syncfs(2) of the filesystem of each path: this target's writeback, not the whole
    machine's (os.sync waits for every disk's, other workloads' too). Through libc, as
    umount2: no process per sync. Where libc has no syncfs, os.sync. An I/O error of the
    writeback is an OSError: the data may not be on disk."""
    from ignite.system import libc

    try:
        syncfs = libc.function("syncfs")
    except OSError:
        os.sync()
        return
    for path in paths:
        fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
        try:
            libc.check(syncfs(fd), path)
        finally:
            os.close(fd)


def sync_tree(path: str, mountinfo: str = distro.MOUNTINFO) -> None:
    """The writeback of the filesystem holding `path` and of those mounted below it. Without
    a mountinfo to read (no /proc, as in an image build's chroot) the mounts below are not
    known: the whole machine's writeback (os.sync) covers them."""
    try:
        points = mounts_at_or_below(path, mountinfo)
    except FileNotFoundError:
        os.sync()
        return
    sync_filesystems(points)


def mounts_at_or_below(path: str, mountinfo: str = distro.MOUNTINFO) -> list[str]:
    """`path` and every mount point below it in this namespace's mountinfo, parents first."""
    top = os.path.realpath(path)
    found = [top]
    with open(mountinfo, "rb") as info:
        for line in info:
            fields = line.split()
            if len(fields) < 5:
                continue
            point = os.fsdecode(_unescape(fields[4]))
            if point.startswith(top.rstrip("/") + "/") and point not in found:
                found.append(point)
    return found


def _unescape(field: bytes) -> bytes:
    """mountinfo writes space, tab, newline and backslash as 3-digit octal escapes."""
    if b"\\" not in field:
        return field
    out = bytearray()
    i = 0
    while i < len(field):
        digits = field[i + 1 : i + 4]
        if field[i] == 0x5C and len(digits) == 3 and digits.isdigit():
            out.append(int(digits, 8))
            i += 4
        else:
            out.append(field[i])
            i += 1
    return bytes(out)


def mounted_devnums() -> set[str]:
    """major:minor of every mounted device, from this namespace's mountinfo."""
    with open(distro.MOUNTINFO) as info:
        return {line.split()[2] for line in info if line.strip()}


def is_mountpoint(path: str) -> bool:
    with open(distro.MOUNTINFO) as info:
        return any(line.split()[4] == path for line in info if line.strip())


def _sys(node: str) -> str:
    return os.path.join("/sys/class/block", os.path.basename(os.path.realpath(node)))


def _read_int(path: str) -> int:
    with open(path) as f:
        return int(f.read())


def devnum(node: str) -> str:
    st = os.stat(node)
    return f"{os.major(st.st_rdev)}:{os.minor(st.st_rdev)}"


def in_use(node: str, mounted: set[str] | None = None) -> bool:
    """Mounted, or held by another device (RAID, device-mapper)."""
    mounted = mounted_devnums() if mounted is None else mounted
    if devnum(node) in mounted:
        return True
    try:
        return bool(os.listdir(os.path.join(_sys(node), "holders")))
    except (FileNotFoundError, NotADirectoryError):
        return False


def partition_nodes(disk: str) -> dict[int, str]:
    """{number: /dev node} of the partitions the kernel knows on `disk`."""
    sysdir = _sys(disk)
    found: dict[int, str] = {}
    try:
        children = os.listdir(sysdir)
    except (FileNotFoundError, NotADirectoryError):
        return found
    for child in children:
        try:
            number = _read_int(os.path.join(sysdir, child, "partition"))
        except (FileNotFoundError, NotADirectoryError, ValueError):
            continue  # not a partition, or removed while we looked
        found[number] = f"/dev/{child}"
    return found


def kernel_geometry(node: str) -> tuple[int, int]:
    """(start, size) of a partition in 512-byte sectors, as the kernel sees it."""
    sysdir = _sys(node)
    return _read_int(os.path.join(sysdir, "start")), _read_int(os.path.join(sysdir, "size"))
