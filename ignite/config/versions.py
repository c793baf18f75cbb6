"""Which spec version a config is written in, and the checks made before JSON decoding.

3.x dispatch is upstream Ignition's: the version must equal one of V3 as go-semver
compares them (numbers by value, so `03.1.0` is 3.1.0; pre-release and build metadata
included). Legacy dispatch follows Ignition 0.x's chain of parsers (docs/spec/legacy.md#version-dispatch):
2.x versions must equal one of LEGACY_V2 the same way; a version below 2.0.0, an
unparseable one or none at all falls through to the v1 parser, which wants the integer
`"ignitionVersion": 1`. Without `ignitionVersion` those are upstream's
`invalid config version (couldn't parse)` / `unsupported config version`.
"""
from __future__ import annotations

from ignite.config.gojson import fold_key

TYPE_CHECKING = False  # not typing's: stages with work import the version strings
if TYPE_CHECKING:
    from typing import Any

    from ignite.config.report import JsonPath

# The one home of the spec version strings: everything else imports them from here.
NEWEST = "3.6.0"
EXPERIMENTAL = "3.7.0-experimental"
V3 = ("3.0.0", "3.1.0", "3.2.0", "3.3.0", "3.4.0", "3.5.0", NEWEST, EXPERIMENTAL)
LEGACY_V2 = ("2.0.0", "2.1.0", "2.2.0", "2.3.0", "2.4.0")
V1 = "1"

ERR_EMPTY = "not a config (empty)"
ERR_CLOUD_CONFIG = "not a config (found coreos-cloudconfig)"
ERR_SCRIPT = "not a config (found coreos-cloudinit script)"
ERR_UNPARSEABLE = "invalid config version (couldn't parse)"
ERR_UNSUPPORTED = "unsupported config version"

# go-semver's identifier characters for pre-release and build metadata.
_IDENTIFIER_CHARS = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz-"

Semver = tuple[int, int, int, str, str]


class VersionError(Exception):
    """`fatal_entry`: the error is a JSON type error that belongs in the report at `path`
    (as Ignition reports it); otherwise the message alone is the verdict."""

    def __init__(self, message: str, path: JsonPath = (), fatal_entry: bool = False, hint: str | None = None):
        self.message = message
        self.path = path
        self.fatal_entry = fatal_entry
        self.hint = hint  # what to write instead, said beside the verdict (which stays upstream's)
        super().__init__(message)


def is_legacy(version: str) -> bool:
    return version not in V3


def semver(version: str) -> Semver | None:
    """(major, minor, patch, pre-release, metadata) as coreos/go-semver parses it, which
    Ignition uses: numbers go through strconv.ParseInt, so `03.0.0` is 3.0.0 (and Ignition
    accepts it as such)."""
    version, _, metadata = version.partition("+")
    version, _, pre = version.partition("-")
    parts = version.split(".", 2)
    if len(parts) != 3 or not all(map(is_go_int, parts)):
        return None
    if any(ident and not is_identifier(ident) for ident in (pre, metadata)):
        return None
    numbers = [int(p) for p in parts]
    if any(not -(2**63) <= n < 2**63 for n in numbers):
        return None
    return numbers[0], numbers[1], numbers[2], pre, metadata


def is_go_int(text: str) -> bool:
    """`[+-]?[0-9]+`: what strconv.ParseInt reads (the range aside). No regex: `re`
    costs every stage ~7 ms of start-up."""
    digits = text[1:] if text[:1] in ("+", "-") else text
    return digits.isascii() and digits.isdigit()


def is_identifier(text: str) -> bool:
    """`[0-9A-Za-z-]+(\\.[0-9A-Za-z-]+)*`: dot-separated pre-release or metadata identifiers."""
    return all(part and not part.strip(_IDENTIFIER_CHARS) for part in text.split("."))


_known_versions: dict[Semver, str] = {}


def _known() -> dict[Semver, str]:
    # Built on first use, without functools.cache (functools costs start-up).
    # Every known version parses: semver() returns None only for malformed ones.
    if not _known_versions:
        _known_versions.update({parsed: v for v in V3 + LEGACY_V2 if (parsed := semver(v)) is not None})
    return _known_versions


def detect(obj: Any) -> str:
    """The version `obj` (decoded JSON) is written in: one of V3, LEGACY_V2 or V1."""
    if type(obj) is not dict:
        raise VersionError(f"cannot use {_json_kind(obj)} as a config (an object)", (), True)
    ignition: dict | None = None
    legacy_v1: Any = None
    for key, value in obj.items():
        folded = fold_key(key)
        if folded == "ignition":
            if value is None:
                continue
            if type(value) is not dict:
                raise VersionError(f"cannot use {_json_kind(value)} as ignition (an object)", (key,), True)
            ignition = {**ignition, **value} if ignition else value
        elif folded == "ignitionversion" and value is not None:
            legacy_v1 = (key, value)
    version: str | None = None
    for key, value in (ignition or {}).items():
        if fold_key(key) == "version" and value is not None:
            if type(value) is not str:
                raise VersionError(f"cannot use {_json_kind(value)} as ignition.version (a string)",
                                   ("ignition", key), True)
            version = value
    parsed = semver(version) if version is not None else None
    if version is not None and parsed is not None and (
            parsed[0] > 2 or parsed[0] == 2 and not (parsed[1:3] == (0, 0) and parsed[3])):
        # At or above 2.0.0: exactly a known version (by go-semver's equality) or nothing.
        if version in V3 or version in LEGACY_V2:
            return version
        known = _known()
        if parsed in known:
            return known[parsed]
        raise VersionError(ERR_UNSUPPORTED, ("ignition", "version"), hint=version_hint(version, parsed))
    if legacy_v1 is not None:
        # v1's parser: reached for no version, an unparseable one, or one below 2.0.0.
        key, value = legacy_v1
        if type(value) is int and value == 1:
            return V1
        raise VersionError(ERR_UNSUPPORTED, (key,))
    if parsed is not None:
        raise VersionError(ERR_UNSUPPORTED, ("ignition", "version"))
    raise VersionError(ERR_UNPARSEABLE, ("ignition", "version"))


def version_hint(version: str, parsed: Semver) -> str | None:
    """What to write instead of an unsupported version at or above 2.0.0, or None."""
    major, minor, patch, pre, _ = parsed
    release = f"{major}.{minor}.{patch}"
    if release in V3 or release in LEGACY_V2:
        if pre == "experimental":
            return f'{version} is no longer accepted; {release} is now stable: change the version to "{release}"'
        return f'{version} is not a released spec version: use "{release}"'
    newest = semver(NEWEST)
    if newest is not None and (major, minor) > newest[:2]:
        return (f'{version} is newer than this ignite knows: the newest spec is "{NEWEST}" '
                f'("{EXPERIMENTAL}" for experimental features)')
    return None


def precheck(data: bytes) -> bytes:
    """The checks Ignition 0.x made before decoding (docs/spec/legacy.md#version-dispatch): gzip data is
    unpacked, and cloud-config or scripts are named as what they are. Raises VersionError."""
    if data[:2] == b"\x1f\x8b":
        data = gunzip(data)
    if not data:
        raise VersionError(ERR_EMPTY)
    if data.startswith(b"#"):
        first_line = data.split(b"\n", 1)[0]
        if first_line.rstrip() == b"#cloud-config":
            raise VersionError(ERR_CLOUD_CONFIG)
        if first_line.startswith(b"#!"):
            raise VersionError(ERR_SCRIPT)
    return data


MAX_GUNZIPPED = 256 * 1024 * 1024


def gunzip(data: bytes) -> bytes:
    import zlib

    unpacker = zlib.decompressobj(wbits=31)
    try:
        out = unpacker.decompress(data, MAX_GUNZIPPED)
    except zlib.error as e:
        raise VersionError(f"not a config (invalid gzip data: {e})") from None
    if unpacker.unconsumed_tail:
        raise VersionError(f"not a config (gzip data unpacks to more than {MAX_GUNZIPPED >> 20} MiB)")
    if not unpacker.eof:
        raise VersionError("not a config (truncated gzip data)")
    return out


def _json_kind(value: Any) -> str:
    return {dict: "an object", list: "an array", str: "a string", bool: "a boolean", int: "a number",
            float: "a number", type(None): "null"}.get(type(value), type(value).__name__)
