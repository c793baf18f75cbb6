"""The newest Ignition spec (3.6.0, and 3.7.0-experimental's virtiofs) as frozen records (see record.py).

Conventions, mirroring upstream's Go types:
- A field typed `X | None` is optional: None means "not set", which differs from the
  zero value (upstream uses a pointer). Merging and validation depend on that.
- A field with a plain type is a value field: absent and zero are the same.
- Lists are tuples.

A few fields exist only so that a legacy (v1/2.x) config keeps its exact meaning where
3.x JSON cannot say it; their default is wrapped in `legacy()`, are never produced from a 3.x
config, and `ignite translate` reports them instead of emitting them.

JSON names are the camelCase of the attribute, except where `_JSON_NAMES` says otherwise.
"""
from __future__ import annotations

from ignite.config.record import Record, legacy


class HTTPHeader(Record):
    name: str = ""
    value: str | None = None


class Verification(Record):
    hash: str | None = None


class Resource(Record):
    source: str | None = None
    compression: str | None = None
    http_headers: tuple[HTTPHeader, ...] = ()
    verification: Verification = Verification()


class IgnitionConfig(Record):
    merge: tuple[Resource, ...] = ()
    replace: Resource = Resource()


class Timeouts(Record):
    http_response_headers: int | None = None
    http_total: int | None = None


class TLS(Record):
    certificate_authorities: tuple[Resource, ...] = ()


class Security(Record):
    tls: TLS = TLS()


class Proxy(Record):
    http_proxy: str | None = None
    https_proxy: str | None = None
    no_proxy: tuple[str, ...] = ()


class Ignition(Record):
    version: str = ""
    config: IgnitionConfig = IgnitionConfig()
    proxy: Proxy = Proxy()
    security: Security = Security()
    timeouts: Timeouts = Timeouts()


class KernelArguments(Record):
    should_exist: tuple[str, ...] = ()
    should_not_exist: tuple[str, ...] = ()


class NodeUser(Record):
    id: int | None = None
    name: str | None = None


class NodeGroup(Record):
    id: int | None = None
    name: str | None = None


class File(Record):
    path: str = ""
    overwrite: bool | None = None
    user: NodeUser = NodeUser()
    group: NodeGroup = NodeGroup()
    append: tuple[Resource, ...] = ()
    contents: Resource = Resource()
    mode: int | None = None
    # 2.x: the named filesystem the path lives on (None: the root).
    filesystem: str | None = legacy(default=None)


class Directory(Record):
    path: str = ""
    overwrite: bool | None = None
    user: NodeUser = NodeUser()
    group: NodeGroup = NodeGroup()
    mode: int | None = None
    filesystem: str | None = legacy(default=None)


class Link(Record):
    path: str = ""
    overwrite: bool | None = None
    user: NodeUser = NodeUser()
    group: NodeGroup = NodeGroup()
    hard: bool | None = None
    target: str | None = None
    filesystem: str | None = legacy(default=None)


class Partition(Record):
    guid: str | None = None
    label: str | None = None
    number: int = 0
    resize: bool | None = None
    should_exist: bool | None = None
    size_mib: int | None = None
    start_mib: int | None = None
    type_guid: str | None = None
    wipe_partition_entry: bool | None = None
    # 2.x sizes in 512-byte sectors that are not whole MiB (whole ones become *_mib).
    size_sectors: int | None = legacy(default=None)
    start_sectors: int | None = legacy(default=None)


class Disk(Record):
    device: str = ""
    partitions: tuple[Partition, ...] = ()
    wipe_table: bool | None = None


class Raid(Record):
    devices: tuple[str, ...] = ()
    level: str | None = None
    name: str = ""
    options: tuple[str, ...] = ()
    spares: int | None = None


class Tang(Record):
    thumbprint: str | None = None
    url: str = ""
    advertisement: str | None = None


class ClevisCustom(Record):
    config: str | None = None
    needs_network: bool | None = None
    pin: str | None = None


class Clevis(Record):
    custom: ClevisCustom = ClevisCustom()
    tang: tuple[Tang, ...] = ()
    threshold: int | None = None
    tpm2: bool | None = None


class Cex(Record):
    enabled: bool | None = None


class Luks(Record):
    cex: Cex = Cex()
    clevis: Clevis = Clevis()
    device: str | None = None
    discard: bool | None = None
    key_file: Resource = Resource()
    label: str | None = None
    name: str = ""
    open_options: tuple[str, ...] = ()
    options: tuple[str, ...] = ()
    uuid: str | None = None
    wipe_volume: bool | None = None


class Filesystem(Record):
    device: str = ""
    format: str | None = None
    label: str | None = None
    mount_options: tuple[str, ...] = ()
    options: tuple[str, ...] = ()
    path: str | None = None
    uuid: str | None = None
    wipe_filesystem: bool | None = None
    # 2.x: the filesystem's name, which legacy nodes refer to by `filesystem`.
    name: str | None = legacy(default=None)


class Storage(Record):
    directories: tuple[Directory, ...] = ()
    disks: tuple[Disk, ...] = ()
    files: tuple[File, ...] = ()
    filesystems: tuple[Filesystem, ...] = ()
    links: tuple[Link, ...] = ()
    luks: tuple[Luks, ...] = ()
    raid: tuple[Raid, ...] = ()


class Dropin(Record):
    contents: str | None = None
    name: str = ""


class Unit(Record):
    contents: str | None = None
    dropins: tuple[Dropin, ...] = ()
    enabled: bool | None = None
    mask: bool | None = None
    name: str = ""


class Systemd(Record):
    units: tuple[Unit, ...] = ()


class PasswdUser(Record):
    gecos: str | None = None
    groups: tuple[str, ...] = ()
    home_dir: str | None = None
    name: str = ""
    no_create_home: bool | None = None
    no_log_init: bool | None = None
    no_user_group: bool | None = None
    password_hash: str | None = None
    primary_group: str | None = None
    should_exist: bool | None = None
    ssh_authorized_keys: tuple[str, ...] = ()
    shell: str | None = None
    system: bool | None = None
    uid: int | None = None


class PasswdGroup(Record):
    gid: int | None = None
    name: str = ""
    password_hash: str | None = None
    should_exist: bool | None = None
    system: bool | None = None


class Passwd(Record):
    groups: tuple[PasswdGroup, ...] = ()
    users: tuple[PasswdUser, ...] = ()


class Config(Record):
    ignition: Ignition = Ignition()
    kernel_arguments: KernelArguments = KernelArguments()
    passwd: Passwd = Passwd()
    storage: Storage = Storage()
    systemd: Systemd = Systemd()


_JSON_NAMES = {"size_mib": "sizeMiB", "start_mib": "startMiB"}


def json_name(attr: str) -> str:
    """The JSON key of a model attribute."""
    if attr in _JSON_NAMES:
        return _JSON_NAMES[attr]
    head, *rest = attr.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)
