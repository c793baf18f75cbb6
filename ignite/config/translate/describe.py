"""What the 3.x JSON of an upgraded legacy config cannot say, one precise line each."""
from __future__ import annotations

from collections import Counter
from collections.abc import Iterator

from ignite.config import codec, model
from ignite.config.report import JsonPath

_WHY = {
    "sizeSectors": "3.x sizes are whole MiB; kept in sectors",
    "startSectors": "3.x starts are whole MiB; kept in sectors",
    "filesystem": "3.x nodes live in the root filesystem; written into the 2.x filesystem of that name",
    "name": "3.x filesystems have no names; 2.x nodes refer to this one by it",
}


def json_path(path: tuple) -> str:
    """`storage.disks[0].partitions[1].sizeSectors`."""
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else part)
    return out


def describe_legacy(config: model.Config) -> list[str]:
    storage = config.storage
    nodes: list[tuple[str, int, model.File | model.Directory | model.Link]]
    nodes = [("files", i, n) for i, n in enumerate(storage.files)]
    nodes += [("directories", i, n) for i, n in enumerate(storage.directories)]
    nodes += [("links", i, n) for i, n in enumerate(storage.links)]
    # A filesystem's name is lost only if a node refers to it; many Container Linux and
    # Flatcar configs name every filesystem and write nothing into most of them.
    referred = {n.filesystem for _, _, n in nodes if n.filesystem}
    lines = [f"{json_path(path)}={value}: {_WHY[path[-1]]}" for path, value in codec.legacy_fields(config)
             if not (path[-1] == "name" and path[:2] == ("storage", "filesystems") and value not in referred)]
    seen = Counter((n.filesystem, n.path) for _, _, n in nodes)
    first: set = set()
    for kind, i, node in nodes:
        key = (node.filesystem, node.path)
        if seen[key] > 1:
            if key in first:
                lines.append(f"storage.{kind}[{i}].path={node.path}: 3.x allows one entry per path; "
                             "2.x applied this one after the earlier ones, and so does ignite")
            first.add(key)
    units = Counter(u.name for u in config.systemd.units)
    done: set = set()
    for i, unit in enumerate(config.systemd.units):
        if units[unit.name] > 1:
            if unit.name in done:
                lines.append(f"systemd.units[{i}].name={unit.name}: 3.x allows one entry per unit; "
                             "2.x applied this one after the earlier ones, and so does ignite")
            done.add(unit.name)
    for path, source in _sources(config):
        if source.startswith("oem://"):
            lines.append(f"{json_path(path)}={source}: 3.x has no oem:// scheme; fetched from the OEM partition")
    return lines


def _sources(config: model.Config) -> Iterator[tuple[JsonPath, str]]:
    ign = config.ignition
    for i, res in enumerate(ign.config.merge):
        yield ("ignition", "config", "merge", i, "source"), res.source or ""
    yield ("ignition", "config", "replace", "source"), ign.config.replace.source or ""
    for i, res in enumerate(ign.security.tls.certificate_authorities):
        yield ("ignition", "security", "tls", "certificateAuthorities", i, "source"), res.source or ""
    for i, file in enumerate(config.storage.files):
        yield ("storage", "files", i, "contents", "source"), file.contents.source or ""
        for j, res in enumerate(file.append):
            yield ("storage", "files", i, "append", j, "source"), res.source or ""
