"""LUKS2 volumes with cryptsetup (and clevis), as upstream: reuse only a matching LUKS2
volume whose key file opens it, else format; the key is remembered in the state file
for the files stage, which writes it and /etc/crypttab into the target."""
from __future__ import annotations

import base64
import logging
import os
import secrets
import tempfile
from collections.abc import Callable
from dataclasses import dataclass

from ignite import jsonio
from ignite.config.model import Clevis, Luks, Resource
from ignite.errors import CommandError, DeviceError
from ignite.stages.devices import Devices
from ignite.system import blkid, luks, udev

log = logging.getLogger("ignite.disks")


@dataclass
class LuksPlan:
    volume: Luks
    index: int
    node: str
    key: bytes
    generated_key: bool

    @property
    def where(self) -> str:
        return f"storage.luks.{self.index}"


def clevis_used(clevis: Clevis) -> bool:
    return bool(clevis.custom.pin or clevis.tang or clevis.tpm2 or (clevis.threshold or 0) != 0)


def clevis_pin_config(clevis: Clevis, adverts: dict[str, object] | None = None) -> tuple[str, str]:
    """(pin, JSON config) for `clevis luks bind`."""
    if clevis.custom.pin:
        return clevis.custom.pin, clevis.custom.config or ""
    tang = []
    for server in clevis.tang:
        entry: dict[str, object] = {"url": server.url, "thp": server.thumbprint or ""}
        adv = server.advertisement or (adverts or {}).get(server.url)
        if adv:
            entry["adv"] = jsonio.loads(adv) if isinstance(adv, str) else adv
        tang.append(entry)
    pins: dict[str, object] = {"tang": tang or None}
    if clevis.tpm2:
        pins = {"tang": tang} if tang else {}
        pins["tpm2"] = {}
    return "sss", jsonio.dumps({"pins": pins, "t": clevis.threshold or 1}, separators=(",", ":"))


def plan_luks(volume: Luks, index: int, devices: Devices,
              fetch_key: Callable[[Resource], bytes] | None = None) -> LuksPlan:
    where = f"storage.luks.{index}"
    if volume.cex.enabled:
        raise DeviceError(volume.name, "CEX (IBM Z secure keys) is not supported by ignite", f"{where}.cex")
    if not volume.device:
        raise DeviceError(volume.name, "a LUKS volume needs a device", f"{where}.device")
    node = devices.resolve(volume.device, json_path=f"{where}.device")
    if volume.key_file.source:
        from ignite.resource import fetch_bytes

        key = (fetch_key or fetch_bytes)(volume.key_file)
        return LuksPlan(volume, index, node, key, False)
    return LuksPlan(volume, index, node, secrets.token_hex(4096).encode(), True)


def apply_luks(plan: LuksPlan, state_file: str | os.PathLike[str]) -> str:
    """Reuses or formats the volume and opens it; returns "reuse" or "format"."""
    vol = plan.volume
    with tempfile.TemporaryDirectory(prefix="ignite-luks-") as tmp:
        key_file = os.path.join(tmp, "key")
        fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o400)
        with os.fdopen(fd, "wb") as out:
            out.write(plan.key)
        if vol.wipe_volume is not True and _reused(plan, key_file):
            _persist_key(state_file, vol.name, plan.key)
            return "reuse"
        if vol.wipe_volume is True:
            blkid.wipe(plan.node)
        log.info("formatting LUKS2 volume %s on %s", vol.name, vol.device)
        luks.luks_format(plan.node, key_file, vol.label, vol.uuid, vol.options)
        luks.luks_open(plan.node, vol.name, key_file, vol.discard is True, vol.open_options)
        if clevis_used(vol.clevis):
            _bind_clevis(plan, key_file)
        if not (plan.generated_key and clevis_used(vol.clevis)):
            _persist_key(state_file, vol.name, plan.key)
        elif plan.generated_key:
            luks.remove_key(plan.node, key_file)
    udev.settle(plan.node)
    return "format"


def _reused(plan: LuksPlan, key_file: str) -> bool:
    """True when an existing LUKS2 volume may be kept; DeviceError when something else is there."""
    vol = plan.volume
    if luks.is_luks(plan.node, "luks2"):
        problems = []
        if clevis_used(vol.clevis):
            problems.append("config must not specify clevis binding")
        if not vol.key_file.source:
            problems.append("config must specify keyfile")
        if vol.label is not None and blkid.probe(plan.node).label != vol.label:
            problems.append("label does not match")
        if vol.uuid is not None and luks.luks_uuid(plan.node).lower() != vol.uuid.lower():
            problems.append("UUID does not match")
        if not problems and luks.allows_discards(plan.node) != (vol.discard is True):
            problems.append("discard setting does not match")
        if not problems:
            try:
                luks.luks_open(plan.node, vol.name, key_file, vol.discard is True, vol.open_options)
            except CommandError as exc:
                problems.append(f"cannot open it with the key file: {exc}")
        if problems:
            raise DeviceError(vol.device or vol.name, f"volume is not of the correct type: {'; '.join(problems)}",
                              plan.where)
        log.info("reusing LUKS2 volume %s on %s", vol.name, vol.device)
        return True
    if luks.is_luks(plan.node, "luks1"):
        raise DeviceError(vol.device or vol.name, "is a luks device but not luks2; ignite cannot reuse it", plan.where)
    found = blkid.probe(plan.node)
    if found.type:
        raise DeviceError(vol.device or vol.name, f"volume is not of the correct type (found {found.type}) "
                          "and wipeVolume is false", plan.where)
    return False


def _bind_clevis(plan: LuksPlan, key_file: str) -> None:
    vol = plan.volume
    adverts: dict[str, object] = {}
    for server in vol.clevis.tang:
        if not server.advertisement:
            from ignite.resource import fetch_bytes

            adverts[server.url] = fetch_bytes(Resource(source=server.url.rstrip("/") + "/adv")).decode()
    pin, config = clevis_pin_config(vol.clevis, adverts)
    luks.clevis_bind(plan.node, key_file, pin, config)
    online = len(adverts) + (1 if vol.clevis.tpm2 else 0)
    if online >= (vol.clevis.threshold or 1) and not vol.clevis.custom.pin:
        luks.luks_close(vol.name)
        luks.clevis_unlock(plan.node, vol.name)


def _persist_key(state_file: str | os.PathLike[str], name: str, key: bytes) -> None:
    """state.luksPersistKeyFiles[name] = data URL, keeping every other key of the state."""
    path = os.fspath(state_file)
    try:
        with open(path) as f:
            state = jsonio.loads(f.read())
    except FileNotFoundError:
        state = {}
    keys = state.get("luksPersistKeyFiles") or {}
    keys[name] = "data:;base64," + base64.b64encode(key).decode()
    state["luksPersistKeyFiles"] = keys
    from ignite.stages import state as stage_state

    stage_state.write(path, state)  # 0600 in a 0700 directory
