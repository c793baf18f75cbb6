"""The first-boot generator, run on the host against a fake /proc/cmdline: which targets
it wires and what it writes to /run/ignition.env. Fast; no QEMU."""
from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
GENERATOR = REPO / "dracut" / "30ignite" / "ignite-generator"


def generate(tmp_path: Path, cmdline: str, live: bool | None = None,
             uuid_path: str | None = None) -> tuple[set[str], dict[str, str]]:
    """The links the generator made and its environment file's values, but the hash seed
    (test_hash_seed)."""
    (tmp_path / "cmdline").write_text(cmdline + "\n")
    units = tmp_path / "units"
    env = {
        "PATH": os.environ["PATH"],
        "IGNITE_KERNEL_CMDLINE_PATH": str(tmp_path / "cmdline"),
        "IGNITE_ENV_FILE": str(tmp_path / "run" / "ignition.env"),
        "IGNITE_STATE_DIR": str(tmp_path / "run" / "ignite"),
        "IGNITE_GENERATOR_LOG": str(tmp_path / "log"),
        **({"IGNITE_RANDOM_UUID_PATH": uuid_path} if uuid_path else {}),
    }
    if live is not None:
        bindir = tmp_path / "bin"
        bindir.mkdir(exist_ok=True)
        hook = bindir / "is-live-image"
        hook.write_text(f"#!/bin/sh\nexit {0 if live else 1}\n")
        hook.chmod(0o755)
        env["PATH"] = f"{bindir}:{env['PATH']}"
    subprocess.run([str(GENERATOR), str(units)], env=env, check=True, timeout=10)
    links = set()
    for link in units.rglob("*"):
        if link.is_symlink():
            assert os.readlink(link) == "../" + link.name
            links.add(f"{link.parent.name}/{link.name}")
    values = dict(line.split("=", 1) for line in (tmp_path / "run" / "ignition.env").read_text().splitlines())
    seed = values.pop("PYTHONHASHSEED")
    assert seed.isdigit() and int(seed) < 2**32, seed  # what Python accepts
    (tmp_path / "seed").write_text(seed)
    return links, values


def test_hash_seed(tmp_path):
    """Every boot's stages get a new hash seed from the kernel's random UUID (so that the
    interpreter never reads /dev/urandom, docs/boot.md); without one, 0 rather than a boot
    that stops."""
    seeds = set()
    for n in ("0", "1", "2", "3", "fixed", "none"):
        (tmp_path / n).mkdir()
    for n in range(4):
        generate(tmp_path / str(n), "ignition.firstboot")
        seeds.add((tmp_path / str(n) / "seed").read_text())
    assert len(seeds) == 4
    (tmp_path / "uuid").write_text("0000abcd-1111-2222-3333-444455556666\n")
    generate(tmp_path / "fixed", "ignition.firstboot", uuid_path=str(tmp_path / "uuid"))
    assert (tmp_path / "fixed" / "seed").read_text() == str(0xABCD)
    for unreadable in (str(tmp_path / "missing"), "/dev/null"):
        generate(tmp_path / "none", "quiet", uuid_path=unreadable)
        assert (tmp_path / "none" / "seed").read_text() == "0"


FIRST = {
    "initrd.target.requires/ignite-complete.target",
    "ignite-complete.target.requires/ignite-diskful.target",
    "ignite-complete.target.requires/ignite-firstboot-complete.service",
}
SUBSEQUENT = {
    "initrd.target.requires/ignite-subsequent.target",
    "ignite-subsequent.target.requires/ignite-diskful-subsequent.target",
}


@pytest.mark.parametrize("cmdline, first", [
    ("root=LABEL=root ignition.firstboot", True),           # bare flag: true
    ("ignition.firstboot=1", True),
    ("ignition.firstboot=yes", True),
    ("ignition.firstboot=0", False),
    ("ignition.firstboot=no", False),
    ("ignition.firstboot=off", False),
    ("ignition.firstboot=", False),
    ("ignition.firstboot=1 ignition.firstboot=0", False),   # the last one wins
    ("ignition.firstboot=0 ignition.firstboot", True),
    ("coreos.first_boot=1", True),                           # legacy PXE flag
    ("flatcar.first_boot=detected", True),
    ("xignition.firstboot=1 ignition.firstbootx=1", False),  # whole names only
    ("quiet", False),
])
def test_first_boot_detection(tmp_path, cmdline, first):
    links, _ = generate(tmp_path, cmdline)
    assert links == (FIRST if first else SUBSEQUENT)
    # The stages' state directory (fetch-offline's set-up writes the stamp's notes there).
    assert (tmp_path / "run" / "ignite").is_dir() == first


def test_platform_and_stamp(tmp_path):
    _, env = generate(tmp_path, "ignition.firstboot ignition.platform.id=qemu")
    assert env == {"PLATFORM_ID": "qemu", "IGNITE_FIRSTBOOT_STAMP": "ignition"}


@pytest.mark.parametrize("cmdline, platform, stamp", [
    ("coreos.first_boot=detected coreos.oem.id=ec2", "aws", "flatcar"),
    ("flatcar.first_boot=detected flatcar.oem.id=gce", "gcp", "flatcar"),
    ("coreos.first_boot=1 coreos.oem.id=pxe", "metal", ""),
    ("ignition.firstboot", "metal", "ignition"),
    ("ignition.platform.id=azure flatcar.oem.id=ec2", "azure", ""),
])
def test_legacy_platform_and_stamp(tmp_path, cmdline, platform, stamp):
    _, env = generate(tmp_path, cmdline)
    assert env == {"PLATFORM_ID": platform, "IGNITE_FIRSTBOOT_STAMP": stamp}


def test_live_image_has_no_diskful_targets(tmp_path):
    links, _ = generate(tmp_path, "ignition.firstboot", live=True)
    assert links == {"initrd.target.requires/ignite-complete.target"}
    (tmp_path / "later").mkdir()
    links, _ = generate(tmp_path / "later", "quiet", live=True)
    assert links == {"initrd.target.requires/ignite-subsequent.target"}


def test_not_live_when_hook_says_no(tmp_path):
    links, _ = generate(tmp_path, "ignition.firstboot", live=False)
    assert links == FIRST


@pytest.mark.parametrize("url, early", [
    ("ignition.config.url=http://10.0.2.100/config.ign", True),
    ("coreos.config.url=https://example.com/c.ign", True),
    ("ignition.config.url=tftp://10.0.2.2/c.ign", True),
    ("ignition.config.url=data:,%7B%7D", False),
    ("", False),
])
def test_a_network_config_url_starts_the_network_and_the_fetch_stage_early(tmp_path, url, early):
    links, _ = generate(tmp_path, f"root=LABEL=root ignition.firstboot {url}")
    wanted = {"ignite-complete.target.requires/ignite-network-early.service",
              "ignite-complete.target.requires/ignite-fetch-early.service"}
    assert (links & wanted) == (wanted if early else set())
