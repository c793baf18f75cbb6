"""`make deb` and what the package holds, then the bar of issue 16: a clean Debian chroot,
`apt-get install ./ignite_*.deb`, `dracut -a ignite`, a QEMU boot, a provisioned disk."""
from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import pytest
from debpkg import REPO, in_chroot, run


def parser_pages() -> set[str]:
    """The man pages the CLI's own parser calls for: ignite and one per command."""
    sys_path_tools = str(REPO / "tools" / "install")
    import sys

    sys.path.insert(0, sys_path_tools)
    try:
        import manpages
    finally:
        sys.path.remove(sys_path_tools)
    return set(manpages.pages("0", "date"))


def test_lintian_accepts_the_package(deb: Path) -> None:
    done = run("lintian", "--pedantic", "--fail-on", "error", deb, check=False)
    errors = [line for line in done.stdout.splitlines() if line.startswith("E:")]
    assert done.returncode == 0 and not errors, done.stdout + done.stderr


def test_package_holds_command_module_and_a_man_page_per_command(deb: Path) -> None:
    listing = run("dpkg-deb", "-c", deb).stdout
    paths = {line.split()[-1].lstrip(".") for line in listing.splitlines()}
    assert "/usr/bin/ignite" in paths
    for name in ("module-setup.sh", "ignite-generator", "ignite-payload.py", "ignite-files.service"):
        assert f"/usr/lib/dracut/modules.d/30ignite/{name}" in paths
    assert "/usr/lib/python3/dist-packages/ignite/cli.py" in paths
    assert "/usr/lib/python3/dist-packages/ignite/_vendor/tftpy/__init__.py" in paths
    pages = {p.removeprefix("/usr/share/man/man1/").removesuffix(".1.gz")
             for p in paths if p.startswith("/usr/share/man/man1/") and p.endswith(".1.gz")}
    assert pages == parser_pages()
    depends = run("dpkg-deb", "-f", deb, "Depends").stdout
    assert "python3-requests" not in depends  # http(s) is on the standard library
    for name in ("python3-pyudev", "gdisk", "e2fsprogs", "xfsprogs", "dosfstools",
                 "mdadm", "cryptsetup", "dracut-core", "systemd", "iproute2", "ca-certificates"):
        assert name in depends, depends


@pytest.mark.root
def test_packaged_tftp_fetch_uses_the_private_tftpy(installed_chroot) -> None:
    """Debian has no python3-tftpy: the package's ignite._vendor.tftpy serves tftp://."""
    import hashlib

    pytest.importorskip("tftpy")  # the test's own server
    sys.path.insert(0, str(REPO / "tests"))
    try:
        from fetch.conftest import TftpServer
    finally:
        sys.path.pop(0)
    chroot = installed_chroot.root
    assert in_chroot(chroot, "python3", "-c", "import tftpy", check=False).returncode != 0
    served = chroot / "tmp" / "tftproot"
    served.mkdir()
    data = b"over tftp, with the packaged private tftpy\n"
    (served / "motd").write_bytes(data)
    server = TftpServer(str(served))
    try:
        config = {"ignition": {"version": "3.4.0"}, "storage": {"files": [{
            "path": "/etc/motd", "mode": 420,
            "contents": {"source": f"tftp://127.0.0.1:{server.port}/motd",
                         "verification": {"hash": "sha512-" + hashlib.sha512(data).hexdigest()}}}]}}
        (chroot / "tmp" / "tftp.ign").write_text(json.dumps(config))
        (chroot / "tmp" / "target").mkdir()
        # No /proc in the chroot; the files stage's report reads the boot id.
        boot_id = chroot / "proc" / "sys" / "kernel" / "random" / "boot_id"
        boot_id.parent.mkdir(parents=True, exist_ok=True)
        boot_id.write_text("00000000-0000-4000-8000-000000000016\n")
        in_chroot(chroot, "ignite", "apply", "/tmp/tftp.ign", "--root", "/tmp/target")
    finally:
        server.close()
    assert (chroot / "tmp" / "target" / "etc" / "motd").read_bytes() == data


@pytest.mark.root
@pytest.mark.e2e
@pytest.mark.slow
def test_clean_debian_apt_install_dracut_a_ignite_boots_and_provisions(installed_chroot, loopdevs,
                                                                        tmp_path) -> None:
    import images
    import qemu_guest as qemu

    chroot, plan = installed_chroot.root, installed_chroot.plan
    # Everything the package depends on is in the chroot's Debian: apt installed the .deb alone.
    assert [line.split()[1] for line in plan.splitlines() if line.startswith("Inst ")] == ["ignite"], plan
    from ignite import __version__

    assert __version__ in in_chroot(chroot, "ignite", "--version").stdout
    assert r"ignite\-validate \- " in in_chroot(chroot, "zcat", "/usr/share/man/man1/ignite-validate.1.gz").stdout

    # The kernel is lent: the e2e cloud kernel's modules, hard-linked into the chroot.
    e2e = qemu.build_images()
    kver = next(p.name.removeprefix("kernel-") for p in e2e.kernel.parent.glob("kernel-*") if (p / ".done").exists())
    modules = e2e.kernel.parent / f"kernel-{kver}" / "lib" / "modules" / kver
    (chroot / "lib" / "modules").mkdir(parents=True, exist_ok=True)
    run("cp", "-al", modules, chroot / "lib" / "modules" / kver)
    # The test-only reporter (verdict and journal on the serial console); ignite itself is
    # the packaged module in /usr/lib/dracut/modules.d/30ignite.
    shutil.copytree(REPO / "tools" / "e2e" / "99ignite-e2e", chroot / "usr/lib/dracut/modules.d/99ignite-e2e")
    assert not (chroot / "usr/lib/dracut/modules.d/30ignite/ignite-payload.py").is_symlink()
    in_chroot(chroot, "dracut", "--force", "--no-hostonly", "--kver", kver, "--compress", "cat",
              "-a", "ignite", "-a", "ignite-e2e", "/tmp/initrd.img")
    initrd = tmp_path / "initrd.img"
    shutil.move(chroot / "tmp" / "initrd.img", initrd)

    data = b"written by the packaged ignite module\n"
    config = {
        "ignition": {"version": "3.4.0"},
        "storage": {
            "disks": [{"device": "/dev/vda", "partitions": [{"number": 2, "label": "srv", "sizeMiB": 32}]}],
            "filesystems": [{"device": "/dev/disk/by-partlabel/srv", "format": "ext4", "label": "srv",
                             "path": "/srv"}],
            "files": [{"path": "/srv/deb.e2e", "mode": 420,
                       "contents": {"source": "data:;base64," + __import__("base64").b64encode(data).decode()}}]},
        "passwd": {"users": [{"name": "core", "groups": ["wheel"]}]},
    }
    (tmp_path / "config.ign").write_text(json.dumps(config))
    disk = tmp_path / "disk.img"
    images.os_disk(disk, tmp_path)
    boot = qemu.boot(qemu.Images(e2e.kernel, initrd), qemu.Guest(
        name="packaged-module", disks=[disk], fw_cfg_config=tmp_path / "config.ign",
        cmdline="ignition.firstboot ignition.platform.id=qemu root=LABEL=root ro"))
    assert boot.verdict == "PASS", boot.describe()
    assert "IGNITE-E2E-ROOT: switched into the provisioned root" in boot.console, boot.describe()
    assert boot.returncode == 0, boot.describe()
    with images.mounted_read_only(loopdevs, disk, tmp_path) as mnt:
        assert (mnt[2] / "deb.e2e").read_bytes() == data
        assert "core:" in (mnt[1] / "etc/passwd").read_text()
        assert "wheel:x:10:core" in (mnt[1] / "etc/group").read_text()


@pytest.mark.root
def test_missing_tool_is_named_and_stops_dracut(installed_chroot) -> None:
    """module-setup.sh's check() names each missing tool instead of building a broken image."""
    root = installed_chroot.root
    hidden = {root / tool: root / "tmp" / Path(tool).name for tool in ("usr/sbin/sgdisk", "usr/sbin/wipefs")}
    for tool, away in hidden.items():
        tool.rename(away)
    try:
        done = in_chroot(root, "dracut", "--force", "--no-hostonly", "--no-kernel", "-a", "ignite",
                         "/tmp/broken.img", check=False)
    finally:
        for tool, away in hidden.items():
            away.rename(tool)
    assert done.returncode != 0
    assert "needs the command 'sgdisk', which is not installed" in done.stderr, done.stderr
    assert "needs the command 'wipefs', which is not installed" in done.stderr, done.stderr
    assert not (root / "tmp" / "broken.img").exists()
    # A Python that is not there is named too.
    done = in_chroot(root, "env", "IGNITE_TARGET_PYTHON=/usr/bin/python3.99", "dracut", "--force",
                     "--no-hostonly", "--no-kernel", "-a", "ignite", "/tmp/broken.img", check=False)
    assert done.returncode != 0
    assert "needs the Python interpreter '/usr/bin/python3.99', which is not installed" in done.stderr, done.stderr
