"""URLs as Ignition sees them: Go's net/url parsing, the scheme rules per spec version,
S3 ARNs; RFC 2397 data URLs are decoded by `ignite.config.dataurl` (re-exported here).

Validation verdicts depend on exactly which strings Go's `url.Parse` rejects, so
`parse_url` follows its rules (control bytes, scheme syntax, authority, host
characters, percent escapes) rather than Python's lenient `urllib.parse`.
"""
from __future__ import annotations

from ignite.config.dataurl import decode_data_url
from ignite.errors import ConfigError

# Messages as upstream prints them (config/shared/errors).
ERR_INVALID_URL = "unable to parse url"
ERR_INVALID_SCHEME = "invalid url scheme"
ERR_S3_VERSION_ID = "invalid S3 object VersionId"
ERR_S3_ARN = "invalid S3 ARN format"
# ignite's own, stricter than Go's url.Parse (which takes any digits as a port and brackets
# anywhere in a host): what the fetchers' URL parsing rejects, refused when validating.
ERR_PORT_RANGE = "unable to parse url: port out of range 0-65535"
ERR_HOST_BRACKETS = "unable to parse url: '[' or ']' in the host outside an IPv6 literal"
ERR_HOST_IPV6 = "unable to parse url: the bracketed host is not an IPv6 address"

_HEX = frozenset("0123456789abcdefABCDEF")
_ALNUM = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")
_HOST_EXTRA = frozenset("-_.~!$&'()*+,;=:[]<>\"")
_USERINFO_EXTRA = frozenset("-._:~!$&'()*+,;=%@")


class URL:
    """A parsed URL. (Not a dataclass: its import costs every files stage ~8 ms.)"""

    __slots__ = ("scheme", "opaque", "host", "path", "raw_query")

    def __init__(self, scheme: str, opaque: str, host: str, path: str, raw_query: str) -> None:
        self.scheme = scheme  # lower-cased, "" when the string has none
        self.opaque = opaque  # what follows "scheme:" when it does not start with "/"
        self.host = host
        self.path = path
        self.raw_query = raw_query

    def _key(self) -> tuple[str, str, str, str, str]:
        return (self.scheme, self.opaque, self.host, self.path, self.raw_query)

    def __eq__(self, other: object) -> bool:
        return self._key() == other._key() if isinstance(other, URL) else NotImplemented

    def __hash__(self) -> int:
        return hash(self._key())

    def __repr__(self) -> str:
        return "URL(scheme={!r}, opaque={!r}, host={!r}, path={!r}, raw_query={!r})".format(*self._key())


class _ParseError(Exception):
    """Internal: url.Parse would fail. Never leaves this module."""


def _check_escapes(s: str, host: bool = False) -> None:
    i = 0
    while i < len(s):
        c = s[i]
        if c == "%":
            if i + 2 >= len(s) or s[i + 1] not in _HEX or s[i + 2] not in _HEX:
                raise _ParseError
            if host and int(s[i + 1], 16) < 8 and s[i : i + 3] != "%25":
                raise _ParseError
            i += 3
            continue
        if host and c < "\x80" and c not in _ALNUM and c not in _HOST_EXTRA:
            raise _ParseError
        i += 1


def _unescape_query(s: str) -> str:
    out = bytearray()
    i = 0
    while i < len(s):
        c = s[i]
        if c == "%":
            if i + 2 >= len(s) or s[i + 1] not in _HEX or s[i + 2] not in _HEX:
                raise _ParseError
            out.append(int(s[i + 1 : i + 3], 16))
            i += 3
            continue
        out.extend(b" " if c == "+" else c.encode("utf-8", "surrogatepass"))
        i += 1
    return out.decode("utf-8", "replace")


def _valid_port(port: str) -> bool:
    return port == "" or (port[0] == ":" and all("0" <= c <= "9" for c in port[1:]))


def _parse_host(host: str) -> str:
    if host.startswith("["):
        end = host.rfind("]")
        if end < 0 or not _valid_port(host[end + 1 :]):
            raise _ParseError
        zone = host.find("%25", 0, end)
        if zone >= 0:
            _check_escapes(host[:zone], host=True)
            _check_escapes(host[zone:end])
            _check_escapes(host[end:], host=True)
            return host
    else:
        colon = host.rfind(":")
        if colon >= 0 and not _valid_port(host[colon:]):
            raise _ParseError
    _check_escapes(host, host=True)
    return host


def _parse_authority(authority: str) -> str:
    at = authority.rfind("@")
    host = _parse_host(authority[at + 1 :])
    if at >= 0:
        userinfo = authority[:at]
        if any(c < "\x80" and c not in _ALNUM and c not in _USERINFO_EXTRA for c in userinfo):
            raise _ParseError
        _check_escapes(userinfo)
    return host


def _split_scheme(raw: str) -> tuple[str, str]:
    for i, c in enumerate(raw):
        digit = "0" <= c <= "9"
        if c in _ALNUM and not digit:
            continue
        if digit or c in "+-.":
            if i == 0:
                return "", raw
            continue
        if c == ":":
            if i == 0:
                raise _ParseError  # missing protocol scheme
            return raw[:i], raw[i + 1 :]
        return "", raw
    return "", raw


def _parse(raw: str) -> URL:
    rest, _, fragment = raw.partition("#")
    if any(c < " " or c == "\x7f" for c in rest):
        raise _ParseError
    if rest == "*":
        return URL("", "", "", "*", "")
    scheme, rest = _split_scheme(rest)
    scheme = scheme.lower()
    if rest.endswith("?") and rest.count("?") == 1:
        rest, query = rest[:-1], ""
    else:
        rest, _, query = rest.partition("?")
    host = ""
    if not rest.startswith("/"):
        if scheme:
            if fragment:
                _check_escapes(fragment)
            return URL(scheme, rest, "", "", query)
        if ":" in rest.partition("/")[0]:
            raise _ParseError  # first path segment cannot contain colon
    if (scheme or not rest.startswith("///")) and rest.startswith("//"):
        authority, slash, tail = rest[2:].partition("/")
        rest = slash + tail
        host = _parse_authority(authority)
    _check_escapes(rest)
    if fragment:
        _check_escapes(fragment)
    return URL(scheme, "", host, rest, query)


def parse_url(raw: str) -> URL | None:
    """Go's `url.Parse`: None where it returns an error."""
    try:
        return _parse(raw)
    except _ParseError:
        return None


def query_values(url: URL) -> dict[str, list[str]]:
    """Go's `url.Query()`: malformed pairs are skipped, not reported."""
    values: dict[str, list[str]] = {}
    for pair in url.raw_query.split("&") if url.raw_query else ():
        if ";" in pair or pair == "":
            continue
        key, _, value = pair.partition("=")
        try:
            key, value = _unescape_query(key), _unescape_query(value)
        except _ParseError:
            continue
        values.setdefault(key, []).append(value)
    return values


def _check_version_id(url: URL) -> str | None:
    values = query_values(url).get("versionId")
    if values is not None and (not values or values[0] == ""):
        return ERR_S3_VERSION_ID
    return None


def _check_arn(url: URL) -> str | None:
    full = "arn:" + url.opaque
    if full.count(":") < 5:
        return ERR_S3_ARN
    _, _partition, service, _region, _account, resource = full.split(":", 5)
    if service != "s3":
        return ERR_S3_ARN
    parts = len(full.split("/"))
    if resource.startswith("accesspoint/") and parts < 3:
        return ERR_S3_ARN
    if parts < 2:
        return ERR_S3_ARN
    return _check_version_id(url)


def resource_schemes(minor: int) -> frozenset[str]:
    """Schemes a Resource `source` may use in spec 3.<minor> (7 = 3.7.0-experimental)."""
    schemes = {"http", "https", "tftp", "s3", "data"}
    if minor >= 2:
        schemes.add("gs")
    if minor >= 4:
        schemes.add("arn")
    return frozenset(schemes)


def check_host(url: URL) -> str | None:
    """Why the fetchers could not use the host and port that Go's url.Parse accepted, or
    None: a port above 65535, brackets outside an IPv6 literal, a bracketed non-address.
    Ignition fails on these when it fetches; ignite refuses them when validating."""
    host = url.host
    if host.startswith("["):
        end = host.rfind("]")
        literal, port = host[1:end], host[end + 2:]
        if literal[:1] not in ("v", "V"):  # IPvFuture is taken as it is
            import ipaddress

            try:
                ipaddress.IPv6Address(literal.split("%25", 1)[0])
            except ValueError:
                return ERR_HOST_IPV6
    else:
        name, _, port = host.rpartition(":") if ":" in host else (host, "", "")
        if "[" in name or "]" in name:
            return ERR_HOST_BRACKETS
    if port and int(port) > 65535:
        return ERR_PORT_RANGE
    return None


def validate_url(raw: str, minor: int) -> str | None:
    """The message upstream's validateURL gives for a Resource source, or None if valid
    (and ignite's check_host)."""
    url = parse_url(raw)
    if url is None:
        return ERR_INVALID_URL
    if url.scheme not in resource_schemes(minor):
        return ERR_INVALID_SCHEME
    if url.host and (problem := check_host(url)):
        return problem
    if url.scheme == "s3":
        return _check_version_id(url)
    if url.scheme == "arn":
        return _check_arn(url)
    if url.scheme == "data":
        try:
            decode_data_url(raw)
        except ConfigError as err:
            return err.message
    return None


def validate_url_nil_ok(raw: str | None, minor: int) -> str | None:
    if not raw:
        return None
    return validate_url(raw, minor)


def validate_http_url(raw: str) -> str | None:
    """Tang server URLs: http or https only (an empty URL has no scheme)."""
    url = parse_url(raw)
    if url is None:
        return ERR_INVALID_URL
    if url.scheme not in ("http", "https"):
        return ERR_INVALID_SCHEME
    return check_host(url) if url.host else None


def scheme_of(raw: str) -> str | None:
    """The scheme Go would see, or None if the URL does not parse."""
    url = parse_url(raw)
    return None if url is None else url.scheme


__all__ = [
    "URL",
    "parse_url",
    "query_values",
    "validate_url",
    "validate_url_nil_ok",
    "validate_http_url",
    "check_host",
    "resource_schemes",
    "scheme_of",
    "decode_data_url",
]
