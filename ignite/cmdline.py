"""The kernel command line as Ignition reads it (shared by the fetch stages and the
dracut generator).

Split on whitespace; `key=value` split on the first `=`; a later occurrence wins;
tokens without `=` are ignored by `values()` (but count for `flag()`, as the
generator's parser sees a bare `ignition.firstboot` as true)."""
from __future__ import annotations

import os

from ignite import distro
from ignite.errors import UsageError
from ignite.log import get_logger

log = get_logger("ignite.cmdline")  # not logging: every stage with work reads the platform here

CMDLINE_PATH_ENV = distro.CMDLINE_PATH_ENV
DEFAULT_PATH = distro.CMDLINE_FILE

CONFIG_URL = ("ignition.config.url", "coreos.config.url")  # the legacy name is an alias
CONFIG_DEVICE = "ignition.config.device"
CONFIG_PATH = "ignition.config.path"
PLATFORM = "ignition.platform.id"
LEGACY_PLATFORM = ("flatcar.oem.id", "coreos.oem.id")
# A finite budget for fetching the config (Go duration or seconds); ignite's own.
FETCH_TIMEOUT = "ignition.fetch.timeout"
# Where to POST the report (ignite's own, for fleets), and the bound on the whole push.
REPORT_URL = "ignite.report.url"
REPORT_TIMEOUT = "ignite.report.timeout"
FALSE_VALUES = frozenset({"", "0", "no", "off"})


def read(path: str | os.PathLike[str] | None = None) -> str:
    """The command line from `path`, else $IGNITION_KERNEL_CMDLINE_PATH, else /proc/cmdline."""
    name = DEFAULT_PATH if path is None else _as_pathlib_spells(os.fspath(path))
    if name == DEFAULT_PATH:
        name = _as_pathlib_spells(distro.env(CMDLINE_PATH_ENV) or DEFAULT_PATH)
    try:
        with open(name, errors="replace") as file:
            return file.read()
    except OSError as exc:
        raise UsageError(f"cannot read the kernel command line {name}: {exc.strerror or exc}") from None


def _as_pathlib_spells(name: str) -> str:
    """`name` as str(pathlib.PurePosixPath(name)) spells it (no repeated slashes, `.` parts or
    trailing slash), without pathlib's import (~3 ms of every fetch stage's start-up)."""
    root = "//" if name.startswith("//") and not name.startswith("///") else "/" if name.startswith("/") else ""
    return root + "/".join(part for part in name.split("/") if part not in ("", ".")) or "."


def values(text: str) -> dict[str, str]:
    """key → value for every `key=value` token with a non-empty value; later ones win."""
    result: dict[str, str] = {}
    for token in text.split():
        key, eq, value = token.partition("=")
        if not eq:
            continue
        if not value:
            log.debug("ignoring empty kernel argument %s=", key)
            continue
        result[key] = value
    return result


def flag(text: str, key: str) -> bool:
    """`key` present with a value not in {"", 0, no, off}; a bare `key` counts as true."""
    found: str | None = None
    for token in text.split():
        name, eq, value = token.partition("=")
        if name == key:
            found = value if eq else token
    return found is not None and found not in FALSE_VALUES


def config_url(args: dict[str, str]) -> str | None:
    for key in CONFIG_URL:
        if key in args:
            return args[key]
    return None


# Schemes whose URLs name a host; a malformed one fails at once, before any network is
# brought up for it, instead of being retried until the fetch deadline.
_HOST_SCHEMES = frozenset({"http", "https", "tftp", "s3", "gs"})


def check_config_url(url: str, key: str = CONFIG_URL[0]) -> None:
    """UsageError naming the kernel argument when a network URL cannot be parsed or has no host."""
    scheme = url.partition(":")[0].lower() if ":" in url else ""
    if scheme not in _HOST_SCHEMES:
        return  # data:, oem:, a bare path, or a scheme the fetch refuses by name
    from urllib.parse import urlsplit  # only here: ~2.5 ms of start-up that data: URLs never need
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018  (parses the port: ValueError when out of range)
    except ValueError as exc:
        raise UsageError(f"kernel argument {key}={url} is not a valid URL: {exc}") from None
    if not parts.hostname:
        raise UsageError(f"kernel argument {key}={url} is not a valid URL: it names no host")


def platform_id(args: dict[str, str]) -> str | None:
    """ignition.platform.id, else the legacy Flatcar/CoreOS OEM id (mapped by the registry)."""
    if PLATFORM in args:
        return args[PLATFORM]
    for key in LEGACY_PLATFORM:
        if key in args:
            return args[key]
    return None


# In the order they are tried: "ms" before "m".
_UNITS = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}


def parse_duration(text: str) -> float:
    """Seconds from `90`, `90s`, `2m`, `1m30s` (Go's duration syntax, or bare seconds)."""
    text = text.strip()
    try:
        return float(text)
    except ValueError:
        pass
    pos, total = 0, 0.0
    while (term := _duration_term(text, pos)) is not None:
        number, unit, pos = term
        total += float(number) * _UNITS[unit]
    if pos != len(text) or not text:
        raise UsageError(f"invalid duration {text!r} (use e.g. 90, 90s, 2m, 1m30s)")
    return total


def _duration_term(text: str, pos: int) -> tuple[str, str, int] | None:
    """(number, unit, end) of the term `(\\d+(\\.\\d*)?|\\.\\d+)(ns|us|µs|ms|s|m|h)` at `pos`, or None.
    (Hand-written: `re` costs every fetch stage ~7 ms of start-up.)"""
    end = _decimals_end(text, pos)
    if end > pos:
        if text.startswith(".", end):
            end = _decimals_end(text, end + 1)
    elif text.startswith(".", pos) and _decimals_end(text, pos + 1) > pos + 1:
        end = _decimals_end(text, pos + 1)
    else:
        return None
    for unit in _UNITS:
        if text.startswith(unit, end):
            return text[pos:end], unit, end + len(unit)
    return None


def _decimals_end(text: str, pos: int) -> int:
    """Where the run of decimal digits (`\\d`: any Unicode Nd, as float() reads them) from `pos` ends."""
    while pos < len(text) and text[pos].isdecimal():
        pos += 1
    return pos


def fetch_timeout(args: dict[str, str], default: float) -> float:
    value = args.get(FETCH_TIMEOUT)
    return default if value is None else parse_duration(value)
