"""VirtualBox: guest property /Ignition/Config, read with the Guest Additions' VBoxControl
(Ignition talks to the vboxguest driver itself, which Python cannot). A set
/Ignition/Config/Encoding is unsupported, as upstream."""
from __future__ import annotations

from ignite.errors import CommandError, ProviderError, ToolMissingError
from ignite.providers import ProviderContext

CONFIG, ENCODING = "/Ignition/Config", "/Ignition/Config/Encoding"


def fetch(pctx: ProviderContext) -> bytes | None:
    encoding = _property(ENCODING)
    if encoding:
        raise ProviderError("virtualbox", f"unsupported {ENCODING} value {encoding!r}")
    value = _property(CONFIG)
    return value.encode() if value else None


def _property(name: str) -> str | None:
    from ignite.system.run import run

    try:
        out = run("VBoxControl", "--nologo", "guestproperty", "get", name).stdout
    except ToolMissingError:
        raise ProviderError("virtualbox", "reading guest properties needs VBoxControl (Guest Additions)") from None
    except CommandError as exc:
        if "No value set" in exc.stderr:
            return None
        raise ProviderError("virtualbox", f"cannot read guest property {name}: {exc}") from None
    if out.startswith("No value set"):
        return None
    prefix = "Value: "
    return out[len(prefix):].rstrip("\n") if out.startswith(prefix) else out.rstrip("\n")
