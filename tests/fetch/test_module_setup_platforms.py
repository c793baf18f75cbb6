"""dracut/30ignite/module-setup.sh names every platform piece the build host lacks: its
platform functions run in bash with dracut's helpers replaced by recorders (which
modules and tools "exist" is what each test says)."""
from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

SETUP = Path(__file__).resolve().parents[2] / "dracut" / "30ignite" / "module-setup.sh"

HARNESS = r"""
set -u
instmods() {
    while [[ "$1" == -* ]]; do shift; done
    for m in "$@"; do [[ " $HAVE_MODULES " == *" $m "* ]] || return 1; echo "module $m"; done
}
find_binary() { [[ " $HAVE_TOOLS " == *" $1 "* ]]; }
inst_multiple() { echo "tool $*"; }
dwarn() { echo "WARN $*"; }
derror() { echo "ERROR $*"; }
source "$SETUP"
_ignite_platform_modules; echo "modules rc=$?"
_ignite_platform_tools; echo "tools rc=$?"
"""


def build(arch: str, modules: str, tools: str, platforms: str = "") -> list[str]:
    if shutil.which("bash") is None:
        pytest.skip("needs bash")
    env = {"PATH": "/usr/bin:/bin", "SETUP": str(SETUP), "DRACUT_ARCH": arch, "HAVE_MODULES": modules,
           "HAVE_TOOLS": tools, "IGNITE_PLATFORMS": platforms}
    done = subprocess.run(["bash", "-c", HARNESS], env=env, capture_output=True, text=True, timeout=30)
    assert done.returncode == 0, done.stderr
    return done.stdout.splitlines()


def test_everything_present_is_installed_silently() -> None:
    out = build("x86_64", "hv_utils vsock vmw_vsock_virtio_transport_common vmw_vsock_virtio_transport qemu_fw_cfg",
                "VBoxControl vmware-rpctool")
    assert "module hv_utils" in out and "module vmw_vsock_virtio_transport" in out and "module qemu_fw_cfg" in out
    assert "tool vmware-rpctool" in out and "tool VBoxControl" in out
    assert not [line for line in out if line.startswith(("WARN", "ERROR"))]
    assert "modules rc=0" in out and "tools rc=0" in out


def test_each_missing_piece_is_named_with_its_platform() -> None:
    out = build("x86_64", "vsock", "")
    warnings = [line for line in out if line.startswith("WARN")]
    assert (
        "WARN ignite: kernel module hv_utils not found: platform hyperv will not work with this initramfs" in warnings
    )
    assert any("vmw_vsock_virtio_transport not found: platform applehv" in w for w in warnings)
    assert any("tool vmware-rpctool not found: platform vmware" in w for w in warnings)
    assert any("tool VBoxControl not found: platform virtualbox" in w for w in warnings)
    assert "modules rc=0" in out and "tools rc=0" in out  # not asked for: the build goes on


def test_a_listed_platform_missing_a_piece_fails_the_build() -> None:
    out = build("x86_64", "", "", platforms="hyperv vmware")
    assert "ERROR ignite: platform hyperv needs kernel module hv_utils, which this build host does not have" in out
    assert "ERROR ignite: platform vmware needs tool vmware-rpctool, which this build host does not have" in out
    assert "modules rc=1" in out and "tools rc=1" in out


@pytest.mark.parametrize("arch,expected,absent", [
    ("s390x", {"zcrypt_cex4", "pkey_cca", "vmur", "virtio_blk"}, {"mlxbf_bootctl"}),
    ("aarch64", {"mlxbf_bootctl", "qemu_fw_cfg"}, set()),
])
def test_architecture_specific_modules(arch: str, expected: set[str], absent: set[str]) -> None:
    out = build(arch, "", "")
    named = {line.split("kernel module ")[1].split()[0] for line in out if "kernel module" in line}
    assert expected <= named
    assert not absent & named
