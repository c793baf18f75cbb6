"""Disk images for the guests, made on the host without loop devices or mounts (mke2fs -d
at an offset, then the GPT: mke2fs zaps the first and last sectors, so never the other
way round), and reading them back afterwards through loop devices mounted read-only."""
from __future__ import annotations

import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

MIB = 1024 * 1024

# A minimal OS root as an image would ship it: the account databases useradd needs.
ROOT_FILES = {
    "etc/os-release": "ID=ignite-e2e\nNAME=\"ignite e2e root\"\n",
    "etc/passwd": "root:x:0:0:root:/root:/bin/sh\n",
    "etc/group": "root:x:0:\nwheel:x:10:\nusers:x:100:\n",
    "etc/shadow": "root:*:19000:0:99999:7:::\n",
    "etc/gshadow": "root:*::\nwheel:*::\nusers:*::\n",
}
ROOT_MODES = {"etc/shadow": 0o640, "etc/gshadow": 0o640, "sbin/init": 0o755}
# The real root's PID 1 after switch-root: proves the handoff, then leaves the filesystem
# clean (read-only) so that a later boot finds it byte for byte as provisioned.
ROOT_FILES["sbin/init"] = """#!/bin/busybox sh
echo "IGNITE-E2E-ROOT: switched into the provisioned root" > /dev/console
# Only if writable: remounting an already read-only ext4 still rewrites its superblock.
if /bin/busybox grep -q '^[^ ]* / [^ ]* rw' /proc/mounts; then
    /bin/busybox mount -o remount,ro / 2> /dev/console
fi
/bin/busybox sync
/bin/busybox poweroff -f
"""
BUSYBOX = Path("/bin/busybox")


def sh(*argv: str | Path, input: bytes | None = None) -> str:
    done = subprocess.run([str(a) for a in argv], input=input, capture_output=True)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(map(str, argv))} failed: {done.stderr.decode(errors='replace')}")
    return done.stdout.decode(errors="replace")


def _tree(base: Path, files: dict[str, str | bytes], modes: dict[str, int] | None = None) -> Path:
    base.mkdir(parents=True, exist_ok=True)
    for rel, data in files.items():
        p = base / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(data.encode() if isinstance(data, str) else data)
        p.chmod((modes or {}).get(rel, 0o644))
    return base


def os_disk(path: Path, workdir: Path, size_mib: int = 400, root_mib: int = 100,
            selinux_config: bool = False) -> None:
    """GPT with partition 1 `root` (ext4 labelled root holding a minimal /etc); the rest
    of the disk is free for the config to partition. `selinux_config`: the SELinux config
    (disabled) Debian's Ignition 2.14 files stage insists on reading."""
    files = dict(ROOT_FILES)
    if selinux_config:
        files["etc/selinux/config"] = "SELINUX=disabled\nSELINUXTYPE=targeted\n"
    tree = _tree(workdir / "rootfs", files, ROOT_MODES)
    login_defs = Path("/etc/login.defs")
    if login_defs.exists():
        (tree / "etc" / "login.defs").write_bytes(login_defs.read_bytes())
    for d in ("home", "dev", "proc", "sys", "run", "tmp"):
        (tree / d).mkdir(exist_ok=True)
    if not BUSYBOX.exists():
        raise RuntimeError("the e2e root needs a static /bin/busybox (Debian package busybox-static)")
    (tree / "bin").mkdir(exist_ok=True)
    (tree / "bin" / "busybox").write_bytes(BUSYBOX.read_bytes())
    (tree / "bin" / "busybox").chmod(0o755)
    with open(path, "wb") as f:
        f.truncate(size_mib * MIB)
    sh("mkfs.ext4", "-q", "-F", "-L", "root", "-d", tree, "-E", f"offset={MIB}", path, f"{root_mib}M")
    sh("sgdisk", f"--new=1:2048:+{root_mib}M", "--change-name=1:root", path)


def blank_disk(path: Path, size_mib: int) -> None:
    with open(path, "wb") as f:
        f.truncate(size_mib * MIB)


def oem_disk(path: Path, workdir: Path, oem: dict[str, str | bytes], boot: dict[str, str | bytes]) -> None:
    """Partition 1 `boot` (ext4 labelled boot) and partition 2 `OEM` (ext4 labelled OEM),
    as an installer leaves them; each filled with the given files."""
    with open(path, "wb") as f:
        f.truncate(64 * MIB)
    sh("mkfs.ext4", "-q", "-F", "-L", "boot", "-d", _tree(workdir / "bootfs", boot),
       "-E", f"offset={MIB}", path, "24M")
    sh("mkfs.ext4", "-q", "-F", "-L", "OEM", "-d", _tree(workdir / "oemfs", oem),
       "-E", f"offset={32 * MIB}", path, "24M")
    sh("sgdisk", "--new=1:2048:+24M", "--change-name=1:boot", "--new=2:65536:+24M", "--change-name=2:OEM", path)


def partitions(image: Path) -> dict[int, dict[str, str]]:
    """{number: {first, last, label, type}} from the image's GPT, read with sgdisk."""
    out = {}
    for line in sh("sgdisk", "-p", image).splitlines():
        f = line.split()
        if len(f) >= 6 and f[0].isdigit():
            out[int(f[0])] = {"first": f[1], "last": f[2], "code": f[5],
                              "label": " ".join(f[6:]) if len(f) > 6 else ""}
    return out


def partition_offset(image: Path, number: int) -> int:
    return int(partitions(image)[number]["first"]) * 512


def read_ext4_file(image: Path, number: int, path: str) -> str:
    """A file of an ext4 partition of an image, read with debugfs (no loop, no mount)."""
    done = subprocess.run(["debugfs", "-R", f"cat {path}", f"{image}?offset={partition_offset(image, number)}"],
                          capture_output=True, text=True)
    if done.returncode != 0 or "File not found" in done.stderr:
        raise FileNotFoundError(f"{path} on partition {number} of {image}: {done.stderr.strip()}")
    return done.stdout


@contextmanager
def mounted_read_only(loopdevs, image: Path, workdir: Path) -> Iterator[dict[int, Path]]:
    """Attaches `image` (a loop device the fixture owns and guards), makes its partitions
    known with partx, mounts every one that has a mountable filesystem read-only, and
    yields {partition number: mount point}. Unmounted and detached by the fixture also
    on failure."""
    dev = loopdevs.attach(image)
    loopdevs.partx_sync(dev)
    points: dict[int, Path] = {}
    for number, node in sorted(loopdevs.partitions(dev).items()):
        fstype = loopdevs.blkid(node).get("TYPE", "")
        if fstype not in ("ext4", "xfs", "btrfs"):
            continue
        point = workdir / f"mnt-{image.stem}-{number}"
        point.mkdir(parents=True, exist_ok=True)
        loopdevs.guard(node)
        sh("mount", "-o", "ro,noload" if fstype == "ext4" else "ro", node, point)
        points[number] = point
    try:
        yield points
    finally:
        for point in points.values():
            subprocess.run(["umount", str(point)], check=False)
