"""The operator pages in docs/ say what the tree does: the images page's commands run
verbatim, the clouds page names only real platforms, the troubleshooting page quotes the
failure paragraph and the report paths as the code has them."""
from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
from debpkg import REPO

DOCS = REPO / "docs"


def code_blocks(page: Path, lang: str) -> list[str]:
    return re.findall(rf"```{lang}\n(.*?)```", page.read_text(), re.S)


@pytest.mark.root
def test_images_page_apply_command_provisions_an_image(loopdevs, tmp_path: Path) -> None:
    import images  # tests/e2e: read an image back through guarded loop devices

    if os.geteuid() != 0:
        pytest.skip("needs root (loop devices)")
    block = code_blocks(DOCS / "images.md", "sh")[0]
    commands = [shlex.split(line) for line in block.splitlines() if line.strip()]
    assert [c[0] for c in commands] == ["truncate", "mkdir", "ignite"]
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    for argv in commands:
        if argv[0] == "ignite":
            argv = [sys.executable, "-m", "ignite", *[str(REPO / a) if a.startswith("examples/") else a
                                                      for a in argv[1:]]]
        done = subprocess.run(argv, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, (argv, done.stderr)
    assert not any((tmp_path / "target").iterdir()), "the root is unmounted and empty again"
    with images.mounted_read_only(loopdevs, tmp_path / "disk.img", tmp_path) as mnt:
        assert (mnt[2] / "etc/hostname").read_text() == "image-node\n"
        assert (mnt[1] / "ignition.firstboot").is_file()
        assert "enable hello.service" in (mnt[2] / "etc/systemd/system-preset/20-ignition.preset").read_text()
        assert (mnt[2] / "etc/ignite/report.json").is_file()


def test_clouds_page_names_only_platforms_ignite_has() -> None:
    from ignite.providers import __path__ as providers_path

    known = {p.stem for p in Path(providers_path[0]).glob("*.py")} - {"__init__", "common"}
    page = (DOCS / "clouds.md").read_text()
    named = set(re.findall(r"`(?:ignition\.platform\.id=)?([a-z0-9]+)`", page)) & (known | {"ec2", "gce", "pxe"})
    assert {"aws", "gcp", "metal"} <= named
    assert named - {"ec2", "gce", "pxe"} <= known
    assert "(platforms.md)" in page
    generator = (REPO / "dracut/30ignite/ignite-generator").read_text()
    for legacy, new in (("ec2", "aws"), ("gce", "gcp"), ("pxe", "metal")):
        assert f"`{legacy}` is `{new}`" in page
        assert re.search(rf"{legacy}\b.*platform={new}", generator)


def test_troubleshooting_page_quotes_the_paragraph_and_report_paths_as_the_code_has_them() -> None:
    from ignite.report import IGNITE_REPORT, RESULT_FILE

    page = (DOCS / "troubleshooting.md").read_text()
    script = (REPO / "dracut/30ignite/ignite-failure").read_text()
    fixed = "".join(s for s in re.findall(r'paragraph\+="([^"$]*)', script) if not s.startswith("IGNITE FAILED"))
    for sentence in re.findall(r"[^.]+\.", fixed):
        assert sentence.strip() in page, sentence
    assert "IGNITE FAILED in stage files (ignite-files.service)" in page
    assert f"`{IGNITE_REPORT}`" in page and f"`{RESULT_FILE}`" in page
    assert "not a first boot, ignite will not run" in (REPO / "dracut/30ignite/ignite-generator").read_text()
    assert "`ignite status`" in page and "`ignite report`" in page and "ignite.report.url=" in page


def test_install_page_settings_are_the_install_script_s() -> None:
    page = (DOCS / "install.md").read_text()
    script = (REPO / "tools/install/install.sh").read_text()
    for setting in ("DESTDIR", "PREFIX", "TARGET_PYTHON", "DRACUTMODDIR", "MANDIR"):
        assert f"`{setting}`" in page and f"{setting}=" in script
    assert 'fail "cannot write to $dir' in script and "dracut is not installed on this system" in script
