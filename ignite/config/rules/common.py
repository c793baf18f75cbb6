"""Value rules shared by several parts of a 3.x config: paths, modes, GUIDs, resources.

Each `check_*` returns the upstream message or None; the `validate_*` walkers add
entries to the report in upstream's order (a node's own rules, then its children).
"""
from __future__ import annotations

from ignite.config import urls
from ignite.config.report import JsonPath, Report

TYPE_CHECKING = False  # not typing's: every fetch stage validates its config
if TYPE_CHECKING:
    from typing import Any

ERR_NO_PATH = "path not specified"
ERR_PATH_RELATIVE = "path not absolute"
ERR_DIRTY_PATH = "path is not fully simplified"
ERR_ILLEGAL_MODE = "illegal file mode"
ERR_SPECIAL_BITS = "setuid/setgid/sticky bits are not supported or functional in spec versions older than 3.6.0"
ERR_ID_AND_NAME = "cannot set both id and name"
ERR_GUID = 'doesn\'t match the form "01234567-89AB-CDEF-EDCB-A98765432101"'
ERR_COMPRESSION = "invalid compression method"
ERR_VERIFICATION_NIL_SOURCE = "source must be specified if verification is specified"
ERR_HEADERS_SCHEME = "cannot use HTTP headers with this source scheme"
ERR_HEADER_NAME = "HTTP header name can't be empty"
ERR_HEADER_VALUE = "unable to parse HTTP header"
ERR_HEADER_CONTROL = "HTTP header names and values cannot contain CR, LF or NUL"
ERR_HASH_MALFORMED = "malformed hash specifier"
ERR_HASH_FUNCTION = "unrecognized hash function"
ERR_HASH_SIZE = "incorrect size for hash sum"
ERR_SOURCE_REQUIRED = "source is required"

_HEX_DIGITS = "0123456789abcdefABCDEF"


class Ctx:
    """What every rule needs: the spec minor version (7 = 3.7.0-experimental) and the report;
    `hints`: add ignite's own hints (warnings Ignition does not give), as ignite validate
    does, but not where another tool's output is matched exactly (Butane's translation)."""

    __slots__ = ("minor", "report", "hints")

    def __init__(self, minor: int, report: Report, hints: bool = True) -> None:
        self.minor = minor
        self.report = report
        self.hints = hints

    def error(self, message: str | None, path: JsonPath) -> None:
        if message is not None:
            self.report.error(message, path)

    def warning(self, message: str | None, path: JsonPath) -> None:
        if message is not None:
            self.report.warning(message, path)


def go_clean(path: str) -> str:
    """Go's path.Clean (os.path.normpath keeps a leading `//` and differs on "")."""
    if path == "":
        return "."
    rooted = path.startswith("/")
    parts: list[str] = []
    for part in path.split("/"):
        if part in ("", "."):
            continue
        if part == "..":
            if parts and parts[-1] != "..":
                parts.pop()
            elif not rooted:
                parts.append("..")
            continue
        parts.append(part)
    cleaned = "/".join(parts)
    if rooted:
        return "/" + cleaned
    return cleaned or "."


def go_join(*elems: str) -> str:
    joined = "/".join(e for e in elems if e)
    return go_clean(joined) if joined else ""


def go_ext(path: str) -> str:
    """Go's path.Ext: from the last dot of the last element, or ""."""
    for i in range(len(path) - 1, -1, -1):
        if path[i] == "/":
            break
        if path[i] == ".":
            return path[i:]
    return ""


def byte_len(text: str) -> int:
    """Length in UTF-8 bytes, as Go's len(); a lone surrogate counts as its 3-byte U+FFFD."""
    return len(text.encode("utf-8", "surrogatepass"))


def check_path(path: str) -> str | None:
    if path == "":
        return ERR_NO_PATH
    if not path.startswith("/"):
        return ERR_PATH_RELATIVE
    if go_clean(path) != path:
        return ERR_DIRTY_PATH
    return None


def check_path_nil_ok(path: str | None) -> str | None:
    return None if not path else check_path(path)


def check_mode(mode: int | None) -> str | None:
    if mode is not None and not 0 <= mode <= 0o7777:
        return ERR_ILLEGAL_MODE
    return None


def check_special_bits(mode: int | None) -> str | None:
    # upstream converts to uint32 first, so a negative mode also has the bits set
    if mode is not None and (mode & 0xFFFFFFFF) & 0o7000:
        return ERR_SPECIAL_BITS
    return None


# Modes people write in decimal meaning octal: each is valid, and almost never meant.
DECIMAL_LOOKING_MODES = frozenset({600, 640, 644, 700, 750, 755, 775, 777, 440, 400})
_SPECIAL_BIT_NAMES = ((0o4000, "setuid"), (0o2000, "setgid"), (0o1000, "sticky"))


def permission_string(mode: int) -> str:
    """`ls -l` style rwx triplets of the low nine bits: 0o755 → rwxr-xr-x."""
    return "".join(char if mode & (1 << (8 - i)) else "-" for i, char in enumerate("rwxrwxrwx"))


def hint_decimal_mode(mode: int | None) -> str | None:
    """A warning, in words, for a mode written as decimal digits of the octal one meant
    (ignite's own hint; the verdict stays Ignition's)."""
    if mode not in DECIMAL_LOOKING_MODES:
        return None
    special = [name for bit, name in _SPECIAL_BIT_NAMES if mode & bit]
    meant = int(str(mode), 8)
    actual = f"{', '.join(special)}, {permission_string(mode)}" if special else permission_string(mode)
    return (f"mode {mode} is decimal, which is {mode:#o} ({actual}); for {permission_string(meant)} "
            f"write {meant} ({meant:#o})")


def check_guid(guid: str | None) -> str | None:
    if guid is not None and not is_guid(guid):
        return ERR_GUID
    return None


def is_guid(guid: str) -> bool:
    """Empty, or 8-4-4-4-12 hex digits: `(|[0-9a-fA-F]{8}-…-[0-9a-fA-F]{12})\\Z` (no `re`: it
    costs every fetch stage ~7 ms of start-up)."""
    groups = guid.split("-")
    return not guid or ([len(group) for group in groups] == [8, 4, 4, 4, 12]
                        and not "".join(groups).strip(_HEX_DIGITS))


def check_id_or_name(owner: dict[str, Any]) -> str | None:
    if owner.get("id") is not None and owner.get("name"):
        return ERR_ID_AND_NAME
    return None


def check_required_source(ctx: Ctx, res: dict[str, Any]) -> str | None:
    source = res.get("source")
    if not source:
        return ERR_SOURCE_REQUIRED
    return urls.validate_url(source, ctx.minor)


def _check_hash(ctx: Ctx, spec: str) -> str | None:
    function, dash, digest = spec.partition("-")
    if not dash:
        return ERR_HASH_MALFORMED
    sizes = {"sha512": 128, "sha256": 64} if ctx.minor >= 1 else {"sha512": 128}
    if function not in sizes:
        return ERR_HASH_FUNCTION
    if byte_len(digest) != sizes[function]:
        return ERR_HASH_SIZE
    return None


def check_header_text(text: object) -> str | None:
    """ignite's own rule (Ignition accepts them, then retries a request Go refuses to send
    forever): CR, LF or NUL in a header would split or end the HTTP request."""
    if isinstance(text, str) and any(c in text for c in "\r\n\0"):
        return ERR_HEADER_CONTROL
    return None


def _check_headers_scheme(res: dict[str, Any]) -> str | None:
    if not res.get("httpHeaders"):
        return None
    source = res.get("source")
    if not source:
        return urls.ERR_INVALID_URL
    scheme = urls.scheme_of(source)
    if scheme is None:
        return urls.ERR_INVALID_URL
    return None if scheme in ("http", "https") else ERR_HEADERS_SCHEME


def validate_resource(ctx: Ctx, res: dict[str, Any], path: JsonPath, kind: str = "resource") -> None:
    """A 3.1+ Resource, or a 3.0 reference (`kind`: "config", "ca" or "file")."""
    source = res.get("source")
    if ctx.minor >= 1 or kind == "file":
        compression = res.get("compression")
        if compression not in (None, "", "gzip"):
            ctx.error(ERR_COMPRESSION, path + ("compression",))
        verification = res.get("verification") or {}
        if verification.get("hash") is not None and source is None:
            ctx.error(ERR_VERIFICATION_NIL_SOURCE, path + ("verification", "hash"))
    if kind == "ca" and ctx.minor == 0:
        ctx.error(urls.validate_url(source or "", ctx.minor), path + ("source",))
    else:
        ctx.error(urls.validate_url_nil_ok(source, ctx.minor), path + ("source",))
    if ctx.minor >= 1:
        ctx.error(_check_headers_scheme(res), path + ("httpHeaders",))
        for i, header in enumerate(res.get("httpHeaders") or ()):
            hpath = path + ("httpHeaders", i)
            if header.get("name", "") == "":
                ctx.error(ERR_HEADER_NAME, hpath + ("name",))
            if header.get("value") == "":
                ctx.error(ERR_HEADER_VALUE, hpath + ("value",))
            ctx.error(check_header_text(header.get("name")), hpath + ("name",))
            ctx.error(check_header_text(header.get("value")), hpath + ("value",))
    digest = (res.get("verification") or {}).get("hash")
    if digest is not None:
        ctx.error(_check_hash(ctx, digest), path + ("verification", "hash"))
