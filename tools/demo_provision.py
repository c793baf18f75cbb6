"""`make demo`: provision a disk image from a real example config with `ignite apply`.

Partitions, filesystems, files, a user and a systemd unit go onto a sparse disk image;
then the demo prints ignite's report, the partition listing and the resulting tree.
As root it uses loop devices; without root it applies only what needs no devices (files,
units; users need root too) into a directory and says what it skipped.

    python tools/demo_provision.py [--config FILE] [--workdir DIR] [--keep]
"""
from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

DEMO_CONFIG = {
    "ignition": {"version": "3.4.0"},
    "storage": {
        "disks": [{"device": "/dev/vda", "wipeTable": True, "partitions": [
            {"number": 1, "label": "EFI-SYSTEM", "sizeMiB": 32, "typeGuid": "C12A7328-F81F-11D2-BA4B-00A0C93EC93B"},
            {"number": 2, "label": "swap", "sizeMiB": 32, "typeGuid": "0657FD6D-A4AB-43C4-84E5-0933C84B4F4F"},
            {"number": 3, "label": "root", "sizeMiB": 160},
            {"number": 4, "label": "var", "sizeMiB": 0},
        ]}],
        "filesystems": [
            {"device": "/dev/disk/by-partlabel/EFI-SYSTEM", "format": "vfat", "label": "EFI"},
            {"device": "/dev/disk/by-partlabel/swap", "format": "swap", "label": "swap"},
            {"device": "/dev/disk/by-partlabel/root", "format": "ext4", "label": "root", "path": "/"},
            {"device": "/dev/disk/by-partlabel/var", "format": "xfs", "label": "var", "path": "/var",
             "mountOptions": ["noatime"]},
        ],
        "files": [
            {"path": "/etc/hostname", "mode": 420, "contents": {"source": "data:,demo-node%0A"}},
            {"path": "/etc/motd", "mode": 420, "contents": {"source": "data:,Provisioned%20by%20ignite.%0A"}},
            {"path": "/var/lib/demo/state", "mode": 384, "contents": {"source": "data:,fresh"}},
        ],
        "directories": [{"path": "/var/log/demo", "mode": 493}],
        "links": [{"path": "/etc/localtime", "target": "/usr/share/zoneinfo/UTC"}],
    },
    "passwd": {"users": [{"name": "core", "groups": ["wheel"],
                          "sshAuthorizedKeys": ["ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIDemoKeyOnly demo@ignite"]}],
               "groups": [{"name": "wheel"}]},
    "systemd": {"units": [{"name": "hello.service", "enabled": True, "contents":
                           "[Unit]\nDescription=Say hello\n\n[Service]\nType=oneshot\n"
                           "ExecStart=/bin/echo hello from ignite\n\n[Install]\nWantedBy=multi-user.target\n"}]},
}
IMAGE_MIB = 600  # xfs needs 300 MiB


def _seed_root(root: Path) -> None:
    """A minimal target: the account files useradd --root edits."""
    etc = root / "etc"
    etc.mkdir(parents=True, exist_ok=True)
    for name, text in {"passwd": "root:x:0:0:root:/root:/bin/sh\n", "group": "root:x:0:\n",
                       "shadow": "root:*:19000:0:99999:7:::\n", "gshadow": "root:*::\n"}.items():
        if not (etc / name).exists():
            (etc / name).write_text(text)
            os.chmod(etc / name, 0o600 if "sh" in name else 0o644)


def _tree(top: Path, out: list[str], skip=("lost+found",)) -> None:
    for path in sorted(top.rglob("*")):
        rel = path.relative_to(top)
        if rel.parts and rel.parts[0] in skip or "lost+found" in rel.parts:
            continue
        st = path.lstat()
        kind = "l" if path.is_symlink() else "d" if path.is_dir() else "-"
        extra = f" -> {os.readlink(path)}" if path.is_symlink() else ""
        out.append(f"  {kind} {oct(st.st_mode & 0o7777)[2:]:>4} {st.st_uid:>5}:{st.st_gid:<5} /{rel}{extra}")


def _show_image(image: Path, work: Path) -> None:
    """Attaches the image again, read-only, and prints partitions, filesystems and the tree."""
    from ignite.system import blkid, loop, mounts, partx
    from ignite.system.run import run

    print("\n== partitions (sgdisk --print) ==")
    print(run("sgdisk", "--print", str(image)).stdout.split("\n\n", 1)[-1].rstrip())
    node = loop.attach(str(image))
    mnt = work / "inspect"
    mnt.mkdir(exist_ok=True)
    done: list[str] = []
    try:
        partx.sync(node)
        print("\n== filesystems (blkid) ==")
        nodes = mounts.partition_nodes(node)
        for number in sorted(nodes):
            sig = blkid.probe(nodes[number])
            print(f"  {nodes[number]}: TYPE={sig.type or '-'} LABEL={sig.label or '-'} UUID={sig.uuid or '-'}")
        mounts.mount(nodes[3], str(mnt), "ext4", ["ro"])
        done.append(str(mnt))
        mounts.mount(nodes[4], str(mnt / "var"), "xfs", ["ro"])
        done.append(str(mnt / "var"))
        print("\n== resulting tree (root and /var, from the image) ==")
        lines: list[str] = []
        _tree(mnt, lines)
        print("\n".join(lines))
        print("\n== ignite status --long --timings (from /etc/ignite/report.json in the image) ==", flush=True)
        from ignite import cli

        cli.main(["status", "--long", "--timings", f"--root={mnt}", f"--state-file={mnt}/nonexistent/state"])
    finally:
        for point in reversed(done):
            mounts.umount(point)
        partx.delete(node)
        loop.detach(node)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--config", type=Path, help="config to apply (default: the embedded example)")
    parser.add_argument("--workdir", type=Path, help="where the image and root go (default: a temp dir)")
    parser.add_argument("--keep", action="store_true", help="keep the image and root afterwards")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(name)s: %(message)s")

    from ignite.apply import apply
    from ignite.errors import IgniteError

    work = Path(args.workdir or tempfile.mkdtemp(prefix="ignite-demo-"))
    work.mkdir(parents=True, exist_ok=True)
    os.chmod(work, 0o755)  # the files stage writes a user's files as that user: the path must be traversable
    root = work / "root"
    config = json.loads(args.config.read_text()) if args.config else DEMO_CONFIG
    is_root = os.geteuid() == 0
    skipped_parts = []
    if not is_root:
        skipped_parts.append("disks, filesystems, mounts: need root (loop devices, mkfs, mount)")
        if config.get("passwd"):
            config = {k: v for k, v in config.items() if k != "passwd"}
            skipped_parts.append("users and groups: useradd --root needs root")
        if config.get("storage", {}).get("links"):
            storage = {k: v for k, v in config["storage"].items() if k != "links"}
            config = {**config, "storage": storage}
            skipped_parts.append("links: a link is owned by root:root, which only root can set")
    cfg_file = work / "config.ign"
    cfg_file.write_text(json.dumps(config, indent=2))
    image = work / "disk.img"
    with open(image, "wb") as f:
        f.truncate(IMAGE_MIB * 1024 * 1024)

    print(f"== ignite apply {cfg_file} --root {root} --device-map /dev/vda={image} ==")
    try:
        result = apply(cfg_file, root, {"/dev/vda": str(image)}, devices=is_root, before_files=_seed_root)
    except IgniteError as exc:
        print(f"apply failed: {exc}", file=sys.stderr)
        return 1
    print(f"stages run: {', '.join(result.ran)}")
    for stage, why in result.skipped.items():
        print(f"skipped {stage}: {why}")
    for what in skipped_parts:
        print(f"skipped {what}")
    if is_root:
        _show_image(image, work)
    else:
        print("\n== resulting tree (directory root) ==")
        lines: list[str] = []
        _tree(root, lines)
        print("\n".join(lines))
    if not args.keep and not args.workdir:
        import shutil

        shutil.rmtree(work)
    else:
        print(f"\nkept: {work}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
