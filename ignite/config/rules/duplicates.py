"""The second pass: `duplicate entry defined` for repeated keys in keyed lists.

Walks the config in upstream's pre-order (a struct's own lists in field order, then its
children), with the shared namespaces: files/directories/links, and the two
kernelArguments lists.
"""
from __future__ import annotations

from ignite.config.rules.common import Ctx

TYPE_CHECKING = False  # not typing's: every fetch stage validates its config
if TYPE_CHECKING:
    from collections.abc import Callable, Iterable
    from typing import Any

    Key = Callable[[Any], str]

ERR_DUPLICATE = "duplicate entry defined"


def _string(value: str) -> str:
    return value


def _by(field: str) -> Key:
    return lambda entry: entry.get(field) or ""


def _partition_key(p: dict[str, Any]) -> str:
    if p.get("number", 0) != 0:
        return f"number:{p['number']}"
    if p.get("label") is not None:
        return f"label:{p['label']}"
    return ""


def _check(ctx: Ctx, obj: dict[str, Any], path: tuple, lists: Iterable[tuple[str, Key, str]]) -> None:
    """`lists`: (field, key function, namespace) in the struct's field order."""
    namespaces: dict[str, set[str]] = {}
    for field, key, namespace in lists:
        seen = namespaces.setdefault(namespace, set())
        for i, entry in enumerate(obj.get(field) or ()):
            k = key(entry)
            if k in seen:
                ctx.error(ERR_DUPLICATE, path + (field, i))
            seen.add(k)


def _resource(ctx: Ctx, res: dict[str, Any] | None, path: tuple) -> None:
    if res and ctx.minor >= 1:
        _check(ctx, res, path, (("httpHeaders", _by("name"), "h"),))


def validate_duplicates(ctx: Ctx, cfg: dict[str, Any]) -> None:
    ign = cfg.get("ignition") or {}
    config = ign.get("config") or {}
    _check(ctx, config, ("ignition", "config"), (("merge", _by("source"), "m"),))
    for i, res in enumerate(config.get("merge") or ()):
        _resource(ctx, res, ("ignition", "config", "merge", i))
    _resource(ctx, config.get("replace"), ("ignition", "config", "replace"))
    _check(ctx, ign.get("proxy") or {}, ("ignition", "proxy"), (("noProxy", _string, "n"),))
    tls_path = ("ignition", "security", "tls")
    tls = (ign.get("security") or {}).get("tls") or {}
    _check(ctx, tls, tls_path, (("certificateAuthorities", _by("source"), "c"),))
    for i, res in enumerate(tls.get("certificateAuthorities") or ()):
        _resource(ctx, res, tls_path + ("certificateAuthorities", i))

    _check(ctx, cfg.get("kernelArguments") or {}, ("kernelArguments",),
           (("shouldExist", _string, "k"), ("shouldNotExist", _string, "k")))

    passwd = cfg.get("passwd") or {}
    _check(ctx, passwd, ("passwd",), (("groups", _by("name"), "g"), ("users", _by("name"), "u")))
    for i, user in enumerate(passwd.get("users") or ()):
        _check(ctx, user, ("passwd", "users", i),
               (("groups", _string, "g"), ("sshAuthorizedKeys", _string, "s")))

    _storage(ctx, cfg.get("storage") or {})

    systemd = cfg.get("systemd") or {}
    _check(ctx, systemd, ("systemd",), (("units", _by("name"), "u"),))
    for i, unit in enumerate(systemd.get("units") or ()):
        _check(ctx, unit, ("systemd", "units", i), (("dropins", _by("name"), "d"),))


def _storage(ctx: Ctx, storage: dict[str, Any]) -> None:
    s = ("storage",)
    _check(ctx, storage, s, (
        ("directories", _by("path"), "node"),
        ("disks", _by("device"), "disks"),
        ("files", _by("path"), "node"),
        ("filesystems", _by("device"), "filesystems"),
        ("links", _by("path"), "node"),
        ("luks", _by("name"), "luks"),
        ("raid", _by("name"), "raid"),
    ))
    for i, disk in enumerate(storage.get("disks") or ()):
        _check(ctx, disk, s + ("disks", i), (("partitions", _partition_key, "p"),))
    for i, f in enumerate(storage.get("files") or ()):
        for j, res in enumerate(f.get("append") or ()):
            _resource(ctx, res, s + ("files", i, "append", j))
        _resource(ctx, f.get("contents"), s + ("files", i, "contents"))
    for i, luks in enumerate(storage.get("luks") or ()):
        path = s + ("luks", i)
        _check(ctx, luks, path, (("openOptions", _string, "o"),))
        _check(ctx, luks.get("clevis") or {}, path + ("clevis",), (("tang", _by("url"), "t"),))
        _resource(ctx, luks.get("keyFile"), path + ("keyFile",))
    for i, raid in enumerate(storage.get("raid") or ()):
        _check(ctx, raid, s + ("raid", i), (("devices", _string, "d"),))
