"""A full filesystem (a real one: ext2 on a loop device) while the files stage writes its
journal, the result file or ignite's report: one clear line naming what could not be
written, exit 1, never a traceback or exit 70, and no temporary file left behind."""
from __future__ import annotations

import errno
import os
from pathlib import Path

import pytest
from files_helpers import require_root_user, run_ignite_process

CONFIG = {"ignition": {"version": "3.4.0"}}


@pytest.fixture(autouse=True)
def _root_user() -> None:
    require_root_user()


def small_fs(loopdevs, mountpoint: Path) -> Path:  # noqa: ANN001
    dev = loopdevs.create(2)
    loopdevs.mkfs(dev, "ext2", "-q", "-F", "-b", "1024", "-m", "0", "-N", "64")
    loopdevs.mount(dev, mountpoint)
    return mountpoint


def fill(top: Path, leave_blocks: int = 0) -> None:
    """Every free block taken, then `leave_blocks` one-block files removed again."""
    spare = []
    for i in range(leave_blocks):
        p = top / f"spare{i}"
        p.write_bytes(b"s" * 1024)
        spare.append(p)
    with open(top / "filler", "wb", buffering=0) as f:
        while True:
            try:
                f.write(b"\0" * 1024)
            except OSError as exc:
                assert exc.errno == errno.ENOSPC
                break
    with pytest.raises(OSError):  # really full
        with open(top / "probe", "wb", buffering=0) as f:
            f.write(b"x" * 1024)
    (top / "probe").unlink()
    for p in spare:
        p.unlink()


def run_full(root: Path, work: Path) -> str:
    proc = run_ignite_process(CONFIG, root, work)
    _, err = proc.communicate(timeout=120)
    text = err.decode()
    assert proc.returncode == 1, text
    assert "Traceback" not in text and "internal error" not in text
    last = text.strip().splitlines()[-1]
    assert last.startswith("ignite: ") and "No space left on device" in last
    return last


def temporaries(top: Path) -> list[str]:
    return [p.name for p in top.iterdir() if p.name.startswith(".")]


def test_full_while_creating_the_journal(work: Path, loopdevs) -> None:  # noqa: ANN001
    root = work / "root"
    ignite_dir = small_fs(loopdevs, root / "etc" / "ignite")
    fill(ignite_dir)
    assert "journal" in run_full(root, work / "w")
    assert temporaries(ignite_dir) == []


def test_full_while_writing_the_report(work: Path, loopdevs) -> None:  # noqa: ANN001
    root = work / "root"
    ignite_dir = small_fs(loopdevs, root / "etc" / "ignite")
    fill(ignite_dir, leave_blocks=1)  # the journal's one block, none for the report
    assert "/etc/ignite/report.json" in run_full(root, work / "w")
    assert (ignite_dir / "files.journal").is_file()
    assert temporaries(ignite_dir) == []


def test_full_while_writing_the_result_file(work: Path, loopdevs) -> None:  # noqa: ANN001
    root = work / "root"
    etc = small_fs(loopdevs, root / "etc")
    (etc / "ignite").mkdir()
    small_fs(loopdevs, etc / "ignite")  # room for the journal
    fill(etc)
    assert "/etc/.ignition-result.json" in run_full(root, work / "w")
    assert temporaries(etc) == []
    assert not os.path.exists(etc / ".ignition-result.json")


def test_no_proc_is_a_clear_error_not_an_internal_one(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """An image build in a chroot without /proc: the result file's boot id cannot be read."""
    import ignite.report as report

    monkeypatch.setattr(report, "BOOT_ID", tmp_path / "no-proc" / "boot_id")
    from ignite import cli

    run = tmp_path / "run"
    run.mkdir()
    (tmp_path / "root").mkdir()
    (run / "ignition.json").write_text('{"ignition": {"version": "3.4.0"}}')
    code = cli.main(["run", "--stage=files", "--platform=file", f"--root={tmp_path / 'root'}",
                     f"--config-cache={run / 'ignition.json'}", f"--state-file={run / 'state'}"])
    assert code == 1
