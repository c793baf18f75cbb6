"""A malformed config URL on the kernel command line fails fetch-offline at once, naming
the argument, and brings up no network (the neednet flag is not written)."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from ignite import cmdline
from ignite.errors import UsageError

REPO = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("url,why", [
    ("http://[::1/config.ign", "Invalid IPv6 URL"),
    ("http:///config.ign", "names no host"),
    ("https://host:99999/config.ign", "Port out of range"),
    ("tftp:///boot/config.ign", "names no host"),
])
def test_malformed_urls_are_named(url, why):
    with pytest.raises(UsageError) as info:
        cmdline.check_config_url(url)
    assert f"ignition.config.url={url} is not a valid URL" in str(info.value) and why in str(info.value)


@pytest.mark.parametrize("url", ["http://10.0.2.100/c.ign", "https://config.example:8443/x?mac=52-54-00",
                                 "tftp://10.0.2.2/c.ign", "s3://bucket/key", "data:,{}", "oem:///c.ign", "/c.ign"])
def test_good_urls_pass(url):
    cmdline.check_config_url(url)


def test_fetch_offline_fails_without_asking_for_the_network(tmp_path):
    (tmp_path / "cmdline").write_text("ignition.firstboot ignition.config.url=http://[::1/config.ign\n")
    done = subprocess.run(
        [sys.executable, "-m", "ignite.cli", "run", "--stage", "fetch-offline", "--platform", "metal",
         "--root", str(tmp_path), "--cmdline", str(tmp_path / "cmdline"), "--config-cache", str(tmp_path / "c.json"),
         "--state-file", str(tmp_path / "state"), "--neednet", str(tmp_path / "neednet")],
        capture_output=True, text=True, cwd=REPO, timeout=60)
    assert done.returncode != 0
    assert "ignition.config.url=http://[::1/config.ign is not a valid URL" in done.stderr
    assert not (tmp_path / "neednet").exists()
