"""Ignition's merge of two configs of the newest spec (docs/spec/config.md#merge).

Used for base fragments, `ignition.config.merge` children and `base ⊕ user`. Generic over
the model's records: the field kind (codec.field_specs) decides the rule, and one
table says how each list is keyed. The result is not validated again here; the caller
that renders the user config does that (docs/spec/config.md#rendering).
"""
from __future__ import annotations

from ignite.config import model
from ignite.config.codec import OBJECT, OBJECT_LIST, SCALAR, field_specs
from ignite.config.record import Record, replace

TYPE_CHECKING = False  # not typing's: every fetch stage merges its config
if TYPE_CHECKING:
    from collections.abc import Callable, Hashable
    from typing import Any, TypeVar

    R = TypeVar("R", bound=Record)

    KeyFn = Callable[[Any], Hashable]


def _node_key(node: model.File | model.Directory | model.Link) -> Hashable:
    # A legacy (2.x) node on a named filesystem is a different node from the same path on root.
    return node.path if node.filesystem is None else (node.filesystem, node.path)


def _partition_key(p: model.Partition) -> Hashable:
    if p.number != 0:
        return f"number:{p.number}"
    if p.label is not None:
        return f"label:{p.label}"
    return ""


def _same(value: Hashable) -> Hashable:
    return value


# (owner class, attribute) → how its entries are keyed (docs/spec/config.md#duplicates).
# A list that is not here is an append-list: parent entries, then child entries
# (docs/spec/config.md#merge).
KEYS: dict[tuple[type, str], KeyFn] = {
    (model.IgnitionConfig, "merge"): lambda r: r.source or "",
    (model.TLS, "certificate_authorities"): lambda r: r.source or "",
    (model.Resource, "http_headers"): lambda h: h.name,
    (model.Proxy, "no_proxy"): _same,
    (model.Storage, "files"): _node_key,
    (model.Storage, "directories"): _node_key,
    (model.Storage, "links"): _node_key,
    (model.Storage, "disks"): lambda d: d.device,
    (model.Disk, "partitions"): _partition_key,
    (model.Storage, "raid"): lambda r: r.name,
    (model.Raid, "devices"): _same,
    (model.Storage, "filesystems"): lambda f: f.device,
    (model.Storage, "luks"): lambda luks: luks.name,
    (model.Luks, "open_options"): _same,
    (model.Clevis, "tang"): lambda t: t.url,
    (model.Systemd, "units"): lambda u: u.name,
    (model.Unit, "dropins"): lambda d: d.name,
    (model.Passwd, "users"): lambda u: u.name,
    (model.Passwd, "groups"): lambda g: g.name,
    (model.PasswdUser, "ssh_authorized_keys"): _same,
    (model.PasswdUser, "groups"): _same,
    (model.KernelArguments, "should_exist"): _same,
    (model.KernelArguments, "should_not_exist"): _same,
}

APPEND_LISTS: frozenset[tuple[type, str]] = frozenset({
    (model.File, "append"),
    (model.Filesystem, "options"),
    (model.Filesystem, "mount_options"),
    (model.Raid, "options"),
    (model.Luks, "options"),
})

# Lists whose keys share one namespace: an entry in one drops the parent's same key in another.
SHARED: dict[tuple[type, str], tuple[str, ...]] = {
    (model.Storage, "files"): ("files", "directories", "links"),
    (model.Storage, "directories"): ("files", "directories", "links"),
    (model.Storage, "links"): ("files", "directories", "links"),
    (model.KernelArguments, "should_exist"): ("should_exist", "should_not_exist"),
    (model.KernelArguments, "should_not_exist"): ("should_exist", "should_not_exist"),
}


def merge(parent: R, child: R) -> R:
    """`child` merged over `parent` (both the same record type, usually model.Config)."""
    return _merge_object(parent, child)


def _is_zero(obj: object) -> bool:
    return obj == type(obj)()


def _merge_object(parent: R, child: R) -> R:
    # As merge.go at HEAD: an all-zero child object keeps the parent's (older releases
    # recursed, letting the child's zero value fields win); an all-zero parent gives the child's.
    if _is_zero(child):
        return parent
    if _is_zero(parent):
        return child
    cls = type(parent)
    values: dict[str, Any] = {}
    for spec in field_specs(cls):
        p, c = getattr(parent, spec.attr), getattr(child, spec.attr)
        if spec.kind == SCALAR:
            # A value field: the child wins even with its zero value; an optional one only if set.
            values[spec.attr] = p if (spec.optional and c is None) else c
        elif spec.kind == OBJECT:
            values[spec.attr] = _merge_object(p, c)
        elif (cls, spec.attr) in APPEND_LISTS:
            values[spec.attr] = tuple(p) + tuple(c)
        else:
            values[spec.attr] = _merge_keyed(parent, child, cls, spec.attr, spec.kind == OBJECT_LIST)
    return replace(parent, **values)


def _merge_keyed(parent: Any, child: Any, cls: type, attr: str, of_objects: bool) -> tuple:
    key = KEYS.get((cls, attr))
    if key is None:
        raise TypeError(f"merge: no key defined for list {cls.__name__}.{attr}")
    parent_list, child_list = getattr(parent, attr), getattr(child, attr)
    child_by_key = {key(c): c for c in child_list}
    in_other_lists: set[Hashable] = set()
    for other in SHARED.get((cls, attr), ()):
        if other != attr:
            other_key = KEYS[(cls, other)]
            in_other_lists.update(other_key(c) for c in getattr(child, other))
    is_header = (cls, attr) == (model.Resource, "http_headers")

    out = []
    parent_keys = set()
    for p in parent_list:
        k = key(p)
        parent_keys.add(k)
        if k in child_by_key:
            c = child_by_key[k]
            if is_header and c.value is None:
                continue  # a child header without a value deletes the parent's
            out.append(_merge_object(p, c) if of_objects else c)
        elif k in in_other_lists:
            continue  # the child redefines this key in a sibling list, where it is emitted
        else:
            out.append(p)
    out.extend(c for c in child_list if key(c) not in parent_keys)
    return tuple(out)
