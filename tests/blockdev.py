"""Shared block-device fixtures: loop devices over image files that the test created,
always detached (and everything on them unmounted), partitions made known with partx,
and a udevd in a private mount namespace so that /dev/disk/by-* links exist.

Safety: `LoopDevices.guard` refuses any block device that is not one of the fixture's
own loop devices or a partition of one; every helper here that touches a device calls
it first. Import the fixtures in a conftest.py:

    from tests.blockdev import loopdevs, udevd  # noqa: F401
"""
from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

UDEVD = "/lib/systemd/systemd-udevd"
_TOOLS = ("losetup", "partx", "sgdisk", "blkid", "mount", "umount")


def missing_requirements() -> str | None:
    """Why loop-device tests cannot run here, or None."""
    if os.geteuid() != 0:
        return "needs root (loop devices)"
    missing = [t for t in _TOOLS if shutil.which(t) is None]
    if missing:
        return f"needs {', '.join(missing)}"
    if not Path("/dev/loop-control").exists():
        return "no /dev/loop-control (no loop device support)"
    return None


def _cmd(*argv: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run(argv, capture_output=True, text=True, check=check)


class GuardError(AssertionError):
    """A test tried to touch a block device the fixture did not create."""


class LoopDevices:
    """Loop devices over sparse image files in `workdir`; `close()` undoes everything."""

    def __init__(self, workdir: Path):
        self.workdir = Path(workdir)
        self.devices: list[str] = []
        self.images: dict[str, Path] = {}

    # --- the guard ---------------------------------------------------------------------

    def guard(self, node: str) -> str:
        """`node` resolved, if it is one of ours (disk or partition); GuardError otherwise."""
        real = os.path.realpath(node)
        for dev in self.devices:
            if real == dev or re.fullmatch(re.escape(dev) + r"p\d+", real):
                return real
        raise GuardError(f"refusing to touch {node} ({real}): not a loop device of this test")

    def owns(self, node: str) -> bool:
        try:
            self.guard(node)
        except GuardError:
            return False
        return True

    # --- making and attaching ----------------------------------------------------------

    def image(self, size_mib: int, name: str | None = None) -> Path:
        path = self.workdir / (name or f"disk{len(self.images) + len(self.devices)}.img")
        with open(path, "wb") as f:
            f.truncate(size_mib * 1024 * 1024)
        return path

    def attach(self, image: Path) -> str:
        dev = _cmd("losetup", "--find", "--show", str(image)).stdout.strip()
        if not re.fullmatch(r"/dev/loop\d+", dev):
            raise GuardError(f"losetup returned {dev!r}")
        self.devices.append(dev)
        self.images[dev] = Path(image)
        return dev

    def create(self, size_mib: int, name: str | None = None) -> str:
        """A new zeroed (sparse) disk of `size_mib` MiB behind a loop device."""
        return self.attach(self.image(size_mib, name))

    def partition(self, dev: str, *sgdisk_args: str) -> None:
        """Lays out a table with sgdisk (test setup, not ignite) and tells the kernel."""
        self.guard(dev)
        _cmd("sgdisk", *sgdisk_args, dev)
        self.partx_sync(dev)

    def partx_sync(self, dev: str) -> None:
        """The kernel's partitions of `dev` := its table (this kernel parses none itself)."""
        self.guard(dev)
        _cmd("partx", "--delete", dev, check=False)
        _cmd("partx", "--add", dev, check=False)

    def partitions(self, dev: str) -> dict[int, str]:
        self.guard(dev)
        sysdir = Path("/sys/class/block") / os.path.basename(dev)
        found = {}
        for child in sysdir.iterdir():
            if (child / "partition").is_file():
                found[int((child / "partition").read_text())] = f"/dev/{child.name}"
        return found

    def mkfs(self, node: str, fmt: str, *args: str) -> None:
        self.guard(node)
        tool = {"swap": "mkswap"}.get(fmt, f"mkfs.{fmt}")
        force = {"ext4": ["-F"], "xfs": ["-f"], "btrfs": ["-f"], "swap": ["-f"]}.get(fmt, [])
        _cmd(tool, *force, *args, node)

    def mount(self, node: str, target: Path) -> None:
        self.guard(node)
        target.mkdir(parents=True, exist_ok=True)
        _cmd("mount", node, str(target))

    # --- facts, for comparing results ---------------------------------------------------

    def table(self, dev: str) -> list[dict[str, object]]:
        """[{number, start, size, type, guid, label}] of `dev`'s GPT, by number."""
        self.guard(dev)
        from ignite.system import sgdisk

        info = sgdisk.read(dev)
        return [
            {"number": p.number, "start": p.start, "size": p.size, "type": p.type_guid,
             "guid": p.guid, "label": p.label}
            for _, p in sorted(info.partitions.items())
        ]

    def blkid(self, node: str) -> dict[str, str]:
        """TYPE, LABEL, UUID, … of a low-level probe (empty when blank)."""
        self.guard(node)
        out = _cmd("blkid", "--probe", "--output", "export", node, check=False).stdout
        return dict(line.split("=", 1) for line in out.splitlines() if "=" in line)

    # --- undoing ------------------------------------------------------------------------

    def _mounts_of_ours(self) -> list[str]:
        nums = set()
        for dev in self.devices:
            sysdir = Path("/sys/class/block") / os.path.basename(dev)
            if not sysdir.exists():
                continue
            nums.add((sysdir / "dev").read_text().strip())
            for child in sysdir.iterdir():
                if (child / "partition").is_file():
                    nums.add((child / "dev").read_text().strip())
        with open("/proc/self/mountinfo") as info:
            points = [line.split()[4] for line in info if line.split()[2] in nums]
        return sorted(points, key=lambda p: p.count("/"), reverse=True)

    def close(self) -> None:
        """Unmounts everything on our devices, removes their partitions, detaches them."""
        for point in self._mounts_of_ours():
            if _cmd("umount", point, check=False).returncode != 0:
                _cmd("umount", "--lazy", point, check=False)
        for dev in reversed(self.devices):
            _cmd("partx", "--delete", dev, check=False)
            for _attempt in range(20):
                if _cmd("losetup", "--detach", dev, check=False).returncode == 0:
                    break
                time.sleep(0.1)
        self.devices.clear()
        for image in self.images.values():
            image.unlink(missing_ok=True)
        self.images.clear()


class Udevd:
    """systemd-udevd in a private mount namespace (own tmpfs on /run, no inotify "watch"
    rule, whose BLKRRPART would drop the partx-made partitions on a kernel without
    partition parsers). Stopped by pid; the /dev/disk links it made are removed."""

    def __init__(self) -> None:
        script = (
            "mount -t tmpfs tmpfs /run && mkdir -p /run/udev/rules.d && "
            "ln -s /dev/null /run/udev/rules.d/60-block.rules && "
            f"exec {UDEVD}"
        )
        self.proc = subprocess.Popen(
            ["unshare", "--mount", "--propagation", "private", "sh", "-c", script],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while not self.ready():
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError("systemd-udevd did not start")
            time.sleep(0.05)

    def ready(self) -> bool:
        return _cmd("nsenter", "-t", str(self.proc.pid), "-m", "udevadm", "control", "--ping",
                    check=False).returncode == 0

    def settle(self, loops: LoopDevices, dev: str) -> None:
        """Re-announces `dev` and its partitions and waits until udev handled them."""
        loops.guard(dev)
        nodes = [dev, *loops.partitions(dev).values()]
        _cmd("nsenter", "-t", str(self.proc.pid), "-m", "udevadm", "trigger", "--settle",
             "--action", "change", *nodes, check=False)

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.kill(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        remove_loop_links()


def remove_loop_links() -> None:
    """Removes dangling /dev/disk/by-* links to loop devices (left when a test udevd stopped
    before it handled a removal). Links to existing devices stay: they may be someone
    else's."""
    base = Path("/dev/disk")
    if not base.is_dir():
        return
    for kind in base.iterdir():
        if not kind.is_dir():
            continue
        for link in kind.iterdir():
            if (link.is_symlink() and os.path.basename(os.readlink(link)).startswith("loop")
                    and not link.exists()):
                link.unlink(missing_ok=True)


@pytest.fixture
def loopdevs(tmp_path: Path) -> Iterator[LoopDevices]:
    why = missing_requirements()
    if why:
        pytest.skip(why)
    loops = LoopDevices(tmp_path)
    try:
        yield loops
    finally:
        loops.close()


@pytest.fixture(scope="session")
def udevd() -> Iterator[Udevd | None]:
    """A udevd for the whole session, or None (tests needing links skip)."""
    if missing_requirements() or not os.path.exists(UDEVD) or shutil.which("nsenter") is None:
        yield None
        return
    daemon = Udevd()
    try:
        yield daemon
    finally:
        daemon.stop()
