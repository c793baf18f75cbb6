"""Which proxy a URL goes through, with Ignition's (Go httpproxy) semantics:
http:// uses httpProxy, https:// uses httpsProxy only (no fallback), loopback is never
proxied, noProxy holds `*`, IPs, CIDRs, domains (with subdomains), `.domains`
(subdomains only), each with an optional `:port`."""
from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

DEFAULT_PORTS = {"http": 80, "https": 443}


def proxy_for(url: str, http_proxy: str | None, https_proxy: str | None, no_proxy: tuple[str, ...]) -> str | None:
    parts = urlsplit(url)
    proxy = {"http": http_proxy, "https": https_proxy}.get(parts.scheme.lower())
    if not proxy:
        return None
    host = (parts.hostname or "").lower()
    port = parts.port or DEFAULT_PORTS.get(parts.scheme.lower(), 0)
    if _is_loopback(host) or _excluded(host, port, no_proxy):
        return None
    return proxy if "://" in proxy else f"http://{proxy}"


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _excluded(host: str, port: int, no_proxy: tuple[str, ...]) -> bool:
    entries = [e.strip().lower() for item in no_proxy for e in item.split(",") if e.strip()]
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        ip = None
    for entry in entries:
        if entry == "*":
            return True
        if ip is not None:
            try:
                if ip in ipaddress.ip_network(entry, strict=False):
                    return True
                continue
            except ValueError:
                pass
        name, entry_port = _split_port(entry)
        if entry_port is not None and entry_port != port:
            continue
        if name.startswith("*."):
            name = name[1:]
        if name.startswith("."):
            if host.endswith(name):
                return True
        elif host == name or host.endswith("." + name):
            return True
    return False


def _split_port(entry: str) -> tuple[str, int | None]:
    if entry.startswith("["):  # [v6]:port
        addr, _, rest = entry[1:].partition("]")
        return addr, int(rest[1:]) if rest.startswith(":") and rest[1:].isdigit() else None
    name, colon, port = entry.rpartition(":")
    if colon and port.isdigit() and ":" not in name:
        return name, int(port)
    return entry, None
