"""The Python payload dracut/30ignite puts in the initramfs, checked without QEMU: Debian's
interpreter, given only the payload as its home, must import every ignite module and the
dependencies ignite uses, from sourceless unchecked-hash bytecode."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
PAYLOAD = REPO / "dracut" / "30ignite" / "ignite-payload.py"
TARGET_PYTHON = "/usr/bin/python3.11"


@pytest.fixture(scope="module")
def payload(tmp_path_factory) -> Path:
    if not os.path.exists(TARGET_PYTHON):
        pytest.skip(f"{TARGET_PYTHON} (Debian's python3.11) is not installed")
    dest = tmp_path_factory.mktemp("initramfs")
    done = subprocess.run([sys.executable, str(PAYLOAD), "--dest", str(dest), "--target-python", TARGET_PYTHON,
                           "--manifest", str(dest / "stdlib.txt")], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    return dest


def run_in_payload(dest: Path, code: str) -> subprocess.CompletedProcess[str]:
    # PYTHONHOME: the interpreter finds its stdlib (and lib-dynload) only in the payload.
    env = {"PYTHONHOME": str(dest / "usr"), "PATH": "/usr/bin:/bin", "PYTHONDONTWRITEBYTECODE": "1"}
    prelude = f"import sys; sys.path.insert(0, {str(dest / 'usr/lib/ignite/site')!r})\n"
    return subprocess.run([TARGET_PYTHON, "-S", "-c", prelude + code], env=env, capture_output=True,
                          text=True, timeout=60)


def test_every_ignite_module_imports_from_the_payload_alone(payload):
    import pkgutil

    import ignite

    names = [m.name for m in pkgutil.walk_packages(ignite.__path__, "ignite.") if m.name != "ignite.__main__"]
    code = (
        "import ignite\n"
        f"names = {names!r}\n"
        "for n in names: __import__(n)\n"
        "import pyudev, ssl, urllib.request, concurrent.futures\n"
        "import yaml; assert yaml.__with_libyaml__, 'Butane configs want libyaml'\n"
        "assert all(p.startswith(sys.prefix) for p in sys.path if p), sys.path\n"
        "print(len(names), ignite.__file__)\n"
    )
    done = run_in_payload(payload, code)
    assert done.returncode == 0, done.stderr
    count, where = done.stdout.split()
    assert int(count) > 20 and where.startswith(str(payload)) and where.endswith(".pyc")


def test_payload_is_sourceless_and_lean(payload):
    stdlib = payload / "usr/lib/python3.11"
    assert not list(stdlib.rglob("*.py")) and not list((payload / "usr/lib/ignite").rglob("*.py"))
    assert not list(payload.rglob("__pycache__"))
    names = set((payload / "stdlib.txt").read_text().split())
    assert {"json", "subprocess", "encodings", "logging"} <= names
    assert not names & {"tkinter", "idlelib", "test", "lib2to3", "ensurepip"}
    site = {p.name for p in (payload / "usr/lib/ignite/site").iterdir()}
    assert "ignite" in site and "yaml" in site
    assert not site & {"requests", "urllib3", "charset_normalizer", "idna", "certifi"}  # ignite's own HTTP
    assert "jsonschema" not in site and "sh" not in site  # declared somewhere, never imported
    size = sum(p.stat().st_size for p in payload.rglob("*") if p.is_file())
    assert size < 20 * 1024 * 1024, f"payload grew to {size / 1e6:.1f} MB"


def test_host_names_resolve_from_the_payload(payload):
    """getaddrinfo encodes a str host name with the idna codec, which no import names
    (encodings.idna needs stringprep): without it every fetch by name fails at boot."""
    done = run_in_payload(payload, "import socket; print(socket.getaddrinfo('localhost', 80)[0][4][1])")
    assert done.returncode == 0 and done.stdout.strip() == "80", done.stderr


def test_the_ignite_command_runs_from_the_payload(payload):
    done = run_in_payload(payload, "from ignite.cli import main; sys.argv = ['ignite', '--version']; main()")
    assert done.returncode == 0 and done.stdout.startswith("ignite "), done.stderr
    assert shutil.which(TARGET_PYTHON)


# --- building from a clean `pip install .`: the standard library only ----------------------


def test_the_payload_build_needs_no_packaging(tmp_path: Path) -> None:
    """`packaging` is not a dependency of ignite: a clean `pip install .` lacks it, so the
    build must not import it (sys.modules[...] = None makes any import fail). What it copies
    is found from where the imported modules live, not from distribution metadata."""
    if not os.path.exists(TARGET_PYTHON):
        pytest.skip(f"{TARGET_PYTHON} (Debian's python3.11) is not installed")
    code = (
        "import runpy, sys\n"
        "sys.modules['packaging'] = None\n"
        f"sys.argv = ['ignite-payload', '--dest', {str(tmp_path)!r}, '--target-python', {TARGET_PYTHON!r}]\n"
        f"runpy.run_path({str(PAYLOAD)!r}, run_name='__main__')\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    site = tmp_path / "usr/lib/ignite/site"
    copied = {p.name for p in site.iterdir()}
    assert {"ignite", "pyudev", "tftpy", "yaml"} <= copied, sorted(copied)
    assert "jsonschema" not in copied and "packaging" not in copied  # test dependencies stay out


def test_a_butane_config_translates_in_the_payload(payload):
    code = ("from ignite.config.parse import parse_report\n"
            "r = parse_report(b'variant: fcos\\nversion: 1.5.0\\nstorage:\\n  files:\\n'\n"
            "                 b'    - path: /etc/a\\n      mode: 0644\\n')\n"
            "print(r.valid, r.config.storage.files[0].mode)\n")
    done = run_in_payload(payload, code)
    assert done.returncode == 0 and done.stdout.split() == ["True", "420"], done.stderr
