"""/etc/crypttab and LUKS key files for the volumes the disks stage made (only when
`storage.luks` is set), as upstream writes them: key files `/etc/luks/NAME` (0600, the
directory 0700 when it has to be made) from the keys the disks stage persisted in the
state, and crypttab lines appended, the file ending 0600. Then the persisted keys are
dropped from the state, so that they live only on the (encrypted) root.

The entries go through the same node writer as storage.files, so they get the same
atomic commits and crash journal.
"""
from __future__ import annotations

import os
from collections.abc import Callable
from typing import TYPE_CHECKING

from ignite import distro
from ignite.errors import NodeError
from ignite.stages.files_nodes import NodeEntry

if TYPE_CHECKING:
    from ignite.config.model import Luks
    from ignite.root import Root

KEY_DIR = distro.LUKS_KEY_DIR


def _clevis_present(vol: Luks) -> bool:
    c = vol.clevis
    return bool(c.tang) or bool(c.tpm2) or bool(c.custom.pin)


def _needs_network(vol: Luks) -> bool:
    return bool(vol.clevis.tang) or (bool(vol.clevis.custom.pin) and bool(vol.clevis.custom.needs_network))


def check_persisted_keys(volumes: tuple[Luks, ...], persisted: dict[str, str]) -> None:
    """Every volume without clevis needs the key the disks stage persisted (planned first)."""
    for i, vol in enumerate(volumes):
        if not _clevis_present(vol) and vol.name not in persisted:
            raise NodeError(vol.name, f"missing persisted keyfile for {vol.name}", f"$.storage.luks.{i}")


def crypttab_entries(
    volumes: tuple[Luks, ...],
    root: Root,
    persisted: dict[str, str],
    uuid_of: Callable[[str], str],
) -> list[NodeEntry]:
    """The nodes to create: [key dir], key files, then /etc/crypttab with one append each."""
    from ignite.config.model import Directory, File, Resource

    lines = []
    keys: list[NodeEntry] = []
    for i, vol in enumerate(volumes):
        uuid = uuid_of(vol.device or "")
        options = ",_netdev,x-initrd.attach" if _needs_network(vol) else ",x-initrd.attach"
        key_file = "none"
        if not _clevis_present(vol):
            key_file = f"{KEY_DIR}/{vol.name}"
            url = persisted.get(vol.name)
            if url is None:
                raise NodeError(vol.name, f"missing persisted keyfile for {vol.name}", f"$.storage.luks.{i}")
            node = File(path=key_file, mode=0o600, contents=Resource(source=url))
            keys.append(NodeEntry("file", f"luks.key.{i}", key_file, root.resolve(key_file), node))
        lines.append(f"{vol.name} UUID={uuid} {key_file} luks{options}\n")
    entries: list[NodeEntry] = []
    if keys and not os.path.exists(root.resolve(KEY_DIR)):
        entries.append(
            NodeEntry("directory", "luks.dir", KEY_DIR, root.resolve(KEY_DIR), Directory(path=KEY_DIR, mode=0o700))
        )
    entries += keys
    from urllib.parse import quote

    appends = tuple(Resource(source="data:," + quote(line)) for line in lines)
    crypttab = File(path="/etc/crypttab", mode=0o600, append=appends)
    entries.append(NodeEntry("file", "luks.crypttab", "/etc/crypttab", root.resolve("/etc/crypttab"), crypttab))
    return entries


def forget_persisted_keys(state_file: str | os.PathLike[str]) -> None:
    """state.luksPersistKeyFiles := null, every other key kept (atomically, 0600)."""
    from ignite.stages import state as shared_state

    current = shared_state.read(state_file)
    if current.get("luksPersistKeyFiles") is None:
        return
    current["luksPersistKeyFiles"] = None
    shared_state.write(state_file, current)
