"""systemd units in the target: unit files and dropins under /etc/systemd/system, masks
as links to /dev/null, and `enabled` as lines of the preset file upstream writes.

Presets follow upstream HEAD: keys sorted (2.14 wrote them in Go's random map order),
`disable` only for a unit `systemctl --root R is-enabled` reports enabled (2.14 ran
`disable` for every one). The preset file is appended to, as upstream does, but by
writing the old content plus the new lines to a temporary file renamed into place, so a
killed run never leaves half a line or a line twice.
"""
from __future__ import annotations

import os
import posixpath
import stat

from ignite import distro
from ignite.errors import CommandError, NodeError
from ignite.stages.files_nodes import write_atomic

TYPE_CHECKING = False  # not typing's, nor dataclasses (~10 ms): units are in most configs
if TYPE_CHECKING:
    from collections.abc import Callable

    from ignite.config.model import Unit
    from ignite.root import Root
    from ignite.stages.files_journal import Journal

UNITS_DIR = distro.UNITS_DIR
PRESET_FILE = distro.PRESET_FILE


class Preset:
    __slots__ = ("unit", "enabled", "instances", "template")

    def __init__(self, unit: str, enabled: bool, instances: list[str] | None = None, template: bool = False) -> None:
        self.unit = unit
        self.enabled = enabled
        self.instances: list[str] = [] if instances is None else instances
        self.template = template

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Preset):
            return NotImplemented
        return (self.unit, self.enabled, self.instances, self.template) == (
            other.unit, other.enabled, other.instances, other.template)

    def __repr__(self) -> str:
        return f"Preset({self.unit!r}, {self.enabled!r}, {self.instances!r}, template={self.template!r})"

    def line_unit(self) -> str:
        return f"{self.unit} {' '.join(self.instances)}" if self.template else self.unit


def check_units(units: tuple[Unit, ...]) -> None:
    """Names that would put a unit or dropin anywhere but its own place are refused
    (validation already refuses them; a cached config is not re-validated)."""
    for i, unit in enumerate(units):
        _check_name(unit.name, f"$.systemd.units.{i}.name")
        for j, dropin in enumerate(unit.dropins):
            _check_name(dropin.name, f"$.systemd.units.{i}.dropins.{j}.name")


def _check_name(name: str, json_path: str) -> None:
    if not name or "/" in name or name in (".", ".."):
        raise NodeError(name or "(empty)", "invalid unit or dropin name", json_path)


def presets_of(units: tuple[Unit, ...]) -> dict[str, Preset]:
    presets: dict[str, Preset] = {}
    for i, unit in enumerate(units):
        if unit.enabled is None:
            continue
        ident = "enabled" if unit.enabled else "disabled"
        if "@" in unit.name:
            at, dot = unit.name.index("@"), unit.name.rfind(".")
            if dot < at:
                raise NodeError(unit.name, "instantiated unit has no unit type suffix", f"$.systemd.units.{i}.name")
            template = unit.name[: at + 1] + unit.name[dot:]
            instance = unit.name[at + 1 : dot]
            preset = presets.setdefault(f"{template}-{ident}", Preset(template, unit.enabled, template=True))
            preset.instances.append(instance)
        else:
            key = f"{unit.name}-{ident}"
            if key in presets:
                raise NodeError(unit.name, f"{key!r} key is already present in the presets map", f"$.systemd.units.{i}")
            presets[key] = Preset(unit.name, unit.enabled)
    return presets


class UnitWriter:
    def __init__(self, root: Root, journal: Journal, record: Callable[[str, str], None]):
        self.root = root
        self.journal = journal
        self.record = record

    def apply(self, units: tuple[Unit, ...]) -> None:
        for i, unit in enumerate(units):
            key = f"units.{i}"
            if self.journal.is_done(key):
                continue
            try:
                self._unit(unit)
            except OSError as exc:
                raise NodeError(unit.name, f"error writing unit: {exc.strerror or exc}", f"$.systemd.{key}") from None
            self.journal.finish(key)
        presets = presets_of(units)
        if presets and not self.journal.is_done("presets"):
            try:
                self._presets(presets)
            except OSError as exc:
                raise NodeError(PRESET_FILE, f"error writing presets: {exc.strerror or exc}") from None
            self.journal.finish("presets")

    def _unit(self, unit: Unit) -> None:
        for dropin in unit.dropins:
            if dropin.contents is None:
                continue
            path = f"{UNITS_DIR}/{unit.name}.d/{dropin.name}"
            self._write(path, dropin.contents.encode())
            self.record("write dropin", path)
        if unit.contents:
            path = f"{UNITS_DIR}/{unit.name}"
            self._write(path, unit.contents.encode())
            self.record("write unit", path)
        host = self.root.resolve(f"{UNITS_DIR}/{unit.name}")
        if unit.mask:
            self.root.makedirs(posixpath.dirname(host))
            tmp = self.root.temp_name(host)
            os.symlink("/dev/null", tmp)
            try:
                self.root.replace(tmp, host)
            except BaseException:
                os.unlink(tmp)
                raise
            self.root.forget()
            self.record("mask unit", unit.name)
        elif unit.mask is False:
            self.root.guard(host)
            if os.path.islink(host) and os.readlink(host) == "/dev/null":
                os.unlink(host)
                self.record("unmask unit", unit.name)

    def _write(self, path: str, data: bytes, keep_from: os.stat_result | None = None) -> None:
        write_atomic(self.root, self.root.resolve(path), data, 0o644, keep_from)

    def _presets(self, presets: dict[str, Preset]) -> None:
        from ignite.system.run import run

        lines = []
        for key in sorted(presets):
            preset = presets[key]
            unit = preset.line_unit()
            if preset.enabled:
                lines.append(f"enable {unit}\n")
                self.record("preset enable", unit)
                continue
            # Whether it was enabled before this stage touched it: kept in the journal so a
            # rerun after `disable` ran does not decide differently.
            note = f"enabled-before:{key}"
            if note not in self.journal.notes:
                done = run("systemctl", "--root", self.root.path, "is-enabled", unit, check=False)
                self.journal.note(note, "yes" if done.returncode == 0 else "no")
            if self.journal.notes[note] != "yes":
                continue
            try:
                run("systemctl", "--root", self.root.path, "disable", unit)
            except CommandError as exc:
                raise NodeError(unit, f"cannot remove symlink(s): {exc}") from None
            lines.append(f"disable {unit}\n")
            self.record("preset disable", unit)
        if not lines:
            return
        host = self.root.resolve(PRESET_FILE)
        self.root.guard(host)
        if self.journal.made_anew("presets", host):  # no `begin`, no data sync of its own (files_snapshot)
            write_atomic(self.root, host, "".join(lines).encode(), 0o644)
            return
        if self.journal.committed("presets", host):
            return
        try:
            st = os.lstat(host)
        except FileNotFoundError:
            st = None
        if st is not None and not stat.S_ISREG(st.st_mode):
            raise NodeError(PRESET_FILE, "can only append to files")
        old = open(host, "rb").read() if st is not None else b""
        data = old + "".join(lines).encode()
        from ignite.record import new_sha256

        self.journal.begin("presets", new_sha256(data).hexdigest(), new_sha256(old).hexdigest())
        write_atomic(self.root, host, data, 0o644, keep_from=st, durable=True)
