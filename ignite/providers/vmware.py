"""VMware: guestinfo ignition.config.data (+ .encoding), defaults from the OVF
environment, read with the host tool vmware-rpctool (open-vm-tools): Python cannot issue
the backdoor's I/O-port instructions itself, so a missing tool, or one that fails other
than with "No value found", is an error, never an empty config. Outside VMware there is
no provider: an error. delete_config() replaces the config after the first boot."""
from __future__ import annotations

import binascii
import os
import platform as host
import re
import xml.etree.ElementTree as ET
import zlib
from pathlib import Path

from ignite import distro
from ignite.errors import FetchError, ProviderError, ToolMissingError, how_it_ended
from ignite.providers import ProviderContext
from ignite.providers.common import decode_base64

DMI_ENV = distro.DMI_DIR_ENV
DMI = distro.DMI_DIR
DATA, ENCODING = "guestinfo.ignition.config.data", "guestinfo.ignition.config.data.encoding"
OVF_NS = "http://schemas.dmtf.org/ovf/environment/1"
OVF_ENV = "guestinfo.ovfEnv"
_OVF_CONFIG_PROPERTY = re.compile(
    r"[ \t]*<(?:[\w.-]+:)?Property\b[^>]*?"
    r"\bkey=\"guestinfo\.ignition\.config\.data(?:\.encoding)?\"[^>]*?/>[ \t]*\r?\n?"
)


def in_vmware() -> bool:
    vendor = Path(os.environ.get(DMI_ENV, DMI)) / "sys_vendor"
    try:
        return "vmware" in vendor.read_text().lower()
    except OSError:
        return False


def _check_platform() -> None:
    if host.machine() not in ("x86_64", "AMD64") and DMI_ENV not in os.environ:
        raise ProviderError("vmware", "vmware provider is not supported on this architecture")
    if not in_vmware():
        raise ProviderError("vmware", "not running in a VMware virtual machine (no config provider)")


def fetch(pctx: ProviderContext) -> bytes | None:
    _check_platform()
    ovf = _ovf_properties(_guestinfo(OVF_ENV))
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
            return decode_base64(data.encode("latin-1"), "vmware")
        if encoding in ("gz", "gzip"):
            return _gunzip(data.encode("latin-1"))
        if encoding in ("gz+base64", "gzip+base64", "gz+b64", "gzip+b64"):
            return _gunzip(decode_base64(data.encode("latin-1"), "vmware"))
    except (binascii.Error, ValueError, OSError, EOFError, zlib.error) as exc:
        raise ProviderError("vmware", f"cannot decode the config with encoding {encoding!r}: {exc}") from None
    except FetchError as exc:
        raise ProviderError("vmware", f"cannot decode the config with encoding {encoding!r}: {exc.detail}") from None
    raise ProviderError("vmware", f"unsupported guestinfo encoding {encoding!r}")


def _gunzip(data: bytes) -> bytes:
    from ignite.resource.decompress import gunzip_bytes
    from ignite.resource.limits import MAX_BUFFERED_BYTES

    return gunzip_bytes(data, MAX_BUFFERED_BYTES, "guestinfo")


def _guestinfo(key: str) -> str:
    """The value of `key`; "" when it is not set. Any other failure of the tool is an
    error: reading nothing must never pass for "no config"."""
    out = _rpc(f"info-get {key}", key)
    if out is None:
        return ""
    return out.rstrip("\n")


def _set_guestinfo(key: str, value: str) -> None:
    if _rpc(f"info-set {key} {value}", key) is None:
        raise ProviderError("vmware", f"cannot set guestinfo {key}: the host refused it")


def _rpc(command: str, key: str) -> str | None:
    """The tool's output, or None for the backdoor's "No value found" answer."""
    from ignite.system.run import run

    try:
        done = run("vmware-rpctool", command, check=False)
    except ToolMissingError:
        raise ProviderError(
            "vmware", "talking to the VMware backdoor needs vmware-rpctool (open-vm-tools) in the initramfs"
        ) from None
    if done.returncode == 0:
        return done.stdout
    said = (done.stderr + done.stdout).strip()
    if "No value found" in said:
        return None
    raise ProviderError(
        "vmware", f"vmware-rpctool {how_it_ended(done.returncode)} on guestinfo {key}: {said or 'no message'}"
    )


# What upstream writes in place of the config: "{}" and a newline, base64-encoded (the
# backdoor can neither delete a guestinfo key nor set it to "").
DELETED_DATA, DELETED_ENCODING = "e30K", "base64"


def delete_config(pctx: ProviderContext) -> None:
    """Replaces the config in guestinfo and drops it from the OVF environment, as
    upstream's ignition-rmcfg (secrets in it must not outlive the first boot)."""
    _check_platform()
    if _guestinfo(DATA) != DELETED_DATA:
        _set_guestinfo(DATA, DELETED_DATA)
        if _guestinfo(ENCODING) != DELETED_ENCODING:
            _set_guestinfo(ENCODING, DELETED_ENCODING)
    ovf = _guestinfo(OVF_ENV)
    pruned = prune_ovf(ovf)
    if pruned != ovf:
        _set_guestinfo(OVF_ENV, pruned)


def prune_ovf(xml: str) -> str:
    """The OVF environment without its two ignition properties, otherwise byte for byte."""
    return _OVF_CONFIG_PROPERTY.sub("", xml)


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
