"""End-to-end: a Butane config given through fw_cfg provisions the machine, as Ignition 2.27
provisions from one. The same machine as test_boot's full config, written in Butane
(fcos 1.5.0, YAML octal modes, an inline file that the translation gzips), checked the
same way. One boot."""
from __future__ import annotations

import hashlib
from pathlib import Path

import images
import pytest
from test_boot import APP_DATA, FIRST_BOOT_QEMU, SSH_KEY, UNIT, assert_passed, check_full, full_config

pytestmark = pytest.mark.e2e


def indented(text: str, spaces: int) -> str:
    return "".join(" " * spaces + line + "\n" for line in text.splitlines())


def butane_config() -> str:
    return f"""variant: fcos
version: 1.5.0
storage:
  disks:
    - device: /dev/vda
      partitions:
        - number: 2
          label: var
          size_mib: 64
        - number: 3
          label: swap
          size_mib: 16
          type_guid: 0657fd6d-a4ab-43c4-84e5-0933c84b4f4f
  filesystems:
    - device: /dev/disk/by-partlabel/var
      format: ext4
      label: var
      path: /var
      wipe_filesystem: true
    - device: /dev/disk/by-partlabel/swap
      format: swap
      label: swap
  files:
    - path: /etc/hostname
      mode: 0644
      contents:
        inline: |
          e2e-host
    - path: /var/lib/app/settings.e2e
      mode: 0600
      user:
        name: core
      contents:
        inline: |
{indented(APP_DATA.decode(), 10)}        verification:
          hash: sha512-{hashlib.sha512(APP_DATA).hexdigest()}
  directories:
    - path: /var/log/app
      mode: 0750
  links:
    - path: /etc/localtime
      target: /usr/share/zoneinfo/UTC
passwd:
  users:
    - name: core
      ssh_authorized_keys:
        - {SSH_KEY}
      groups: [wheel]
systemd:
  units:
    - name: e2e-hello.service
      enabled: true
      contents: |
{indented(UNIT, 8)}"""


def test_the_butane_config_is_the_full_config() -> None:
    """Host-side, before paying for a boot: the translation is the JSON test_boot boots."""
    from ignite.config.butane.translate import translate

    result = translate(butane_config())
    assert result.config is not None, result.entries
    files = {f["path"]: f for f in result.config["storage"]["files"]}
    assert files["/var/lib/app/settings.e2e"]["contents"]["compression"] == "gzip"
    expected = full_config()
    for section in ("passwd", "systemd"):
        assert result.config[section] == expected[section]
    assert {k: v for k, v in result.config["storage"].items() if k != "files"} == \
        {k: v for k, v in expected["storage"].items() if k != "files"}


def test_fw_cfg_butane_config_provisions_the_machine(guest_boot, loopdevs, workdir: Path) -> None:
    disk = workdir / "disk.img"
    images.os_disk(disk, workdir)
    config = workdir / "config.bu"
    config.write_text(butane_config())
    boot = guest_boot(disks=[disk], fw_cfg_config=config, cmdline=FIRST_BOOT_QEMU)
    assert_passed(boot)
    ran = boot.units()
    for stage in ("fetch-offline", "disks", "mount", "files"):
        assert ran[f"ignite-{stage}.service"]["Result"] == "success", ran
    check_full(loopdevs, disk, workdir)
