"""URL and hash checks as Ignition 0.x made them: Go's url.Parse (ignite.config.urls), then
the schemes of the 2.x version."""
from __future__ import annotations

from ignite.config import urls
from ignite.errors import ConfigError

INVALID_URL = urls.ERR_INVALID_URL


def url_problem(url: str, version: tuple[int, int]) -> str | None:
    """Why a source URL is invalid at this 2.x version (None: valid). The empty URL is valid."""
    if url == "":
        return None
    parsed = urls.parse_url(url)
    if parsed is None:
        return urls.ERR_INVALID_URL
    allowed = {"http", "https", "oem", "data"} | ({"tftp", "s3"} if version >= (2, 1) else set())
    if parsed.scheme not in allowed:
        return urls.ERR_INVALID_SCHEME
    if parsed.scheme == "data":
        try:
            urls.decode_data_url(url)
        except ConfigError as err:
            return err.message
    if parsed.scheme == "s3":
        values = urls.query_values(parsed).get("versionId")
        if values is not None and (not values or values[0] == ""):
            return urls.ERR_S3_VERSION_ID
    return None


def scheme_of(url: str) -> str | None:
    return urls.scheme_of(url)


def hash_problem(value: str) -> str | None:
    function, sep, digest = value.partition("-")
    if not sep:
        return "malformed hash specifier"
    if function != "sha512":
        return "unrecognized hash function"
    if len(digest) != 128:
        return "incorrect size for hash sum"
    return None
