"""End-to-end over the network: the guest's only network is QEMU's restricted user
network; servers run on the host's 127.0.0.1 and are reached through guestfwd relays
(tests/e2e/servers.py). Each test is one or two boots; see docs/boot.md."""
from __future__ import annotations

import gzip
import json
import ssl
from pathlib import Path

import pytest

import images
import qemu_guest
from images import mounted_read_only
from servers import DnsServer, HttpServer, Reply, http_server
from test_boot import SSH_KEY, assert_passed, sha512

pytestmark = pytest.mark.e2e

CONFIG_HOST = "10.0.2.100"  # the config server, as the guest sees it
DNS_HOST = "10.0.2.53"  # a DNS server (TCP) for the host names of the test
CONFIG_NAME = "config.ignite.test"
ROOT = "root=LABEL=root ro"
# glibc asks the DNS server over TCP: guestfwd forwards TCP only.
DNS_OVER_TCP = "systemd.setenv=RES_OPTIONS=use-vc"


def config_with_file(path: str, data: bytes, **extra: object) -> dict:
    return {"ignition": {"version": "3.4.0"},
            "storage": {"files": [{"path": path, "mode": 0o644, "contents": {"source": "data:;base64,"
                                   + __import__("base64").b64encode(data).decode()}}]},
            "passwd": {"users": [{"name": "core", "sshAuthorizedKeys": [SSH_KEY]}]}, **extra}


def nic(*forwards: qemu_guest.Forward, **kwargs: object) -> qemu_guest.Nic:
    return qemu_guest.Nic(forwards=tuple(forwards), **kwargs)  # type: ignore[arg-type]


def console_lines(boot: qemu_guest.Boot, needle: str) -> list[str]:
    return [line for line in boot.console.replace("\r", "").splitlines() if needle in line]


def network_state(boot: qemu_guest.Boot) -> str:
    return boot.section("NETWORK")


def test_https_config_by_host_name_with_dhcp_nameserver_and_teardown(guest_boot, loopdevs, workdir):
    """ip=dhcp, nameserver= (a DNS server on the host), an https:// URL naming a host whose
    certificate a CA in the initramfs's bundle signed. The network is torn down before
    switch-root and ip= is carried into the root, which has no network config."""
    ca = Path(qemu_guest.REPO / ".cache/e2e/test-ca")
    tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    tls.load_cert_chain(ca / "server.pem", ca / "server.key")
    data = b"fetched over https from a host name\n"
    disk = workdir / "disk.img"
    images.os_disk(disk, workdir)
    dns = DnsServer({CONFIG_NAME: CONFIG_HOST})
    try:
        with http_server(tls=tls) as server:
            server.serve("/config.ign", json.dumps(config_with_file("/etc/https.e2e", data)).encode())
            boot = guest_boot(
                disks=[disk],
                nics=[nic(qemu_guest.Forward(CONFIG_HOST, 443, server.port), qemu_guest.Forward(DNS_HOST, 53, dns.port))],
                cmdline=f"ignition.firstboot ignition.platform.id=metal {ROOT} ip=dhcp nameserver={DNS_HOST} "
                        f"{DNS_OVER_TCP} ignition.config.url=https://{CONFIG_NAME}/config.ign")
            assert_passed(boot)
            assert [r.path for r in server.requests] == ["/config.ign"]
    finally:
        dns.close()
    assert CONFIG_NAME in dns.queries
    assert console_lines(boot, "ignite-network: up after"), boot.describe()
    assert console_lines(boot, "ignite-network: torn down before switch-root"), boot.describe()
    with mounted_read_only(loopdevs, disk, workdir) as mnt:
        assert (mnt[1] / "etc/https.e2e").read_bytes() == data
        carried = mnt[1] / "etc/systemd/network/91-default.network"
        assert "DHCP=ipv4" in carried.read_text()


PXE_MAC = "52:54:00:1a:00:01"  # examples/pxe/groups/worker-1.json


def test_pxe_boot_through_ipxe_with_matchbox_style_profile(e2e_images, guest_boot, loopdevs, workdir):
    """The firmware's iPXE gets examples/pxe/boot.ipxe over slirp's TFTP, which chains to the
    boot server (a matchbox stand-in on the host, serving examples/pxe): kernel and
    initramfs over HTTP, the config picked by MAC, merging a sha512-checked config and
    fetching files over HTTP (gzip, hash) and TFTP."""
    from matchbox import EXAMPLES, Matchbox

    tftp = workdir / "tftp"
    tftp.mkdir()
    (tftp / "boot.ipxe").write_bytes((EXAMPLES / "boot.ipxe").read_bytes())
    (tftp / "tftp-hello.txt").write_bytes((EXAMPLES / "assets/tftp-hello.txt").read_bytes())
    disk = workdir / "disk.img"
    images.os_disk(disk, workdir)
    log = qemu_guest.ARTIFACTS / "pxe-server.log"
    log.unlink(missing_ok=True)
    with http_server(log_file=log) as server:
        Matchbox(server, {"vmlinuz": e2e_images.kernel, "initrd.img": e2e_images.initrd,
                          "motd.gz": EXAMPLES / "assets/motd.gz", "common.ign": EXAMPLES / "ignition/common.ign"},
                 extra_args=qemu_guest.BASE_CMDLINE)
        boot = guest_boot(disks=[disk], pxe=True, timeout=300, nics=[
            nic(qemu_guest.Forward(CONFIG_HOST, 80, server.port), mac=PXE_MAC, tftp=tftp,
                bootfile="boot.ipxe", boot_rom=True)])
        paths = [r.path for r in server.requests]
    assert_passed(boot)
    mac = PXE_MAC.replace(":", "-")
    assert paths[0].startswith(f"/boot.ipxe?mac={mac}&uuid="), paths
    assert paths[1:3] == ["/assets/vmlinuz", "/assets/initrd.img"], paths
    assert f"/ignition?mac={mac}" in paths and "/assets/common.ign" in paths and "/assets/motd.gz" in paths
    assert "first boot (coreos.first_boot)" in boot.console, boot.describe()
    with mounted_read_only(loopdevs, disk, workdir) as mnt:
        root = mnt[1]
        assert (root / "etc/motd").read_text() == "Provisioned by ignite over PXE.\n"
        assert (root / "etc/tftp-hello.txt").read_bytes() == (EXAMPLES / "assets/tftp-hello.txt").read_bytes()
        assert (root / "etc/ignite-common.conf").read_text() == "merged from common.ign\n"
        assert any(line.startswith("core:") for line in (root / "etc/passwd").read_text().splitlines())
