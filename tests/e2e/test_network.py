"""End-to-end over the network: the guest's only network is QEMU's restricted user
network; servers run on the host's 127.0.0.1 and are reached through guestfwd relays
(tests/e2e/servers.py). Each test is one or two boots; see docs/boot.md."""
from __future__ import annotations

import json
import ssl
from pathlib import Path

import images
import pytest
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
                nics=[nic(qemu_guest.Forward(CONFIG_HOST, 443, server.port),
                          qemu_guest.Forward(DNS_HOST, 53, dns.port))],
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
PXE_UUID = "2f1e7c0a-9b1d-4c6e-8a53-1f0e2d3c4b5a"  # examples/pxe/groups/worker-by-uuid.json


@pytest.mark.parametrize("selected_by", ["mac", "uuid"])
def test_pxe_boot_through_ipxe_with_matchbox_style_profile(e2e_images, guest_boot, loopdevs, workdir, selected_by):
    """The firmware's iPXE gets examples/pxe/boot.ipxe over slirp's TFTP, which chains to the
    boot server (a matchbox stand-in on the host, serving examples/pxe): kernel and
    initramfs over HTTP, the config picked by MAC (profile with coreos.first_boot=1) or by
    SMBIOS UUID (profile with ignition.firstboot), merging a sha512-checked config and
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
        mac_address = PXE_MAC if selected_by == "mac" else "52:54:00:1a:00:99"  # no group has this MAC
        boot = guest_boot(disks=[disk], pxe=True, timeout=300, smbios_uuid=PXE_UUID, nics=[
            nic(qemu_guest.Forward(CONFIG_HOST, 80, server.port), mac=mac_address, tftp=tftp,
                bootfile="boot.ipxe", boot_rom=True)])
        paths = [r.path for r in server.requests]
    assert_passed(boot)
    mac = mac_address.replace(":", "-")
    assert paths[0] == f"/boot.ipxe?mac={mac}&uuid={PXE_UUID}", paths
    assert paths[1:3] == ["/assets/vmlinuz", "/assets/initrd.img"], paths
    config_request = f"/ignition?mac={mac}" if selected_by == "mac" else f"/ignition?uuid={PXE_UUID}"
    assert config_request in paths and "/assets/common.ign" in paths and "/assets/motd.gz" in paths, paths
    flag = "coreos.first_boot" if selected_by == "mac" else "ignition.firstboot"
    assert f"first boot ({flag})" in boot.console, boot.describe()
    with mounted_read_only(loopdevs, disk, workdir) as mnt:
        root = mnt[1]
        assert (root / "etc/motd").read_text() == "Provisioned by ignite over PXE.\n"
        assert (root / "etc/tftp-hello.txt").read_bytes() == (EXAMPLES / "assets/tftp-hello.txt").read_bytes()
        assert (root / "etc/ignite-common.conf").read_text() == "merged from common.ign\n"
        assert any(line.startswith("core:") for line in (root / "etc/passwd").read_text().splitlines())


def paragraph(boot: qemu_guest.Boot) -> str:
    lines = console_lines(boot, "IGNITE FAILED")
    assert lines, boot.describe()
    return lines[0][lines[0].index("IGNITE FAILED"):]


def assert_failed_cleanly(boot: qemu_guest.Boot) -> None:
    """FAIL verdict, no switch-root, a clean power-off (not the hang guard)."""
    assert boot.verdict == "FAIL", boot.describe()
    assert not boot.timed_out and boot.returncode == 0, boot.describe()
    assert "IGNITE-E2E-ROOT" not in boot.console, boot.describe()


HTTP_CONFIG = f"http://{CONFIG_HOST}/config.ign"
FIRST_BOOT_METAL = f"ignition.firstboot ignition.platform.id=metal {ROOT}"


def test_503_with_retry_after_twice_then_provisioned(guest_boot, loopdevs, workdir):
    data = b"served on the third attempt\n"
    disk = workdir / "disk.img"
    images.os_disk(disk, workdir)
    with http_server() as server:
        busy = Reply(503, b"busy\n", {"Retry-After": "2"})
        server.route("/config.ign", busy, busy,
                     Reply(200, json.dumps(config_with_file("/etc/retried.e2e", data)).encode()))
        boot = guest_boot(disks=[disk], nics=[nic(qemu_guest.Forward(CONFIG_HOST, 80, server.port))],
                          cmdline=f"{FIRST_BOOT_METAL} ignition.config.url={HTTP_CONFIG}")
        hits = server.hits("/config.ign")
    assert_passed(boot)
    assert len(hits) == 3 and hits[2].at - hits[0].at >= 4.0  # Retry-After was obeyed
    # One classified line per failed attempt, in the journal and on the console.
    retries = [line for line in boot.section("JOURNAL").splitlines() if "failed (attempt" in line]
    assert len(retries) == 2 and all("http: server answered 503" in line for line in retries), retries
    assert len(console_lines(boot, "failed (attempt")) >= 2
    with mounted_read_only(loopdevs, disk, workdir) as mnt:
        assert (mnt[1] / "etc/retried.e2e").read_bytes() == data


def test_connection_refused_fails_within_the_deadline_naming_url_and_cause(guest_boot, workdir):
    url = f"http://{CONFIG_HOST}:8080/config.ign"  # no guestfwd for that port: refused
    disk = workdir / "disk.img"
    images.os_disk(disk, workdir)
    with http_server() as server:
        boot = guest_boot(disks=[disk], nics=[nic(qemu_guest.Forward(CONFIG_HOST, 80, server.port))],
                          cmdline=f"{FIRST_BOOT_METAL} ignition.fetch.timeout=15 ignition.config.url={url}")
    assert_failed_cleanly(boot)
    text = paragraph(boot)
    assert "stage fetch" in text and url in text and "connection refused" in text, text
    assert "unable to fetch resource in time" in text, text
    attempts = console_lines(boot, "failed (attempt")
    assert attempts and all("connect: connection refused" in line for line in attempts), attempts


def test_remote_resource_with_wrong_hash_fails_closed(guest_boot, loopdevs, workdir):
    good, served = b"the expected contents\n", b"what the server really sends\n"
    config = {"ignition": {"version": "3.4.0"}, "storage": {"files": [
        {"path": "/etc/first.e2e", "contents": {"source": "data:,written%20first%0A"}},
        {"path": "/etc/checked.e2e", "contents": {"source": f"http://{CONFIG_HOST}/payload",
                                                  "verification": {"hash": sha512(good)}}}]}}
    disk = workdir / "disk.img"
    images.os_disk(disk, workdir)
    with http_server() as server:
        server.serve("/config.ign", json.dumps(config).encode())
        server.serve("/payload", served)
        boot = guest_boot(disks=[disk], nics=[nic(qemu_guest.Forward(CONFIG_HOST, 80, server.port))],
                          cmdline=f"{FIRST_BOOT_METAL} ignition.config.url={HTTP_CONFIG}")
    assert_failed_cleanly(boot)
    text = paragraph(boot)
    assert "/etc/checked.e2e" in text and "hash" in text and f"http://{CONFIG_HOST}/payload" in text, text
    with mounted_read_only(loopdevs, disk, workdir) as mnt:
        etc = mnt[1] / "etc"
        assert not (etc / "checked.e2e").exists()
        assert not [p.name for p in etc.iterdir() if "checked" in p.name], "a temporary file was left"


def test_first_nic_without_dhcp_second_provisions(guest_boot, loopdevs, workdir):
    """No ip=: DHCP on every Ethernet link; the first NIC is on a segment where nothing
    answers, the first lease (the second NIC's) wins."""
    data = b"through the second NIC\n"
    disk = workdir / "disk.img"
    images.os_disk(disk, workdir)
    with http_server() as server:
        server.serve("/config.ign", json.dumps(config_with_file("/etc/second-nic.e2e", data)).encode())
        boot = guest_boot(disks=[disk], cmdline=f"{FIRST_BOOT_METAL} ignition.config.url={HTTP_CONFIG}",
                          nics=[qemu_guest.Nic(dhcp=False, mac="52:54:00:de:ad:01"),
                                nic(qemu_guest.Forward(CONFIG_HOST, 80, server.port), mac="52:54:00:00:00:02")])
    assert_passed(boot)
    up = console_lines(boot, "ignite-network: up after")
    assert up and "10.0.2.15" in up[0], boot.describe()
    with mounted_read_only(loopdevs, disk, workdir) as mnt:
        assert (mnt[1] / "etc/second-nic.e2e").read_bytes() == data


def test_bad_input_unsupported_scheme_and_ip_typo_each_get_one_clear_line(guest_boot, workdir):
    disk = workdir / "disk.img"
    images.os_disk(disk, workdir)
    scheme = guest_boot("scheme", disks=[disk],
                        cmdline=f"{FIRST_BOOT_METAL} ignition.config.url=gopher://{CONFIG_HOST}/config.ign")
    assert_failed_cleanly(scheme)
    text = paragraph(scheme)
    assert "gopher://" in text and "unsupported" in text and "scheme" in text, text
    assert "ignite-network" not in scheme.section("TIMINGS") or "ActiveState=active" not in \
        scheme.units().get("ignite-network.service", {}).get("ActiveState", "")

    typo = "ip=10.0.2.15::10.0.2.2:255.255.255.0:host:eth0:nonee"
    with http_server() as server:
        bad_ip = guest_boot("ip", disks=[disk], nics=[nic(qemu_guest.Forward(CONFIG_HOST, 80, server.port))],
                            cmdline=f"{FIRST_BOOT_METAL} {typo} ignition.config.url={HTTP_CONFIG}")
        assert not server.requests
    assert_failed_cleanly(bad_ip)
    text = paragraph(bad_ip)
    assert "stage network" in text and typo in text and "not valid" in text, text


METADATA = "169.254.169.254"  # a cloud's metadata address: inside the guest's user network only
CLOUD_NET = "169.254.0.0/16"  # so that guestfwd may claim the metadata address


def cloud_boot(guest_boot, workdir, platform: str, routes) -> tuple[qemu_guest.Boot, HttpServer, Path]:
    workdir.mkdir(parents=True, exist_ok=True)
    disk = workdir / "disk.img"
    images.os_disk(disk, workdir)
    with http_server() as server:
        routes(server)
        boot = guest_boot(platform, disks=[disk], cmdline=f"ignition.firstboot ignition.platform.id={platform} {ROOT} "
                                                "ignition.fetch.timeout=30",
                          nics=[nic(qemu_guest.Forward(METADATA, 80, server.port), net=CLOUD_NET)])
    return boot, server, disk


def test_aws_imdsv2_and_openstack_metadata_at_their_link_local_address(guest_boot, loopdevs, workdir):
    """Two providers against local stand-ins of their metadata services, reached from inside
    the guest at 169.254.169.254 (never from the host)."""
    aws_data, os_data = b"user data from the IMDS stand-in\n", b"user data from the OpenStack stand-in\n"
    token = "e2e-imdsv2-token"

    def imds(server: HttpServer) -> None:
        server.route("/latest/api/token", Reply(200, token.encode()))

        def user_data(request):
            if request.headers.get("X-aws-ec2-metadata-token") != token:
                return Reply(401, b"no token\n")
            return Reply(200, json.dumps(config_with_file("/etc/aws.e2e", aws_data)).encode())
        server.routes["/2019-10-01/user-data"] = user_data
        server.route("/latest/meta-data/placement/region", Reply(200, b"eu-west-1"))
        server.route("/latest/meta-data/iam/security-credentials/", Reply(404, b""))

    aws, server, disk = cloud_boot(guest_boot, workdir / "aws", "aws", imds)
    assert_passed(aws)
    assert server.hits("/latest/api/token")[0].method == "PUT"
    assert server.hits("/2019-10-01/user-data")
    with mounted_read_only(loopdevs, disk, workdir / "aws") as mnt:
        assert (mnt[1] / "etc/aws.e2e").read_bytes() == aws_data

    def openstack(server: HttpServer) -> None:
        user_data = json.dumps(config_with_file("/etc/openstack.e2e", os_data)).encode()
        server.serve("/openstack/latest/user_data", user_data)

    ostack, server, disk = cloud_boot(guest_boot, workdir / "openstack", "openstack", openstack)
    assert_passed(ostack)
    assert server.hits("/openstack/latest/user_data")
    with mounted_read_only(loopdevs, disk, workdir / "openstack") as mnt:
        assert (mnt[1] / "etc/openstack.e2e").read_bytes() == os_data
