"""`make install`: DESTDIR and PREFIX honoured, the ignite command runs from what it
installed, a man page per command of the CLI's parser, and clear refusals (a read-only
DESTDIR, a system without dracut) before anything is written."""
from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
from debpkg import REPO, in_chroot, run

pytestmark = pytest.mark.root
SYSTEM_PYTHON = Path("/usr/bin/python3")


def make_install(*overrides: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return run("make", "-s", "-C", REPO, "install", *overrides, check=check, timeout=300)


def parser_pages() -> set[str]:
    import sys

    sys.path.insert(0, str(REPO / "tools" / "install"))
    try:
        import manpages
    finally:
        sys.path.pop(0)
    return set(manpages.pages("0", "date"))


@pytest.fixture(autouse=True)
def _debian_python() -> None:
    if not SYSTEM_PYTHON.exists():
        pytest.skip("needs /usr/bin/python3")
    if subprocess.run([SYSTEM_PYTHON, "-c", "import installer, pip"], capture_output=True).returncode:
        pytest.skip("needs python3-installer and python3-pip (tools/debian-packages.txt)")


def test_destdir_prefix_usr_lays_out_a_debian_system(tmp_path: Path) -> None:
    dest = tmp_path / "dest"
    make_install(f"DESTDIR={dest}", "PREFIX=/usr")
    site = dest / "usr/lib/python3/dist-packages"
    assert (site / "ignite" / "cli.py").is_file()
    assert (site / "ignite" / "schemas" / "3.4.0.json").is_file()
    command = dest / "usr/bin/ignite"
    assert command.read_text().startswith("#!/usr/bin/python3\n")
    module = dest / "usr/lib/dracut/modules.d/30ignite"
    assert sorted(p.name for p in module.iterdir()) == sorted(p.name for p in (REPO / "dracut/30ignite").iterdir())
    assert os.access(module / "module-setup.sh", os.X_OK) and os.access(module / "ignite-generator", os.X_OK)
    pages = {p.name.removesuffix(".1") for p in (dest / "usr/share/man/man1").iterdir()}
    assert pages == parser_pages()
    from ignite import __version__

    done = run(SYSTEM_PYTHON, command, "--version", env={"PYTHONPATH": str(site)})
    assert f"ignite {__version__}" in done.stdout
    # The run page says what `ignite run --help` says, option by option.
    page = (dest / "usr/share/man/man1/ignite-run.1").read_text()
    helptext = run(SYSTEM_PYTHON, "-m", "ignite", "run", "--help", env={"PYTHONPATH": str(REPO)}).stdout
    for option in ("--stage", "--platform", "--config-cache", "--fetch-timeout"):
        assert option in helptext and option.replace("-", "\\-") in page


def test_prefix_usr_local_goes_where_debian_python_looks(tmp_path: Path) -> None:
    make_install(f"DESTDIR={tmp_path}", "PREFIX=/usr/local")
    found = list(tmp_path.glob("usr/local/lib/python3*/dist-packages/ignite/cli.py"))
    assert found, sorted(str(p) for p in tmp_path.rglob("cli.py"))
    assert (tmp_path / "usr/local/bin/ignite").is_file()
    assert (tmp_path / "usr/local/share/man/man1/ignite.1").is_file()
    # dracut reads only its own modules directory, whatever PREFIX is.
    assert (tmp_path / "usr/lib/dracut/modules.d/30ignite/module-setup.sh").is_file()


def test_read_only_destdir_is_refused_with_the_reason(loopdevs, tmp_path: Path) -> None:
    image = tmp_path / "ro.img"
    with open(image, "wb") as f:
        f.truncate(16 << 20)
    run("mkfs.ext4", "-q", "-F", image)
    dev = loopdevs.attach(image)
    point = tmp_path / "ro"
    point.mkdir()
    loopdevs.guard(dev)
    run("mount", "-o", "ro", dev, point)
    try:
        done = make_install(f"DESTDIR={point}", "PREFIX=/usr", check=False)
    finally:
        run("umount", point)
    assert done.returncode != 0
    assert f"make install: cannot write to {point} (Read-only file system)" in done.stderr, done.stderr


def test_system_without_dracut_is_refused_before_anything_is_written(tmp_path: Path) -> None:
    prefix = tmp_path / "prefix"
    done = make_install("DESTDIR=", f"PREFIX={prefix}", f"DRACUTMODDIR={tmp_path}/no-dracut/modules.d",
                        check=False)
    assert done.returncode != 0
    assert f"dracut is not installed on this system ({tmp_path}/no-dracut does not exist)" in done.stderr
    assert "apt-get install dracut-core" in done.stderr
    assert not prefix.exists()


def test_make_install_into_a_clean_debian_then_dracut_a_ignite(chroot: Path) -> None:
    """The same Debian Python (3.11) on both sides: install into the chroot as its root,
    then dracut there takes ignite from its dist-packages (no venv, Debian's pyudev)."""
    host = run(SYSTEM_PYTHON, "-c", "import sys; print(sys.version_info[:2])").stdout
    guest = in_chroot(chroot, "python3", "-c", "import sys; print(sys.version_info[:2])").stdout
    if host != guest:
        pytest.skip(f"the chroot's Python {guest} is not this host's {host}")
    make_install(f"DESTDIR={chroot}", "PREFIX=/usr")
    assert "ignite 0." in in_chroot(chroot, "ignite", "--version").stdout
    done = in_chroot(chroot, "dracut", "--force", "--no-hostonly", "--no-kernel", "--compress", "cat",
                     "-a", "ignite", "/tmp/initrd.img")
    listing = in_chroot(chroot, "lsinitrd", "/tmp/initrd.img").stdout
    for path in ("usr/lib/ignite/site/ignite/cli.pyc",
                 "usr/lib/ignite/site/pyudev/__init__.pyc", "usr/bin/ignite",
                 "usr/lib/systemd/system-generators/ignite-generator"):
        assert path in listing, (path, done.stderr[-2000:])
    for library in ("requests", "urllib3"):  # http(s) is on the standard library
        assert f"usr/lib/ignite/site/{library}/" not in listing
