"""Cloud providers booted under QEMU against local stand-ins of their metadata services
(metadata_standins.py), reached from inside the guest at the provider's real address,
never from the host: Akamai's gzipped, base64 user data at 169.254.169.254, and Equinix
Metal (packet) at https://metadata.packet.net, whose status reports after each stage go
to the stand-in's phone-home service. The guest's only network is QEMU's restricted
user network; see docs/boot.md."""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import images
import pytest
import qemu_guest
from images import mounted_read_only
from metadata_standins import PACKET_METADATA, PACKET_PHONE_HOME, Akamai, Packet, tls_for
from servers import DnsServer, http_server
from test_boot import assert_passed
from test_network import (
    CLOUD_NET,
    DNS_OVER_TCP,
    METADATA,
    ROOT,
    assert_failed_cleanly,
    config_with_file,
    nic,
    paragraph,
)

pytestmark = pytest.mark.e2e

FIRST_BOOT = f"ignition.firstboot {ROOT} ignition.fetch.timeout=30"


def test_akamai_gzipped_base64_user_data_at_the_link_local_address(guest_boot, loopdevs, workdir):
    """Akamai (Linode): a token PUT, then user data that the service base64-encodes and,
    here, gzipped: the config is inflated in the guest, as upstream does for this platform."""
    data = b"user data from the Akamai stand-in, gzipped\n"
    config = json.dumps(config_with_file("/etc/akamai.e2e", data)).encode()
    standin = Akamai(config)
    assert standin.body()[:4] == b"H4sI"  # base64 of the gzip magic: the guest gets it compressed
    disk = workdir / "disk.img"
    images.os_disk(disk, workdir)
    with http_server() as server:
        standin.install(server)
        boot = guest_boot(disks=[disk], cmdline=f"{FIRST_BOOT} ignition.platform.id=akamai",
                          nics=[nic(qemu_guest.Forward(METADATA, 80, server.port), net=CLOUD_NET)])
    assert_passed(boot)
    assert not standin.refused, standin.refused
    assert [(r.method, r.path) for r in server.requests] == [("PUT", "/v1/token"), ("GET", "/v1/user-data")]
    with mounted_read_only(loopdevs, disk, workdir) as mnt:
        assert (mnt[1] / "etc/akamai.e2e").read_bytes() == data


PACKET_HOST = "10.0.2.100"  # metadata.packet.net, as the DNS stand-in answers
PHONE_HOME_HOST = "10.0.2.101"  # tinkerbell.e2e.packet.net
DNS_HOST = "10.0.2.53"
# Every stage after fetch-offline reports (fetch-offline is offline: it cannot, and says so).
REPORTING_STAGES = ("fetch", "kargs", "disks", "mount", "files", "umount")


@dataclass
class PacketBoot:
    boot: qemu_guest.Boot
    standin: Packet
    dns_queries: list[str]
    requests: list[tuple[str, str]]  # (method, path) to the metadata and phone-home stand-ins
    disk: Path


def packet_boot(guest_boot, workdir: Path, user_data: bytes, log_name: str) -> PacketBoot:
    """Boots platform packet with the provider's real endpoint: the host name resolves
    (DNS stand-in) to an address relayed to the HTTPS stand-in, whose certificate the test
    CA in the initramfs signed; the phone-home host is relayed to a plain HTTP stand-in.
    Both stand-ins log their requests to artifacts/e2e/<log_name>.packet-standin.log."""
    disk = workdir / "disk.img"
    images.os_disk(disk, workdir)
    standin = Packet(user_data)
    tls = tls_for((PACKET_METADATA,), workdir / "tls")
    log = qemu_guest.ARTIFACTS / f"{log_name}.packet-standin.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    log.unlink(missing_ok=True)
    dns = DnsServer({PACKET_METADATA: PACKET_HOST, PACKET_PHONE_HOME: PHONE_HOME_HOST})
    try:
        with http_server(tls=tls, log_file=log) as metadata, http_server(log_file=log) as phone_home:
            standin.install(metadata, phone_home)
            boot = guest_boot(
                disks=[disk],
                cmdline=f"{FIRST_BOOT} ignition.platform.id=packet nameserver={DNS_HOST} {DNS_OVER_TCP}",
                nics=[nic(qemu_guest.Forward(PACKET_HOST, 443, metadata.port),
                          qemu_guest.Forward(PHONE_HOME_HOST, 80, phone_home.port),
                          qemu_guest.Forward(DNS_HOST, 53, dns.port))])
            requests = [(r.method, r.path) for r in metadata.requests + phone_home.requests]
    finally:
        dns.close()
    return PacketBoot(boot, standin, dns.queries, requests, disk)


def test_packet_user_data_and_a_status_report_after_every_stage(guest_boot, loopdevs, workdir):
    data = b"user data from the Equinix Metal stand-in\n"
    config = json.dumps(config_with_file("/etc/packet.e2e", data)).encode()
    run = packet_boot(guest_boot, workdir, config, "packet-success")
    boot, standin = run.boot, run.standin
    assert_passed(boot)
    assert not standin.refused, standin.refused
    assert PACKET_METADATA in run.dns_queries and PACKET_PHONE_HOME in run.dns_queries, run.dns_queries
    assert ("GET", "/userdata") in run.requests, run.requests
    assert standin.events == [
        {"state": "running", "message": f"[{stage}] Ignition status: finished successfully"}
        for stage in REPORTING_STAGES
    ], standin.events
    # fetch-offline has no network: its report is skipped with a warning, not an error.
    assert any("could not report the fetch-offline status" in line
               for line in boot.section("JOURNAL").splitlines()), boot.describe()
    with mounted_read_only(loopdevs, run.disk, workdir) as mnt:
        assert (mnt[1] / "etc/packet.e2e").read_bytes() == data


def test_packet_failed_stage_is_reported_as_failed(guest_boot, workdir):
    """The files stage fails (a remote file the server does not have): the stages before
    it report success, files reports the failure with its error, and the boot stops
    before switch-root."""
    missing = f"http://{PACKET_PHONE_HOME}/no-such-file"
    config = {"ignition": {"version": "3.4.0"}, "storage": {"files": [
        {"path": "/etc/missing.e2e", "contents": {"source": missing}}]}}
    run = packet_boot(guest_boot, workdir, json.dumps(config).encode(), "packet-failure")
    boot, standin = run.boot, run.standin
    assert_failed_cleanly(boot)
    assert "stage files" in paragraph(boot), boot.describe()
    assert not standin.refused, standin.refused
    states = [(e["state"], e["message"].split("]")[0] + "]") for e in standin.events]
    # umount runs too (the initramfs stops the mount unit on the way to power-off), and
    # reports: the network is kept up for the failure path.
    assert states == [("running", "[fetch]"), ("running", "[kargs]"), ("running", "[disks]"), ("running", "[mount]"),
                      ("failed", "[files]"), ("running", "[umount]")], standin.events
    failed = standin.events[4]
    assert failed["message"].startswith("[files] Ignition error: "), failed
    assert missing in failed["message"], failed


def test_packet_without_any_dhcp_answer_fails_naming_the_network_timeout(guest_boot, workdir):
    """The NIC is attached to nothing: the network stage fails after ignite.network.timeout=,
    and the paragraph names that (the failure unit wants the network unit, which its
    condition on the failure flag now skips, instead of failing again and again)."""
    disk = workdir / "disk.img"
    images.os_disk(disk, workdir)
    boot = guest_boot(disks=[disk], nics=[qemu_guest.Nic(dhcp=False)], cmdline=f"{FIRST_BOOT} "
                      f"ignition.platform.id=packet nameserver={DNS_HOST} ignite.network.timeout=5")
    assert_failed_cleanly(boot)
    text = paragraph(boot)
    assert "stage network" in text and "no network interface got a routable address within 5 s" in text, text
    assert "generator failed" not in boot.console, boot.describe()
    # Started once; the failure unit's want of it is skipped on the failure flag, not a restart.
    assert boot.console.count("Starting ignite-network.service") == 1, boot.describe()
    assert "skipped because of an unmet condition check (ConditionPathExists=!/run/ignite/network-failed)" \
        in boot.console, boot.describe()
