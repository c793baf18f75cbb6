"""The rule of every platform in one table: where its config arrives, what happens when
there is none (or its channel fails), whether it needs the network, its status report,
config deletion, and what proves it. docs/platforms.md holds `markdown()` verbatim; a
test keeps the two, and the providers, in step. Not imported at boot."""
from __future__ import annotations

from typing import NamedTuple


class Platform(NamedTuple):
    id: str
    source: str  # how the config arrives
    absent: str  # no config, and failures of the channel
    network: str  # "yes", "no", or why
    status: str  # status report to the platform
    deletion: str  # config deletion after the first boot
    proven: str  # by a QEMU boot, by a stand-in on 127.0.0.1 (or a namespace), or not


IMDS_404 = "404 or empty body: empty config; other 4xx, or no answer within the fetch timeout: error"

PLATFORMS = (
    Platform(
        "akamai",
        "IMDS user-data after a token PUT; strict base64, then gzip if gzipped",
        "empty body: empty config; 404, empty token, bad base64: error",
        "yes",
        "none",
        "none",
        "boot (gzipped base64 user data at 169.254.169.254 in the guest); stand-in",
    ),
    Platform("aliyun", "metadata GET 100.100.100.200/latest/user-data", IMDS_404, "yes", "none", "none", "stand-in"),
    Platform(
        "applehv",
        "HTTP GET over vsock (CID 2, port 1024); loads vsock if need be",
        "empty body: empty config; vsock failure: error",
        "no (vsock)",
        "none",
        "none",
        "stand-in (TCP for vsock)",
    ),
    Platform(
        "aws",
        "IMDSv2 token, then user-data (IMDSv1 if the token PUT is 404); role credentials for s3:// on first need",
        IMDS_404,
        "yes",
        "none",
        "none",
        "boot (IMDSv2 at 169.254.169.254 in the guest); stand-in (IMDS, moto S3)",
    ),
    Platform(
        "azure",
        "IMDS userData (strict base64), else the OVF CD-ROM's CustomData.bin; managed identity for blobs on first need",
        "IMDS empty and CD without CustomData.bin: empty config; 404/410/429/5xx retried; bad base64: error",
        "yes",
        "none",
        "none",
        "stand-in (IMDS, blob)",
    ),
    Platform(
        "azurestack",
        "OVF CD-ROM (udf, iso9660) CustomData.bin, waited for without end",
        "CustomData.bin missing: empty config",
        "no",
        "none",
        "none",
        "not proven here",
    ),
    Platform("brightbox", "as openstack", "as openstack", "yes", "none", "none", "stand-in (as openstack)"),
    Platform(
        "cloudstack",
        "config-2/CONFIG-2 drive raced with the DHCP server's metadata (first lease in interface order)",
        "missing file, 404, or every source failing: empty config",
        "yes",
        "none",
        "none",
        "stand-in",
    ),
    Platform(
        "digitalocean",
        "metadata GET /metadata/v1/user-data",
        "empty body: empty config; 404: error",
        "yes",
        "none",
        "none",
        "stand-in",
    ),
    Platform("exoscale", "metadata GET /1.0/user-data", IMDS_404, "yes", "none", "none", "stand-in"),
    Platform(
        "file",
        "--config-file, else $IGNITION_CONFIG_FILE, else ./config.ign",
        "empty file: empty config; unreadable: error",
        "no",
        "none",
        "none",
        "stand-in",
    ),
    Platform(
        "gcp",
        "metadata attribute user-data (Metadata-Flavor: Google); service-account token for gs:// on first need",
        IMDS_404,
        "yes",
        "none",
        "none",
        "stand-in (metadata, storage)",
    ),
    Platform("hetzner", "metadata GET /hetzner/v1/userdata", IMDS_404, "yes", "none", "none", "stand-in"),
    Platform(
        "hyperv",
        "KVP pool 0 (ignition.config, or .0, .1, … joined), read as the KVP client on /dev/vmbus/hv_kvp",
        "no key: empty config; hv_utils or the device missing: error",
        "no",
        "none",
        "none (the host keeps the pairs); pools written 0600 to /var/lib/hyperv",
        "stand-in (socket pair for the device)",
    ),
    Platform(
        "ibmcloud",
        "cidata drive /user-data, waited for 30 s",
        "no drive in 30 s, no file, drive that will not mount: empty config",
        "no",
        "none",
        "none",
        "stand-in (loop device)",
    ),
    Platform(
        "kubevirt",
        "cidata and config-2 drives raced, waited for without end",
        "missing file, or every drive failing: empty config",
        "no",
        "none",
        "none",
        "stand-in (loop device)",
    ),
    Platform(
        "metal",
        "none (kernel command line, user.ign, OEM partition)",
        "always empty",
        "no",
        "none",
        "none; on any platform, ignite.delete_local_config=1 deletes the OEM config.ign and the boot ignition/",
        "boot; stand-in (local config deletion on loop devices)",
    ),
    Platform(
        "nutanix",
        "config-2 drive, waited for without end",
        "missing file: empty config; mount failure: error",
        "no",
        "none",
        "none",
        "stand-in (loop device)",
    ),
    Platform(
        "nvidiabluefield",
        "bootfifo in sysfs (mlxbf_bootctl), NULs stripped",
        "empty fifo: error",
        "no",
        "none",
        "none",
        "stand-in (file)",
    ),
    Platform(
        "openstack",
        "config-2/CONFIG-2 drives raced with metadata over IPv4 and fe80::a9fe:a9fe%IF on every up interface",
        "missing file, 404, or every source failing: empty config",
        "yes",
        "none",
        "none",
        "boot (IPv4 metadata at 169.254.169.254 in the guest); stand-in (IPv4; IPv6 link-local in a network namespace)",
    ),
    Platform(
        "oraclecloud",
        "metadata GET with Authorization: Bearer Oracle; strict base64",
        IMDS_404 + "; bad base64: error",
        "yes",
        "none",
        "none",
        "stand-in",
    ),
    Platform(
        "packet",
        "metadata GET /userdata with Accept: */*",
        "empty body: empty config; 404: error",
        "yes",
        "after every stage: one POST of the outcome to the phone-home URL (failures logged)",
        "none",
        "boot (https://metadata.packet.net by host name in the guest; each stage's report, a failed stage's too,"
        " received by the phone-home stand-in); stand-in",
    ),
    Platform(
        "powervs",
        "config-2 drive, waited for without end",
        "missing file: empty config; mount failure: error",
        "no",
        "none",
        "none",
        "stand-in (failure paths)",
    ),
    Platform(
        "proxmoxve",
        "cidata drive /user-data, else /vendor-data (cloud-config skipped), waited for 30 s",
        "no drive in 30 s, nothing usable, drive that will not mount: empty config",
        "no",
        "none",
        "none",
        "stand-in (loop device)",
    ),
    Platform(
        "qemu",
        "fw_cfg opt/com.coreos/config (loads qemu_fw_cfg); s390x/ppc64le: virtio-ignition block device",
        "no fw_cfg entry: empty config; module that will not load, device not there in 5 min: error",
        "no",
        "none",
        "none",
        "boot (fw_cfg); stand-in (block device)",
    ),
    Platform("scaleway", "metadata GET from a privileged source port", IMDS_404, "yes", "none", "none", "stand-in"),
    Platform("upcloud", "metadata GET /metadata/v1/user_data", IMDS_404, "yes", "none", "none", "stand-in"),
    Platform(
        "virtualbox",
        "guest property /Ignition/Config (VBoxControl)",
        "property unset: empty config; Encoding set, tool missing or failing: error",
        "no",
        "none",
        "both properties deleted after the files stage",
        "stand-in (VBoxControl)",
    ),
    Platform(
        "vmware",
        "guestinfo ignition.config.data[.encoding], OVF environment defaults (vmware-rpctool; x86_64)",
        "data unset: empty config; not VMware, tool missing or failing, bad encoding: error",
        "no",
        "none",
        "data set to {} (base64) and OVF properties removed after the files stage",
        "stand-in (vmware-rpctool)",
    ),
    Platform("vultr", "metadata GET /user-data/user-data", IMDS_404, "yes", "none", "none", "stand-in"),
    Platform(
        "zvm",
        "z/VM reader: first spool file of type ign (vmur, chccwdev)",
        "no ign file: empty config",
        "no",
        "none",
        "none",
        "stand-in (listing parser only)",
    ),
)


def markdown() -> str:
    head = (
        "| Platform | Config arrives | No config, or the channel fails | Network | Status report"
        " | Config deletion | Proven by |\n"
    )
    rule = "|---|---|---|---|---|---|---|\n"
    rows = "".join(
        f"| `{p.id}` | {p.source} | {p.absent} | {p.network} | {p.status} | {p.deletion} | {p.proven} |\n"
        for p in PLATFORMS
    )
    return head + rule + rows
