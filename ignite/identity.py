"""Machine identity in config and report URLs: `${mac}`, `${uuid}`, `${serial}`, `${hostname}`.

With these, any static server, object store or matchbox can serve one config per machine
without iPXE: `ignition.config.url=https://cfg.example/${mac}.ign`. A URL without `${` is
used byte for byte, as Ignition uses it. Values are URL-encoded (a colon becomes %3A).

- mac: the NIC that holds the default route (the one that got the lease), else the first
  with a link (lowest ifindex), as 52:54:00:12:34:56.
- uuid: the SMBIOS product UUID, lowercase; serial: the SMBIOS product serial.
- hostname: the kernel's host name (DHCP may have set it).
"""
from __future__ import annotations

import os
import re

from ignite import distro
from ignite.errors import IdentityError

SYS_NET = distro.SYS_NET
DMI_DIR = distro.DMI_DIR
ROUTE_V4 = distro.ROUTE_V4
ROUTE_V6 = distro.ROUTE_V6
HOSTNAME = distro.HOSTNAME_FILE
VARIABLES = ("mac", "uuid", "serial", "hostname")
_PLACEHOLDER = re.compile(r"\$\{([^}]*)\}")
# Firmware fills unset SMBIOS strings with these; a URL built from them would name no machine.
_UNSET = frozenset({
    "", "none", "not specified", "to be filled by o.e.m.", "default string", "0", "system serial number",
})


class Facts:
    """Where the facts are read from; tests point it at a directory of their own."""

    def __init__(self, sys_net: str | None = None, dmi_dir: str | None = None, route_v4: str | None = None,
                 route_v6: str | None = None, hostname: str | None = None) -> None:
        self.sys_net = sys_net or SYS_NET
        self.dmi_dir = dmi_dir or DMI_DIR
        self.route_v4 = route_v4 or ROUTE_V4
        self.route_v6 = route_v6 or ROUTE_V6
        self.hostname_file = hostname or HOSTNAME

    def value(self, name: str) -> str:
        reader = {"mac": self.mac, "uuid": self.uuid, "serial": self.serial, "hostname": self.hostname}[name]
        return reader()

    def mac(self) -> str:
        nic = self._default_route_nic() or self._first_linked_nic()
        if nic is None:
            raise IdentityError("${mac}: no network interface has a default route or a link")
        address = _read(os.path.join(self.sys_net, nic, "address"))
        if not address or address == "00:00:00:00:00:00":
            raise IdentityError(f"${{mac}}: interface {nic} has no MAC address")
        return address.lower()

    def uuid(self) -> str:
        return self._dmi("product_uuid", "uuid").lower()

    def serial(self) -> str:
        return self._dmi("product_serial", "serial")

    def hostname(self) -> str:
        name = _read(self.hostname_file)
        if not name or name in ("(none)", "localhost"):
            raise IdentityError(f"${{hostname}}: the kernel has no host name yet ({self.hostname_file})")
        return name

    def _dmi(self, field: str, variable: str) -> str:
        path = os.path.join(self.dmi_dir, field)
        value = _read(path)
        if value is None:
            raise IdentityError(f"${{{variable}}}: cannot read {path} (no SMBIOS, or not root)")
        if value.lower() in _UNSET:
            raise IdentityError(f"${{{variable}}}: the firmware does not set it ({path} is {value!r})")
        return value

    def _nics(self) -> list[tuple[int, str]]:
        """(ifindex, name) of every interface but loopback, in ifindex order."""
        try:
            names = os.listdir(self.sys_net)
        except OSError:
            return []
        nics = []
        for name in names:
            if name == "lo" or _read(os.path.join(self.sys_net, name, "type")) != "1":  # ARPHRD_ETHER
                continue
            index = _read(os.path.join(self.sys_net, name, "ifindex"))
            nics.append((int(index) if index and index.isdigit() else 1 << 30, name))
        return sorted(nics)

    def _default_route_nic(self) -> str | None:
        known = {name for _, name in self._nics()}
        text = _read(self.route_v4) or ""
        for line in text.splitlines()[1:]:
            fields = line.split()
            if len(fields) > 7 and fields[1] == "00000000" and fields[7] == "00000000" and fields[0] in known:
                return fields[0]
        for line in (_read(self.route_v6) or "").splitlines():
            fields = line.split()
            if len(fields) == 10 and fields[0] == "0" * 32 and fields[1] == "00" and fields[9] in known:
                return fields[9]
        return None

    def _first_linked_nic(self) -> str | None:
        for _, name in self._nics():
            if _read(os.path.join(self.sys_net, name, "carrier")) == "1":
                return name
        return None


def expand(url: str, facts: Facts | None = None) -> str:
    """`url` with every `${name}` replaced by the machine's value, URL-encoded."""
    if "${" not in url:
        return url
    from urllib.parse import quote

    facts = facts or Facts()
    out, pos = [], 0
    for match in _PLACEHOLDER.finditer(url):
        name = match.group(1)
        if name not in VARIABLES:
            known = ", ".join(f"${{{v}}}" for v in VARIABLES)
            raise IdentityError(f"unknown variable ${{{name}}} in URL (known: {known})")
        out.append(url[pos:match.start()])
        out.append(quote(facts.value(name), safe=""))
        pos = match.end()
    rest = url[pos:]
    if "${" in rest:
        raise IdentityError("unterminated ${ in URL (write ${mac}, ${uuid}, ${serial} or ${hostname})")
    out.append(rest)
    return "".join(out)


def _read(path: str) -> str | None:
    try:
        with open(path, "rb") as f:
            return f.read().decode(errors="replace").strip()
    except OSError:
        return None
