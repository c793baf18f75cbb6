"""End-to-end: a real Debian kernel boots the initramfs built with dracut/30ignite under
QEMU (TCG, no network device); ignite provisions the virtual disks; the host then reads
the disk images back (loop devices, read-only mounts) and checks every result.

Each boot takes ~15-30 s here; see docs/boot.md for the budget and what runs where.
"""
from __future__ import annotations

import base64
import gzip
import hashlib
import json
import re
from pathlib import Path

import images
import pytest
from images import mounted_read_only, sh

pytestmark = pytest.mark.e2e

SSH_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGJ0ZXN0a2V5Zm9yZTJlYm9vdHNvbmx5bm90cmVhbGx5 e2e@host"
UNIT = "[Unit]\nDescription=e2e\n[Service]\nExecStart=/bin/true\n[Install]\nWantedBy=multi-user.target\n"
FIRST_BOOT_QEMU = "ignition.firstboot ignition.platform.id=qemu root=LABEL=root ro"


def data_url(data: bytes) -> str:
    return "data:;base64," + base64.b64encode(data).decode()


def sha512(data: bytes) -> str:
    return "sha512-" + hashlib.sha512(data).hexdigest()


def write_config(path: Path, config: dict) -> Path:
    path.write_text(json.dumps(config, separators=(",", ":")))
    return path


def assert_passed(boot) -> None:
    """ignite succeeded (or had nothing to do), the initramfs switched into the real root,
    whose init powered the machine off."""
    assert boot.verdict == "PASS", boot.describe()
    assert "IGNITE-E2E-ROOT: switched into the provisioned root" in boot.console, boot.describe()
    assert boot.returncode == 0 and "reboot: Power down" in boot.console, boot.describe()


APP_DATA = b"app settings for the e2e test\n" * 20


def full_config() -> dict:
    """Partitions, filesystems (one mounted with a path), files (gzip + hash), a directory,
    a link, a user with an SSH key and an enabled unit."""
    return {
        "ignition": {"version": "3.4.0"},
        "storage": {
            "disks": [{"device": "/dev/vda", "partitions": [
                {"number": 2, "label": "var", "sizeMiB": 64},
                {"number": 3, "label": "swap", "sizeMiB": 16,
                 "typeGuid": "0657fd6d-a4ab-43c4-84e5-0933c84b4f4f"}]}],
            "filesystems": [
                {"device": "/dev/disk/by-partlabel/var", "format": "ext4", "label": "var",
                 "path": "/var", "wipeFilesystem": True},
                {"device": "/dev/disk/by-partlabel/swap", "format": "swap", "label": "swap"}],
            "files": [
                {"path": "/etc/hostname", "mode": 0o644, "contents": {"source": "data:,e2e-host%0A"}},
                {"path": "/var/lib/app/settings.e2e", "mode": 0o600, "user": {"name": "core"},
                 "contents": {"source": data_url(gzip.compress(APP_DATA)), "compression": "gzip",
                              "verification": {"hash": sha512(APP_DATA)}}}],
            "directories": [{"path": "/var/log/app", "mode": 0o750}],
            "links": [{"path": "/etc/localtime", "target": "/usr/share/zoneinfo/UTC"}],
        },
        "passwd": {"users": [{"name": "core", "sshAuthorizedKeys": [SSH_KEY], "groups": ["wheel"]}]},
        "systemd": {"units": [{"name": "e2e-hello.service", "enabled": True, "contents": UNIT}]},
    }


def check_full(loopdevs, disk: Path, workdir: Path) -> None:
    parts = images.partitions(disk)
    assert [parts[n]["label"] for n in sorted(parts)] == ["root", "var", "swap"], parts
    assert parts[3]["code"] == "8200", parts  # Linux swap type GUID
    with mounted_read_only(loopdevs, disk, workdir) as mnt:
        root, var = mnt[1], mnt[2]
        assert (root / "etc/hostname").read_text() == "e2e-host\n"
        passwd = (root / "etc/passwd").read_text()
        core = next(line.split(":") for line in passwd.splitlines() if line.startswith("core:"))
        uid, gid, home = int(core[2]), int(core[3]), core[5]
        assert "core" in (root / "etc/group").read_text().split("wheel:x:10:")[1].splitlines()[0]
        keys = root / home.lstrip("/") / ".ssh/authorized_keys.d/ignition"
        assert keys.read_text().strip() == SSH_KEY
        assert keys.stat().st_uid == uid and keys.stat().st_mode & 0o777 == 0o600
        preset = (root / "etc/systemd/system-preset/20-ignition.preset").read_text()
        assert "enable e2e-hello.service" in preset
        assert (root / "etc/systemd/system/e2e-hello.service").read_text() == UNIT
        assert (root / "etc/localtime").is_symlink()
        assert str((root / "etc/localtime").readlink()) == "/usr/share/zoneinfo/UTC"
        # /var was a filesystem of its own, mounted by the mount stage under /sysroot/var.
        assert not (root / "var/lib/app").exists()
        settings = var / "lib/app/settings.e2e"
        assert settings.read_bytes() == APP_DATA
        assert settings.stat().st_mode & 0o777 == 0o600 and settings.stat().st_uid == uid
        assert (var / "log/app").stat().st_mode & 0o777 == 0o750
        assert gid >= 0
    # /var was unmounted before switch-root (the umount stage, ExecStop of ignite-mount):
    # the test root's init powers off without unmounting anything but /.
    var_state = sh("dumpe2fs", "-h", f"{disk}?offset={images.partition_offset(disk, 2)}")
    assert re.search(r"^Filesystem state:\s+clean$", var_state, re.M), var_state
    assert "needs_recovery" not in var_state, var_state
    swap = sh("blkid", "-p", "-o", "export", "-O", str(images.partition_offset(disk, 3)), disk)
    assert "TYPE=swap" in swap and "LABEL=swap" in swap


def test_fw_cfg_first_boot_then_a_second_boot_changes_nothing(guest_boot, loopdevs, workdir):
    disk = workdir / "disk.img"
    images.os_disk(disk, workdir)
    config = write_config(workdir / "config.ign", full_config())
    first = guest_boot("first", disks=[disk], fw_cfg_config=config, cmdline=FIRST_BOOT_QEMU)
    assert_passed(first)
    ran = first.units()
    for stage in ("fetch-offline", "disks", "mount", "files"):
        assert ran[f"ignite-{stage}.service"]["Result"] == "success", ran
    assert "ignite-fetch.service" not in first.unit_times()  # everything was offline
    # ...so no network at all: the network unit is skipped on its condition, networkd never ran.
    network = first.section("NETWORK")
    assert "Id=ignite-network.service ActiveState=inactive ConditionResult=no" in network, network
    assert "Id=systemd-networkd.service ActiveState=inactive" in network, network

    before = hashlib.sha256(disk.read_bytes()).hexdigest()
    # Same machine, same config still on fw_cfg, but no first-boot flag: nothing runs.
    # fsck.mode=skip: e2fsck -a rewrites the superblock times even of a clean filesystem,
    # which would hide whether ignite wrote anything.
    second = guest_boot("second", disks=[disk], fw_cfg_config=config,
                        cmdline="ignition.platform.id=qemu root=LABEL=root ro fsck.mode=skip")
    assert_passed(second)
    assert "not a first boot" in second.console
    assert not second.unit_times().keys() & {"ignite-disks.service", "ignite-files.service"}
    assert hashlib.sha256(disk.read_bytes()).hexdigest() == before, "the second boot changed the disk"

    check_full(loopdevs, disk, workdir)


PXE_DATA = b"provisioned over the kernel command line\n"


def test_pxe_style_data_url_with_legacy_first_boot_flag(guest_boot, loopdevs, workdir):
    config = {
        "ignition": {"version": "3.4.0"},
        "storage": {
            "disks": [{"device": "/dev/vda", "partitions": [{"number": 2, "label": "srv", "sizeMiB": 32}]}],
            "filesystems": [{"device": "/dev/disk/by-partlabel/srv", "format": "ext4", "label": "srv",
                             "path": "/srv"}],
            "files": [{"path": "/srv/pxe.e2e", "contents": {"source": data_url(PXE_DATA)}}]},
        "passwd": {"users": [{"name": "core", "sshAuthorizedKeys": [SSH_KEY]}]},
        "systemd": {"units": [{"name": "e2e-hello.service", "enabled": True, "contents": UNIT}]},
    }
    url = data_url(json.dumps(config, separators=(",", ":")).encode())
    disk = workdir / "disk.img"
    images.os_disk(disk, workdir)
    boot = guest_boot(disks=[disk], cmdline=f"coreos.first_boot=1 ignition.platform.id=metal "
                                            f"root=LABEL=root ro ignition.config.url={url}")
    assert_passed(boot)
    with mounted_read_only(loopdevs, disk, workdir) as mnt:
        assert (mnt[2] / "pxe.e2e").read_bytes() == PXE_DATA
        assert "core:" in (mnt[1] / "etc/passwd").read_text()
        home = next(line.split(":")[5] for line in (mnt[1] / "etc/passwd").read_text().splitlines()
                    if line.startswith("core:"))
        assert SSH_KEY in (mnt[1] / home.lstrip("/") / ".ssh/authorized_keys.d/ignition").read_text()
        assert "enable e2e-hello.service" in \
            (mnt[1] / "etc/systemd/system-preset/20-ignition.preset").read_text()


RAID_DATA, LUKS_DATA, VFAT_DATA = b"on raid1\n", b"inside luks2\n", b"on vfat\n"
LUKS_KEY = b"e2e-luks-key-file-contents"


def test_raid1_luks2_keyfile_and_vfat_with_path(guest_boot, loopdevs, workdir):
    """What this host's kernel cannot do (no MD, no device-mapper, no FAT), in a guest."""
    disk, m1, m2 = workdir / "disk.img", workdir / "m1.img", workdir / "m2.img"
    images.os_disk(disk, workdir)
    images.blank_disk(m1, 48)
    images.blank_disk(m2, 48)
    config = {
        "ignition": {"version": "3.4.0"},
        "storage": {
            "disks": [{"device": "/dev/vda", "partitions": [
                {"number": 2, "label": "crypt", "sizeMiB": 48},
                {"number": 3, "label": "esp", "sizeMiB": 40,
                 "typeGuid": "c12a7328-f81f-11d2-ba4b-00a0c93ec93b"}]}],
            "raid": [{"name": "data", "level": "raid1", "devices": ["/dev/vdb", "/dev/vdc"]}],
            "luks": [{"name": "secret", "device": "/dev/disk/by-partlabel/crypt",
                      "keyFile": {"source": data_url(LUKS_KEY)}, "wipeVolume": True}],
            "filesystems": [
                {"device": "/dev/md/data", "format": "ext4", "label": "data", "path": "/var/data"},
                {"device": "/dev/mapper/secret", "format": "ext4", "label": "secret", "path": "/var/secret"},
                {"device": "/dev/disk/by-partlabel/esp", "format": "vfat", "label": "ESP",
                 "path": "/boot/efi"}],
            "files": [
                {"path": "/var/data/raid.e2e", "contents": {"source": data_url(RAID_DATA)}},
                {"path": "/var/secret/luks.e2e", "contents": {"source": data_url(LUKS_DATA)}},
                {"path": "/boot/efi/vfat.e2e", "contents": {"source": data_url(VFAT_DATA)}}]},
    }
    boot = guest_boot(disks=[disk, m1, m2], fw_cfg_config=write_config(workdir / "c.ign", config),
                      cmdline=FIRST_BOOT_QEMU)
    assert_passed(boot)

    # In the guest: each path was mounted from the device the config named, and the files
    # written there have the right contents (the host cannot open MD or LUKS itself).
    mounts = {line.split()[0]: line.split()[1:] for line in boot.section("MOUNTS").splitlines() if line.strip()}
    assert mounts["/sysroot/var/data"][1] == "ext4" and "/dev/md" in mounts["/sysroot/var/data"][0]
    assert mounts["/sysroot/var/secret"] == ["/dev/mapper/secret", "ext4"]
    assert mounts["/sysroot/boot/efi"][1] == "vfat"
    sums = {line.split()[1]: line.split()[0] for line in boot.section("SUMS").splitlines() if line.strip()}
    assert sums["/sysroot/var/data/raid.e2e"] == hashlib.sha256(RAID_DATA).hexdigest()
    assert sums["/sysroot/var/secret/luks.e2e"] == hashlib.sha256(LUKS_DATA).hexdigest()
    assert sums["/sysroot/boot/efi/vfat.e2e"] == hashlib.sha256(VFAT_DATA).hexdigest()

    # On the host: both RAID members carry the same array; the LUKS2 header opens with the
    # key file; the vfat filesystem holds the file (read with mtools, no mount needed).
    for member in (m1, m2):
        examine = sh("mdadm", "--examine", member)
        assert "Raid Level : raid1" in examine and "Raid Devices : 2" in examine, examine
        assert re.search(r"Name : \S*:?data", examine), examine
    key = workdir / "luks.key"
    key.write_bytes(LUKS_KEY)
    with mounted_read_only(loopdevs, disk, workdir) as mnt:
        dev = loopdevs.devices[-1]
        crypt = loopdevs.partitions(dev)[2]
        loopdevs.guard(crypt)
        dump = sh("cryptsetup", "luksDump", crypt)
        assert re.search(r"^Version:\s+2$", dump, re.M), dump
        sh("cryptsetup", "open", "--test-passphrase", "--key-file", key, crypt)
        # The crypttab and key file the files stage writes, so the real root unlocks it.
        root = mnt[1]
        assert "secret" in (root / "etc/crypttab").read_text()
        assert (root / "etc/luks/secret").read_bytes() == LUKS_KEY
    esp = f"{disk}@@{images.partition_offset(disk, 3)}"
    assert sh("mtype", "-i", esp, "::/vfat.e2e").encode() == VFAT_DATA
    assert "ESP" in sh("mlabel", "-s", "-i", esp, "::")


def test_wrong_hash_stops_the_boot_with_one_readable_paragraph(guest_boot, workdir):
    good = b"expected contents\n"
    config = {
        "ignition": {"version": "3.4.0"},
        "storage": {"files": [
            {"path": "/etc/hostname", "contents": {"source": "data:,should-not-matter%0A"}},
            {"path": "/etc/app.e2e", "contents": {"source": data_url(b"tampered contents\n"),
                                                  "verification": {"hash": sha512(good)}}}]},
    }
    disk = workdir / "disk.img"
    images.os_disk(disk, workdir)
    boot = guest_boot(disks=[disk], fw_cfg_config=write_config(workdir / "c.ign", config),
                      cmdline=FIRST_BOOT_QEMU)
    assert boot.verdict == "FAIL", boot.describe()
    assert boot.returncode == 0, "no clean power-off: " + boot.describe()
    assert "reboot: Power down" in boot.console
    assert not re.search(r"Reached target .*Switch Root|initrd-switch-root.service", boot.console)
    paragraphs = [line for line in boot.console.replace("\r", "").splitlines()
                  if line.startswith("IGNITE FAILED")]
    assert paragraphs, boot.describe()
    text = paragraphs[0]
    assert "stage files" in text and "/etc/app.e2e" in text and "hash" in text.lower(), text
    assert "boot again" in text


def test_oem_partition_config_kargs_reboot_and_stamp_removal(guest_boot, loopdevs, workdir):
    """The installer's OEM partition holds config.ign and base/base.ign; the boot partition
    holds the first-boot stamp. The config asks for a kernel argument: the first boot
    records it in the OEM partition's grub.cfg and reboots; the next (still first) boot
    finds it there, provisions, and removes the stamp."""
    user = {"ignition": {"version": "3.4.0"},
            "kernelArguments": {"shouldExist": ["ignite.e2e=1"], "shouldNotExist": ["quiet"]},
            "storage": {"files": [{"path": "/etc/from-oem.e2e", "contents": {"source": "data:,user%0A"}}]}}
    base = {"ignition": {"version": "3.4.0"},
            "storage": {"files": [{"path": "/etc/from-base.e2e", "contents": {"source": "data:,base%0A"}}]}}
    disk, oem = workdir / "disk.img", workdir / "oem.img"
    images.os_disk(disk, workdir)
    images.oem_disk(oem, workdir,
                    oem={"config.ign": json.dumps(user), "base/base.ign": json.dumps(base),
                         "grub.cfg": 'set linux_append="quiet console=ttyS0"\n'},
                    boot={"ignition.firstboot": "", "grub/grub.cfg": "# stand-in\n"})
    cmdline = "ignition.firstboot ignition.platform.id=metal root=LABEL=root ro"

    first = guest_boot("kargs", disks=[disk, oem], cmdline=cmdline)
    # The helper rebooted before the disks stage (-no-reboot turns that into QEMU's exit).
    assert first.verdict is None, first.describe()
    assert "reboot: Restarting system" in first.console and first.returncode == 0, first.describe()
    assert "Starting ignite-disks.service" not in first.console.replace("\x1b[0;1;39m", "")
    grub = images.read_ext4_file(oem, 2, "/grub.cfg")
    assert grub == 'set linux_append="console=ttyS0 ignite.e2e=1"\n', grub
    assert images.read_ext4_file(oem, 1, "/ignition.firstboot") == ""  # still a first boot

    second = guest_boot("provision", disks=[disk, oem], cmdline=cmdline)
    assert_passed(second)
    assert "kernel arguments already as wanted" in second.console

    with mounted_read_only(loopdevs, oem, workdir) as mnt:
        assert (mnt[2] / "grub.cfg").read_text() == 'set linux_append="console=ttyS0 ignite.e2e=1"\n'
        assert not (mnt[1] / "ignition.firstboot").exists()
        assert (mnt[1] / "grub/grub.cfg").exists()
    with mounted_read_only(loopdevs, disk, workdir) as mnt:
        assert (mnt[1] / "etc/from-oem.e2e").read_text() == "user\n"
        assert (mnt[1] / "etc/from-base.e2e").read_text() == "base\n"



def test_boot_filesystem_config_and_kargs_refused_for_a_command_line_only_first_boot(guest_boot, workdir):
    """coreos-installer's boot/ignition/config.ign is read. Its kernelArguments need a
    reboot, but nothing on disk would make that reboot a first boot again (the flag is only
    on the command line, as with PXE): refused before anything changes, with one clear line."""
    user = {"ignition": {"version": "3.4.0"},
            "kernelArguments": {"shouldExist": ["ignite.e2e=1"]},
            "storage": {"files": [{"path": "/etc/from-boot.e2e", "contents": {"source": "data:,boot%0A"}}]}}
    disk, oem = workdir / "disk.img", workdir / "oem.img"
    images.os_disk(disk, workdir)
    images.oem_disk(oem, workdir, oem={"grub.cfg": 'set linux_append="console=ttyS0"\n'},
                    boot={"ignition/config.ign": json.dumps(user)})
    boot = guest_boot(disks=[disk, oem], cmdline="coreos.first_boot=1 ignition.platform.id=metal root=LABEL=root ro")
    assert boot.verdict == "FAIL" and boot.returncode == 0, boot.describe()
    assert "user config from the boot filesystem" in boot.console, boot.describe()
    failed = [line for line in boot.console.replace("\r", "").splitlines() if line.startswith("IGNITE FAILED")]
    assert failed and "stage kargs" in failed[0] and "command-line flag only" in failed[0], boot.describe()
    assert images.read_ext4_file(oem, 2, "/grub.cfg") == 'set linux_append="console=ttyS0"\n'
