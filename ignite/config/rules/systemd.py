"""Rules of `systemd`: unit and drop-in names, unit-file syntax, [Install] warnings,
and paths of storage nodes that would collide with a unit or drop-in."""
from __future__ import annotations

from ignite.config.rules.common import Ctx, go_ext
from ignite.config.unitfile import UnitOption, go_quote, has_install_section, parse_unit_contents
from ignite.errors import ConfigError

TYPE_CHECKING = False  # not typing's: every fetch stage validates its config
if TYPE_CHECKING:
    from typing import Any

ERR_UNIT_EXT = "invalid systemd unit extension"
ERR_DROPIN_EXT = "invalid systemd drop-in extension"
ERR_PATH_CONFLICTS_SYSTEMD = "path conflicts with systemd unit or dropin"

UNIT_EXTENSIONS = frozenset({".service", ".socket", ".device", ".mount", ".automount", ".swap",
                             ".target", ".path", ".timer", ".snapshot", ".slice", ".scope"})
SYSTEMD_DIR = "/etc/systemd/system/"


def validate_unit_paths(ctx: Ctx, cfg: dict[str, Any]) -> None:
    """A file, directory or link written where a unit or drop-in with contents goes."""
    taken: set[str] = set()
    for unit in (cfg.get("systemd") or {}).get("units") or ():
        name = unit.get("name", "")
        if unit.get("contents"):
            taken.add(SYSTEMD_DIR + name)
        for dropin in unit.get("dropins") or ():
            if dropin.get("contents"):
                taken.add(SYSTEMD_DIR + name + ".d/" + dropin.get("name", ""))
    if not taken:
        return
    storage = cfg.get("storage") or {}
    for kind in ("files", "directories", "links"):
        for i, node in enumerate(storage.get(kind) or ()):
            if node.get("path", "") in taken:
                ctx.error(ERR_PATH_CONFLICTS_SYSTEMD, ("storage", kind, i, "path"))


def _parse(contents: str | None) -> tuple[list[UnitOption] | None, str | None]:
    try:
        return parse_unit_contents(contents), None
    except ConfigError as err:
        return None, err.message


def instance_prefix(name: str) -> str | None:
    """`prefix` of an instance `prefix@instance.service`: group 1 of `(.+?)@(.+?)\\.service\\Z`
    (neither part empty nor holding a newline), without `re`."""
    at = name.find("@", 1)
    if at < 0 or not name.endswith(".service") or at + 1 >= len(name) - len(".service"):
        return None
    prefix, instance = name[:at], name[at + 1 : -len(".service")]
    return None if "\n" in prefix or "\n" in instance else prefix


def validate_systemd(ctx: Ctx, systemd: dict[str, Any]) -> None:
    units = systemd.get("units") or ()
    by_name = {unit.get("name", ""): unit for unit in units}
    for i, unit in enumerate(units):
        prefix = instance_prefix(unit.get("name", ""))
        if prefix is None or not unit.get("enabled"):
            continue
        template_name = prefix + "@.service"
        template = by_name.get(template_name)
        if template is None or not template.get("contents"):
            continue
        options, _ = _parse(template["contents"])
        if options is not None and not has_install_section(options):  # None: its error is the template's own
            ctx.warning(f"template unit {go_quote(template_name)} for {go_quote(unit.get('name', ''))} "
                        "doesn't have Install section",
                        ("systemd", "units", i, "contents"))
    for i, unit in enumerate(units):
        path = ("systemd", "units", i)
        name = unit.get("name", "")
        if go_ext(name) not in UNIT_EXTENSIONS:
            ctx.error(ERR_UNIT_EXT, path + ("name",))
        contents = unit.get("contents")
        options, error = _parse(contents)
        ctx.error(error, path + ("contents",))
        if unit.get("enabled") and contents and options is not None and not has_install_section(options):
            ctx.warning(f"unit {go_quote(name)} is enabled, but has no install section so enable does nothing",
                        path + ("contents",))
        for j, dropin in enumerate(unit.get("dropins") or ()):
            dpath = path + ("dropins", j)
            ctx.error(_parse(dropin.get("contents"))[1], dpath + ("contents",))
            if go_ext(dropin.get("name", "")) != ".conf":
                ctx.error(ERR_DROPIN_EXT, dpath + ("name",))

