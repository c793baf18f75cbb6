"""Translation between 3.x spec versions, on normalized config dicts.

`upgrade` follows upstream's step translators 3.0 → 3.1 → … → 3.6 (docs/spec/config.md#between-3x-versions);
a 3.7.0-experimental config is already at the top. `downgrade` goes the other way for
`ignite translate --to VERSION`: whatever the target cannot express is left out and
reported, so the output is valid for that version's Ignition.
"""
from __future__ import annotations

from ignite.config import urls
from ignite.config.rules.devices import CLEVIS_PINS
from ignite.config.validate import VERSIONS_3X, minor_of
from ignite.config.versions import NEWEST

TYPE_CHECKING = False  # not typing's: every fetch stage validates its config
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

    Config = dict[str, Any]

SPECIAL_BITS = 0o7000


def _storage_list(cfg: Config, name: str) -> list[dict[str, Any]]:
    return (cfg.get("storage") or {}).get(name) or []


def _up_3_0(cfg: Config) -> None:
    # CA references become Resources whose source is always set, even to ""
    tls = ((cfg.get("ignition") or {}).get("security") or {}).get("tls") or {}
    for ca in tls.get("certificateAuthorities") or ():
        ca.setdefault("source", "")


def _up_3_2(cfg: Config) -> None:
    # raid level and link target become pointers, always set; clevis.custom's pin and
    # config become pointers, always set when custom was given
    for raid in _storage_list(cfg, "raid"):
        raid.setdefault("level", "")
    for link in _storage_list(cfg, "links"):
        link.setdefault("target", "")
    for luks in _storage_list(cfg, "luks"):
        custom = (luks.get("clevis") or {}).get("custom")
        if custom is not None:
            custom.setdefault("pin", "")
            custom.setdefault("config", "")


def _up_3_4(cfg: Config) -> None:
    # Upstream's 3.4→3.5 translator forgets tang advertisements, so a config that
    # carried one needs the network at first boot after all. We keep them: the
    # advertisement is what the user asked for, and it only spares a fetch.
    return None


def _up_3_5(cfg: Config) -> None:
    # before 3.6 setuid/setgid/sticky bits were never applied: strip them
    for kind in ("files", "directories"):
        for node in _storage_list(cfg, kind):
            if node.get("mode") is not None:
                node["mode"] &= ~SPECIAL_BITS


_STEPS: dict[str, Callable[[Config], None]] = {"3.0.0": _up_3_0, "3.2.0": _up_3_2, "3.4.0": _up_3_4, "3.5.0": _up_3_5}


def _copy(value: Any) -> Any:
    """A deep copy of parsed JSON (dicts, lists, scalars): what copy.deepcopy gives it,
    without copy's import (and weakref's) on every fetch stage's start-up."""
    if isinstance(value, dict):
        return {key: _copy(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(_copy(item) for item in value)
    return value


def upgrade(cfg: Config, version: str) -> Config:
    """`cfg` (valid at `version`) translated to 3.6.0, or kept at 3.7.0-experimental.

    Each step is upstream's; the input is not modified."""
    out: Config = _copy(cfg)
    if version == VERSIONS_3X[-1]:
        return out
    for step_version in VERSIONS_3X[minor_of(version) : minor_of(NEWEST)]:
        step = _STEPS.get(step_version)
        if step is not None:
            step(out)
    out.setdefault("ignition", {})["version"] = NEWEST
    return out


# --- downgrade -----------------------------------------------------------------------

_SINCE = {minor: VERSIONS_3X[minor] for minor in range(len(VERSIONS_3X))}


def _meaningful(value: Any) -> bool:
    """Whether leaving `value` out changes anything (false, "", empty and null do not)."""
    if isinstance(value, dict):
        return any(_meaningful(v) for v in value.values())
    return value not in (None, False, "", [])


class _Downgrade:
    """One pass over a 3.6.0 (or 3.7.0-experimental) config for a target minor version.

    Paths in problems refer to the input config, `storage.files[2].mode` style."""

    def __init__(self, cfg: Config, target: str):
        self.cfg = _copy(cfg)
        self.target = target
        self.minor = minor_of(target)
        self.problems: list[str] = []

    def report(self, path: str, what: str) -> None:
        self.problems.append(f"{path}: {what}")

    def missing(self, path: str, since: int) -> None:
        self.report(path, f"not available before {_SINCE[since]}")

    def drop_field(self, obj: dict[str, Any], key: str, path: str, since: int) -> None:
        """Removes a field the target lacks; only a value with meaning is a problem."""
        if self.minor >= since or key not in obj:
            return
        if _meaningful(obj.pop(key)):
            self.missing(f"{path}.{key}", since)

    # resources

    def source_problem(self, res: dict[str, Any]) -> str | None:
        source = res.get("source")
        if not source:
            return None
        scheme = urls.scheme_of(source)
        if scheme == "gs" and self.minor < 2:
            return f"gs:// URLs are not available before {_SINCE[2]}"
        if scheme == "arn" and self.minor < 4:
            return f"arn: URLs are not available before {_SINCE[4]}"
        return None

    def resource(self, res: dict[str, Any], path: str, file_contents: bool = False) -> None:
        if not file_contents:
            self.drop_field(res, "compression", path, 1)
        self.drop_field(res, "httpHeaders", path, 1)
        digest = (res.get("verification") or {}).get("hash") or ""
        if self.minor < 1 and digest.startswith("sha256-"):
            del res["verification"]
            self.report(f"{path}.verification.hash", f"sha256 hashes are not available before {_SINCE[1]}")

    def resource_list(
        self, items: list[dict[str, Any]], path: str, file_contents: bool = False
    ) -> list[dict[str, Any]]:
        kept = []
        for i, res in enumerate(items):
            problem = self.source_problem(res)
            if problem:
                self.report(f"{path}[{i}].source", problem + " (entry left out)")
                continue
            self.resource(res, f"{path}[{i}]", file_contents)
            kept.append(res)
        return kept

    # sections

    def ignition(self) -> None:
        ign = self.cfg.setdefault("ignition", {})
        ign["version"] = self.target
        self.drop_field(ign, "proxy", "ignition", 1)
        config = ign.get("config") or {}
        if "merge" in config:
            config["merge"] = self.resource_list(config["merge"], "ignition.config.merge")
        if "replace" in config:
            problem = self.source_problem(config["replace"])
            if problem:
                del config["replace"]
                self.report("ignition.config.replace.source", problem + " (replace left out)")
            else:
                self.resource(config["replace"], "ignition.config.replace")
        tls = (ign.get("security") or {}).get("tls") or {}
        if "certificateAuthorities" in tls:
            tls["certificateAuthorities"] = self.resource_list(
                tls["certificateAuthorities"], "ignition.security.tls.certificateAuthorities")

    def passwd(self) -> None:
        passwd = self.cfg.get("passwd") or {}
        for kind in ("users", "groups"):
            for i, entry in enumerate(passwd.get(kind) or ()):
                if entry.get("shouldExist") is False and self.minor < 2:
                    self.report(
                        f"passwd.{kind}[{i}].shouldExist", f"false (delete) is not available before {_SINCE[2]}"
                    )
                if self.minor < 2:
                    entry.pop("shouldExist", None)

    def mode(self, node: dict[str, Any], path: str) -> None:
        mode = node.get("mode")
        if self.minor < 6 and mode is not None and mode & SPECIAL_BITS:
            node["mode"] = mode & ~SPECIAL_BITS
            self.report(
                f"{path}.mode", f"setuid/setgid/sticky bits ({mode & SPECIAL_BITS:04o}) are dropped before {_SINCE[6]}"
            )

    def files(self, storage: dict[str, Any]) -> None:
        kept = []
        for i, f in enumerate(storage.get("files") or ()):
            path = f"storage.files[{i}]"
            resources = [(f"{path}.contents", f.get("contents") or {})]
            resources += [(f"{path}.append[{j}]", res) for j, res in enumerate(f.get("append") or ())]
            problems = [(p, msg) for p, res in resources if (msg := self.source_problem(res))]
            if problems:
                for p, msg in problems:
                    self.report(f"{p}.source", msg + " (file left out)")
                continue
            for p, res in resources:
                if res:
                    self.resource(res, p, file_contents=True)
            self.mode(f, path)
            kept.append(f)
        if "files" in storage:
            storage["files"] = kept
        for i, d in enumerate(storage.get("directories") or ()):
            self.mode(d, f"storage.directories[{i}]")

    def filesystems(self, storage: dict[str, Any]) -> None:
        kept = []
        for i, fs in enumerate(storage.get("filesystems") or ()):
            path = f"storage.filesystems[{i}]"
            fmt = fs.get("format")
            if fmt == "none" and self.minor < 3:
                self.report(f"{path}.format", f"\"none\" is not available before {_SINCE[3]} (filesystem left out)")
                continue
            if fmt == "virtiofs" and self.minor < 7:
                self.report(f"{path}.format", f"virtiofs is only available in {_SINCE[7]} (filesystem left out)")
                continue
            self.drop_field(fs, "mountOptions", path, 1)
            kept.append(fs)
        if "filesystems" in storage:
            storage["filesystems"] = kept

    def luks(self, storage: dict[str, Any]) -> None:
        if "luks" not in storage:
            return
        if self.minor < 2:
            for i, _ in enumerate(storage.pop("luks")):
                self.missing(f"storage.luks[{i}]", 2)
            return
        kept = []
        for i, luks in enumerate(storage["luks"]):
            path = f"storage.luks[{i}]"
            key_file = luks.get("keyFile") or {}
            problem = self.source_problem(key_file)
            if problem:
                self.report(f"{path}.keyFile.source", problem + " (volume left out)")
                continue
            if key_file:
                self.resource(key_file, f"{path}.keyFile")
            self.drop_field(luks, "cex", path, 5)
            self.drop_field(luks, "discard", path, 4)
            self.drop_field(luks, "openOptions", path, 4)
            self.clevis(luks, path)
            kept.append(luks)
        storage["luks"] = kept

    def clevis(self, luks: dict[str, Any], path: str) -> None:
        clevis = luks.get("clevis")
        if clevis is None:
            return
        for j, tang in enumerate(clevis.get("tang") or ()):
            self.drop_field(tang, "advertisement", f"{path}.clevis.tang[{j}]", 4)
        custom = clevis.get("custom")
        if custom is None:
            return
        pin = custom.get("pin") or ""
        if self.minor < 6 and pin and pin not in CLEVIS_PINS:
            del clevis["custom"]
            self.report(
                f"{path}.clevis.custom.pin",
                f"pin {pin!r} is not available before {_SINCE[6]} (custom binding left out)",
            )
        elif self.minor == 2 and not pin:
            # in 3.2 an empty custom object still counts as a custom binding
            del clevis["custom"]

    def partitions(self, storage: dict[str, Any]) -> None:
        for i, disk in enumerate(storage.get("disks") or ()):
            for j, part in enumerate(disk.get("partitions") or ()):
                self.drop_field(part, "resize", f"storage.disks[{i}].partitions[{j}]", 2)

    def run(self) -> tuple[Config, list[str]]:
        self.ignition()
        self.drop_field(self.cfg, "kernelArguments", "", 3)
        self.passwd()
        storage = self.cfg.get("storage")
        if storage:
            self.partitions(storage)
            self.files(storage)
            self.filesystems(storage)
            self.luks(storage)
        return self.cfg, [p.lstrip(".") for p in self.problems]


def downgrade(cfg: Config, target: str) -> tuple[Config, list[str]]:
    """`cfg` (a 3.6.0 or 3.7.0-experimental config) expressed in 3.x version `target`,
    and one problem per thing the target cannot express (left out of the output)."""
    minor_of(target)
    return _Downgrade(cfg, target).run()
