"""ignite.entropy: random names and jitter that never wait for the kernel's pool, on every
kernel (test_entropy_at_boot.py checks the stages use nothing else)."""
from __future__ import annotations

import errno
import os

import pytest

from ignite import entropy


def test_asks_for_insecure_bytes_first(monkeypatch: pytest.MonkeyPatch) -> None:
    flags: list[int] = []
    real = os.getrandom

    def getrandom(count: int, flag: int = 0) -> bytes:
        flags.append(flag)
        return real(count, flag)

    monkeypatch.setattr(os, "getrandom", getrandom)
    assert len(entropy.random_hex(8)) == 16 and len(entropy.random_hex(4)) == 8
    assert flags == [entropy.GRND_INSECURE, entropy.GRND_INSECURE]


def test_older_kernels_and_a_pool_not_ready(monkeypatch: pytest.MonkeyPatch) -> None:
    """Before Linux 5.6 (EINVAL for GRND_INSECURE): non-blocking; when that says the pool
    is not ready (EAGAIN): names that still differ, never a wait."""
    def old_kernel(count: int, flag: int = 0) -> bytes:
        if flag & entropy.GRND_INSECURE:
            raise OSError(errno.EINVAL, os.strerror(errno.EINVAL))
        assert flag == os.GRND_NONBLOCK
        return b"\x01" * count

    monkeypatch.setattr(os, "getrandom", old_kernel)
    assert entropy.random_hex(4) == "01010101"

    def not_ready(count: int, flag: int = 0) -> bytes:
        if flag & entropy.GRND_INSECURE:
            raise OSError(errno.EINVAL, os.strerror(errno.EINVAL))
        raise BlockingIOError(errno.EAGAIN, os.strerror(errno.EAGAIN))

    monkeypatch.setattr(os, "getrandom", not_ready)
    names = {entropy.random_hex() for _ in range(1000)}
    assert len(names) == 1000 and all(len(name) == 16 for name in names)


def test_jitter_and_picks_stay_in_range() -> None:
    fractions = [entropy.fraction() for _ in range(2000)]
    assert all(0 <= f < 1 for f in fractions) and max(fractions) > 0.9 and min(fractions) < 0.1
    picks = {entropy.below(10) for _ in range(500)}
    assert picks == set(range(10))


# Modules that may wait for the kernel's pool: host commands (apply, the CLI's writes, the
# plan); LUKS, whose keys must come from it; TFTP, whose library (tftpy) imports random
# anyway, and importlib.metadata, which imports tempfile, so that its spool past 8 MiB may
# as well use tempfile (docs/boot.md).
WAITING_MODULES = ("tempfile", "random", "secrets", "uuid")
MAY_WAIT = {"ignite/apply.py", "ignite/cli.py", "ignite/stages/files_plan.py", "ignite/stages/disks_luks.py",
            "ignite/stages/disks.py", "ignite/resource/tftp.py"}


def test_nothing_else_on_the_boot_path_takes_randomness_that_waits() -> None:
    """tempfile's names and random seed themselves from the pool, as os.urandom, secrets and
    uuid4 read it: at boot each of them costs about a second of CPU (test_entropy_at_boot)."""
    import ast
    from pathlib import Path

    repo = Path(__file__).resolve().parents[1]
    found = []
    for path in sorted((repo / "ignite").rglob("*.py")):
        rel = str(path.relative_to(repo))
        if rel in MAY_WAIT:
            continue
        for node in ast.walk(ast.parse(path.read_bytes())):
            names = ([a.name for a in node.names] if isinstance(node, ast.Import)
                     else [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            found += [f"{rel}: import {n}" for n in names if n.split(".")[0] in WAITING_MODULES]
            if isinstance(node, ast.Attribute) and node.attr == "urandom":
                found.append(f"{rel}: os.urandom")
    assert found == []


def test_scratch_dir_is_private_and_never_removes_what_is_on_it(tmp_path, monkeypatch) -> None:
    from ignite.system.mounts import ScratchDir

    monkeypatch.setenv("TMPDIR", str(tmp_path))
    with ScratchDir("ignite-t-") as path:
        assert os.path.dirname(path) == str(tmp_path) and os.stat(path).st_mode & 0o777 == 0o700
    assert not os.path.exists(path)
    # What a failed umount leaves: the filesystem's contents, which must survive the error.
    with pytest.raises(RuntimeError, match="umount failed"), ScratchDir("ignite-t-") as path:
        open(os.path.join(path, "on-the-mount"), "w").close()
        raise RuntimeError("umount failed")
    assert os.listdir(path) == ["on-the-mount"]
    with pytest.raises(OSError), ScratchDir("ignite-t-") as path:  # left behind with no error: said
        open(os.path.join(path, "left"), "w").close()


def test_every_unit_that_starts_ignite_passes_the_hash_seed() -> None:
    """The generator's PYTHONHASHSEED reaches every interpreter the module starts: a unit
    that runs /usr/bin/ignite, or a script of the module that does, reads /run/ignition.env."""
    import re
    from pathlib import Path

    module = Path(__file__).resolve().parents[1] / "dracut" / "30ignite"
    starting = []
    for unit in sorted(module.glob("*.service")):
        text = unit.read_text()
        commands = re.findall(r"^Exec\w+=-?(\S+)", text, re.M)
        scripts = [module / Path(c).name for c in commands if c.startswith("/usr/libexec/")]
        if "/usr/bin/ignite" in commands or any(
                s.exists() and re.search(r"^\s*ignite\s", s.read_text(), re.M) for s in scripts):
            starting.append(unit.name)
            assert re.search(r"^EnvironmentFile=-?/run/ignition.env$", text, re.M), unit.name
    assert {"ignite-fetch-offline.service", "ignite-files.service", "ignite-failure.service"} <= set(starting)
