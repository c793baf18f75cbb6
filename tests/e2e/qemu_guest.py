"""Boots the e2e initramfs (tools/e2e/build.sh) under QEMU and reads the verdict back.

Reusable by any test area: build the images once per session (`build_images`), then
`boot(Guest(...))` with blank or prepared disk images, a config on fw_cfg and/or kernel
arguments, and optionally NICs on QEMU's user network. That network is always restricted
(`restrict=on`: nothing leaves QEMU); the guest reaches servers on the host's 127.0.0.1
only through guestfwd relays, plus slirp's own DHCP and TFTP (`assert_restricted` checks
every command line built here). Every boot is wrapped in `timeout`; the console log is
kept under artifacts/e2e/ whatever happens.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "artifacts" / "e2e"
BOOT_TIMEOUT = 180
# The e2e module powers off both on success and on failure (rd.emergency=poweroff); no
# shell anywhere, and a kernel panic ends QEMU (panic=-1 with -no-reboot).
BASE_CMDLINE = ("console=ttyS0 rd.shell=0 rd.emergency=poweroff rd.timeout=60 panic=-1 "
                "systemd.show_status=1 loglevel=4 udev.log_level=3")
FW_CFG_NAME = "opt/com.coreos/config"
CMDLINE_MAX = 2047


@dataclass(frozen=True)
class Images:
    kernel: Path
    initrd: Path


def build_images(out: Path | None = None) -> Images:
    """Runs tools/e2e/build.sh (cached: a no-op when nothing changed)."""
    argv = [str(REPO / "tools" / "e2e" / "build.sh")] + ([str(out)] if out else [])
    done = subprocess.run(argv, capture_output=True, text=True, timeout=900)
    if done.returncode != 0:
        raise RuntimeError(f"tools/e2e/build.sh failed ({done.returncode}):\n{done.stderr[-4000:]}")
    kernel, initrd = done.stdout.split()[-2:]
    return Images(Path(kernel), Path(initrd))


RELAY = REPO / "tools" / "e2e" / "guestfwd-relay"
RELAY_PYTHON = "/usr/bin/python3"


@dataclass(frozen=True)
class Forward:
    """The guest's `address:port` (TCP) reaches the host's 127.0.0.1:`host_port`."""

    address: str
    port: int
    host_port: int

    def guestfwd(self) -> str:
        # QEMU's option parser needs commas doubled; the relay's command has none.
        return f"guestfwd=tcp:{self.address}:{self.port}-cmd:{RELAY_PYTHON} {RELAY} {self.host_port}"


@dataclass
class Nic:
    """One virtio NIC. With `dhcp=False` it is attached to no network at all: its link is up
    but nothing ever answers (a NIC on a dead segment). `net`: the user network's prefix
    (slirp's default 10.0.2.0/24; 169.254.0.0/16 puts a metadata address inside it)."""

    forwards: tuple[Forward, ...] = ()
    tftp: Path | None = None
    bootfile: str | None = None
    net: str | None = None
    mac: str | None = None
    dhcp: bool = True
    boot_rom: bool = False  # iPXE option ROM: only for a PXE boot (it costs BIOS time)


@dataclass
class Guest:
    name: str
    disks: list[Path] = field(default_factory=list)
    fw_cfg_config: Path | None = None
    cmdline: str = ""
    memory_mib: int = 1024
    cpus: int = 1
    timeout: int = BOOT_TIMEOUT
    nics: list[Nic] = field(default_factory=list)
    pxe: bool = False  # firmware boots from the first NIC (iPXE); no -kernel/-initrd
    smbios_uuid: str | None = None


@dataclass
class Boot:
    name: str
    console: str
    returncode: int
    seconds: float
    log_path: Path

    @property
    def verdict(self) -> str | None:
        found = re.findall(r"IGNITE-E2E: (PASS|FAIL)", self.console)
        return found[-1] if found else None

    @property
    def timed_out(self) -> bool:
        return self.returncode == 124

    def section(self, name: str) -> str:
        m = re.search(rf"IGNITE-E2E-BEGIN-{name}\r?\n(.*?)IGNITE-E2E-END-{name}", self.console, re.S)
        return m.group(1).replace("\r", "") if m else ""

    def unit_times(self) -> dict[str, float]:
        """Seconds each ignite unit's main process ran (Python start-up included)."""
        times = {}
        for line in self.section("TIMINGS").splitlines():
            fields = dict(f.split("=", 1) for f in line.split() if "=" in f)
            start = int(fields.get("ExecMainStartTimestampMonotonic", "0") or 0)
            end = int(fields.get("ExecMainExitTimestampMonotonic", "0") or 0)
            if fields.get("Id") and start and end >= start:
                times[fields["Id"]] = (end - start) / 1e6
        return times

    def unit_cpu(self) -> dict[str, float]:
        """Seconds of CPU each ignite (or Ignition) unit used, by systemd's accounting: the
        guest's one vCPU is never idle, so this is where a boot's time goes."""
        return {unit: int(fields["CPUUsageNSec"]) / 1e9 for unit, fields in self.units().items()
                if fields.get("CPUUsageNSec", "").isdigit()}

    def units(self) -> dict[str, dict[str, str]]:
        out = {}
        for line in self.section("TIMINGS").splitlines():
            fields = dict(f.split("=", 1) for f in line.split() if "=" in f)
            if "Id" in fields:
                out[fields["Id"]] = fields
        return out

    def describe(self) -> str:
        tail = "\n".join(self.console.replace("\r", "").splitlines()[-60:])
        return (f"boot {self.name}: exit {self.returncode} after {self.seconds:.1f} s, verdict "
                f"{self.verdict}; console log {self.log_path}; last lines:\n{tail}")


def qemu_argv(images: Images, guest: Guest) -> list[str]:
    argv = ["timeout", "--kill-after=10", str(guest.timeout),
            "qemu-system-x86_64", "-machine", "q35", "-accel", "tcg",
            "-smp", str(guest.cpus), "-m", str(guest.memory_mib),
            "-nographic", "-no-reboot"]
    if guest.pxe:
        # iPXE gets kernel, initrd and command line from the boot server.
        argv += ["-boot", "n"]
    else:
        cmdline = f"{BASE_CMDLINE} {guest.cmdline}".strip()
        if len(cmdline) > CMDLINE_MAX:
            # The kernel would silently cut it: refuse instead.
            raise ValueError(f"kernel command line of {len(cmdline)} bytes exceeds {CMDLINE_MAX}")
        argv += ["-kernel", str(images.kernel), "-initrd", str(images.initrd), "-append", cmdline]
    argv += nic_argv(guest.nics)
    for disk in guest.disks:
        argv += ["-drive", f"file={disk},if=virtio,format=raw,cache=unsafe"]
    if guest.fw_cfg_config is not None:
        argv += ["-fw_cfg", f"name={FW_CFG_NAME},file={guest.fw_cfg_config}"]
    if guest.smbios_uuid:
        argv += ["-uuid", guest.smbios_uuid]
    assert_restricted(argv)
    return argv


def nic_argv(nics: list[Nic]) -> list[str]:
    if not nics:
        return ["-nic", "none"]
    argv = ["-nic", "none"]  # no default NIC besides these
    for number, nic in enumerate(nics):
        device = "virtio-net-pci" + (f",mac={nic.mac}" if nic.mac else "")
        # QEMU finds its iPXE ROM (Debian: ipxe-qemu) itself; other NICs boot without one.
        device += ",bootindex=1" if nic.boot_rom else ",romfile="
        if not nic.dhcp:
            argv += ["-device", device]  # no netdev: a link where nothing answers
            continue
        netdev = [f"user,id=net{number},restrict=on"]
        if nic.net:
            netdev.append(f"net={nic.net}")
        if nic.tftp is not None:
            netdev.append(f"tftp={nic.tftp}")
        if nic.bootfile:
            netdev.append(f"bootfile={nic.bootfile}")
        netdev += [forward.guestfwd() for forward in nic.forwards]
        argv += ["-netdev", ",".join(netdev), "-device", f"{device},netdev=net{number}"]
    return argv


def assert_restricted(argv: list[str]) -> None:
    """Every network of a test guest is QEMU's user network with restrict=on: no tap,
    bridge, socket or unrestricted user netdev, and no -nic other than `none`."""
    for flag, value in zip(argv, argv[1:], strict=False):  # pairs of neighbours
        if flag == "-nic" and value != "none":
            raise ValueError(f"-nic {value}: refused; a test guest's NICs are -netdev entries with restrict=on")
        if flag == "-netdev":
            options = value.split(",")
            if options[0] != "user" or "restrict=on" not in options:
                raise ValueError(f"-netdev {value}: only user networking with restrict=on is allowed")
        if flag == "-net" or (flag == "-device" and "netdev=" in value and "virtio-net" not in value):
            raise ValueError(f"{flag} {value}: not allowed in a test guest")


def boot(images: Images, guest: Guest) -> Boot:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    log_path = ARTIFACTS / f"{guest.name}.console.log"
    argv = qemu_argv(images, guest)
    (ARTIFACTS / f"{guest.name}.argv.json").write_text(json.dumps(argv) + "\n")
    start = time.monotonic()
    with open(log_path, "wb") as log, open(os.devnull, "rb") as devnull:
        log.write(("# " + " ".join(argv) + "\n").encode())
        log.flush()
        proc = subprocess.run(argv, stdin=devnull, stdout=log, stderr=subprocess.STDOUT)
    seconds = time.monotonic() - start
    console = log_path.read_bytes().decode(errors="replace")
    result = Boot(guest.name, console, proc.returncode, seconds, log_path)
    record_timings(result)
    return result


def record_timings(result: Boot) -> None:
    """artifacts/e2e/NAME.timings.json: wall time, each ignite unit's run time (from
    systemd's monotonic timestamps, Python start-up included) and the in-guest Python
    start-up figures."""
    python = dict(f.split("=", 1) for f in result.section("PYTHON").split() if "=" in f and "ms" in f)
    data = {"name": result.name, "verdict": result.verdict, "wall_seconds": round(result.seconds, 1),
            "units": result.unit_times(), "python_ms": python}
    (ARTIFACTS / f"{result.name}.timings.json").write_text(json.dumps(data, indent=1) + "\n")


def qemu_available() -> str | None:
    """None if boots can run here, else why not."""
    if os.geteuid() != 0:
        return "needs root (tools/e2e/build.sh installs Debian packages and dracut reads /boot-less kernels)"
    for tool in ("qemu-system-x86_64", "dracut", "sgdisk", "apt-get"):
        if shutil.which(tool) is None and tool != "qemu-system-x86_64" and tool != "dracut":
            return f"missing {tool}"
    return None
