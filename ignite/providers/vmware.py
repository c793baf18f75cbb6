"""VMware: guestinfo ignition.config.data (+ .encoding), defaults from the OVF
environment, read with the host tool vmware-rpctool (open-vm-tools), as far as Python
can reach the backdoor. Outside VMware there is no provider: an error."""
from __future__ import annotations

import base64
import binascii
import os
import platform as host
import xml.etree.ElementTree as ET
from pathlib import Path

from ignite.errors import CommandError, FetchError, ProviderError, ToolMissingError
from ignite.providers import ProviderContext

DMI_ENV = "IGNITE_DMI_DIR"
DMI = "/sys/class/dmi/id"
DATA, ENCODING = "guestinfo.ignition.config.data", "guestinfo.ignition.config.data.encoding"
OVF_NS = "http://schemas.dmtf.org/ovf/environment/1"


def in_vmware() -> bool:
    vendor = Path(os.environ.get(DMI_ENV, DMI)) / "sys_vendor"
    try:
        return "vmware" in vendor.read_text().lower()
    except OSError:
        return False


def fetch(pctx: ProviderContext) -> bytes | None:
    if host.machine() not in ("x86_64", "AMD64") and DMI_ENV not in os.environ:
        raise ProviderError("vmware", "vmware provider is not supported on this architecture")
    if not in_vmware():
        raise ProviderError("vmware", "not running in a VMware virtual machine (no config provider)")
    ovf = _ovf_properties(_guestinfo("guestinfo.ovfEnv"))
    data = _guestinfo(DATA) or ovf.get(DATA, "")
    encoding = _guestinfo(ENCODING) or ovf.get(ENCODING, "")
    if not data:
        return None
    return decode(data, encoding) or None


def decode(data: str, encoding: str) -> bytes:
    try:
        if encoding == "":
            return data.encode()
        if encoding in ("b64", "base64"):
            return base64.b64decode(data)
        if encoding in ("gz", "gzip"):
            return _gunzip(data.encode("latin-1"))
        if encoding in ("gz+base64", "gzip+base64", "gz+b64", "gzip+b64"):
            return _gunzip(base64.b64decode(data))
    except (binascii.Error, ValueError) as exc:
        raise ProviderError("vmware", f"cannot decode the config with encoding {encoding!r}: {exc}") from None
    except FetchError as exc:
        raise ProviderError("vmware", f"cannot decode the config with encoding {encoding!r}: {exc.detail}") from None
    raise ProviderError("vmware", f"unsupported guestinfo encoding {encoding!r}")


def _gunzip(data: bytes) -> bytes:
    from ignite.resource.decompress import gunzip_bytes
    from ignite.resource.limits import MAX_BUFFERED_BYTES

    return gunzip_bytes(data, MAX_BUFFERED_BYTES, "guestinfo")


def _guestinfo(key: str) -> str:
    from ignite.system.run import run

    try:
        return run("vmware-rpctool", f"info-get {key}").stdout.rstrip("\n")
    except ToolMissingError:
        raise ProviderError("vmware", "reading guestinfo needs vmware-rpctool (open-vm-tools) in the initramfs") from None
    except CommandError:
        return ""  # "No value found": the key is not set


def _ovf_properties(xml: str) -> dict[str, str]:
    if not xml.strip():
        return {}
    try:
        root = ET.fromstring(xml)
    except ET.ParseError as exc:
        raise ProviderError("vmware", f"guestinfo.ovfEnv is not valid XML: {exc}") from None
    props = {}
    for prop in root.iter(f"{{{OVF_NS}}}Property"):
        key, value = prop.get(f"{{{OVF_NS}}}key"), prop.get(f"{{{OVF_NS}}}value")
        if key and value is not None:
            props[key] = value
    return props
