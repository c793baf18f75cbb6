"""VirtualBox: guest property /Ignition/Config, read with the Guest Additions' VBoxControl
(Ignition speaks the vboxguest driver's HGCM ioctls itself; here the tool must be in the
initramfs, and its absence is an error, never an empty config). A set
/Ignition/Config/Encoding is unsupported, as upstream. delete_config() removes both
properties after the first boot."""
from __future__ import annotations

from ignite.errors import CommandError, ProviderError, ToolMissingError, how_it_ended
from ignite.providers import ProviderContext

CONFIG, ENCODING = "/Ignition/Config", "/Ignition/Config/Encoding"


def fetch(pctx: ProviderContext) -> bytes | None:
    encoding = _property(ENCODING)
    if encoding:
        raise ProviderError("virtualbox", f"unsupported {ENCODING} value {encoding!r}")
    value = _property(CONFIG)
    return value.encode() if value else None


def delete_config(pctx: ProviderContext) -> None:
    """Deletes both properties, as upstream's ignition-rmcfg: the config (secrets
    included) must not outlive the first boot."""
    from ignite.system.run import run

    for name in (ENCODING, CONFIG):
        try:
            run("VBoxControl", "--nologo", "guestproperty", "delete", name)
        except ToolMissingError:
            raise ProviderError("virtualbox", "deleting guest properties needs VBoxControl (Guest Additions)") from None
        except CommandError as exc:
            raise ProviderError("virtualbox", f"cannot delete guest property {name}: {exc}") from None


def _property(name: str) -> str | None:
    """The property's value; None when it is not set (the tool says "No value set",
    whatever its exit code). Any other failure is an error."""
    from ignite.system.run import run

    try:
        done = run("VBoxControl", "--nologo", "guestproperty", "get", name, check=False)
    except ToolMissingError:
        raise ProviderError("virtualbox", "reading guest properties needs VBoxControl (Guest Additions)") from None
    if "No value set" in done.stdout or "No value set" in done.stderr:
        return None
    if done.returncode != 0:
        said = (done.stderr + done.stdout).strip() or "no message"
        raise ProviderError(
            "virtualbox", f"cannot read guest property {name} (VBoxControl {how_it_ended(done.returncode)}): {said}"
        )
    out = done.stdout
    prefix = "Value: "
    return out[len(prefix):].rstrip("\n") if out.startswith(prefix) else out.rstrip("\n")
