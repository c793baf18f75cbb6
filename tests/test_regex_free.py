"""The hand-written checks that replaced regexes on every stage's start-up path (data: URLs,
spec versions, durations, command quoting) give what the regexes gave, on random and
adversarial input; and the modules that had them load neither `re` nor its kin."""
from __future__ import annotations

import binascii
import os
import re
import shlex
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path, PurePosixPath

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ignite import cmdline
from ignite.config import dataurl, versions
from ignite.config.rules import common as rules_common
from ignite.config.rules import systemd as rules_systemd
from ignite.errors import ConfigError, FetchError, UsageError
from ignite.resource import data
from ignite.stages import devices
from ignite.system import run

REPO = Path(__file__).resolve().parents[1]

# The regexes as they were.
BAD_BASE64_CHAR = re.compile(r"[^A-Za-z0-9+/=\n]")
BAD_URL_CHAR = re.compile(r'[^\x21-\x7e]|[<>#"{}|\\^\[\]`]')
PLAIN_BASE64 = re.compile(r"[A-Za-z0-9+/]*={0,2}")
BAD_ESCAPE = re.compile(r"%(?![0-9A-Fa-f]{2})[0-9A-Fa-f]?")
GO_INT = re.compile(r"[+-]?[0-9]+")
IDENTIFIER = re.compile(r"[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*")
DURATION = re.compile(r"(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)")
SIMPLE_BASE64 = re.compile(
    r"data:(?:[A-Za-z0-9!#$&^_.+-]+/[A-Za-z0-9!#$&^_.+-]+)?"
    r"(?:;[A-Za-z0-9!#$&^_.+-]+=[A-Za-z0-9!#$&^_.+-]+)*;base64,"
)

# Alphabets that make the interesting cases likely: escapes, padding, separators,
# CR/LF, quoted-printable's own `=`, non-ASCII digits and letters.
ESCAPES = st.text(alphabet="%%%0123456789aAfFgG=\n\r_ .,;é", max_size=40)
BASE64ISH = st.text(alphabet="AZaz09+/====\n\r-_ é", max_size=40)
ANY = st.text(max_size=40)
TEXT = st.one_of(ESCAPES, BASE64ISH, ANY, st.text(alphabet=st.characters(max_codepoint=0x80), max_size=40))


def old_unescape(s: str) -> bytes:
    if not s.isascii():
        raise ConfigError("rfc2396: non-ASCII char detected")
    bad = BAD_ESCAPE.search(s)
    if bad:
        if len(bad.group()) < 3 and bad.end() == len(s):
            raise ConfigError("rfc2396: unexpected end of unescape sequence")
        raise ConfigError("rfc2396: invalid char 0x25 in unescape sequence")
    if "%" not in s:
        return s.encode()
    return binascii.a2b_qp(s.replace("=", "=3D").replace("%", "=").encode())


def outcome(function: Callable[..., object], *args: object) -> tuple[str, str]:
    """The result or the error, as text (nan == nan)."""
    try:
        return ("ok", repr(function(*args)))
    except (ConfigError, UsageError) as exc:
        return ("error", str(exc))


@settings(max_examples=2000, deadline=None)
@given(TEXT)
def test_data_character_checks_match_the_regexes(text: str) -> None:
    assert dataurl.has_bad_data_char(text, base64=True) == bool(BAD_BASE64_CHAR.search(text))
    assert dataurl.has_bad_data_char(text, base64=False) == bool(BAD_URL_CHAR.search(text))
    assert dataurl.is_plain_base64(text) == bool(PLAIN_BASE64.fullmatch(text))


@settings(max_examples=3000, deadline=None)
@given(TEXT)
def test_rfc2396_unescape_matches_the_regex_version(text: str) -> None:
    assert outcome(dataurl._rfc2396_unescape, text) == outcome(old_unescape, text)


@pytest.mark.parametrize("text", [
    "", "%", "%4", "%41", "%4g", "%%", "%%41", "%4%41", "a%", "a%A", "%zz", "=%41=", "%=", "%=3D", "%\n41",
    "%\r\n", "%41\n", "%4\n", "==%", "%41%42%4", "%41%42%", "a" * 1000 + "%", "%41" * 1000 + "%G1",
    "_", "%5F", "% 41",
])
def test_rfc2396_unescape_adversarial(text: str) -> None:
    assert outcome(dataurl._rfc2396_unescape, text) == outcome(old_unescape, text)


def test_data_url_fast_paths_stay_linear_on_megabytes() -> None:
    escaped = "data:," + "%41b" * 500_000
    assert dataurl.decode_data_url(escaped) == b"Ab" * 500_000
    with pytest.raises(ConfigError, match="invalid char 0x25"):
        dataurl.decode_data_url(escaped + "%G0")
    with pytest.raises(ConfigError, match="unexpected end"):
        dataurl.decode_data_url(escaped + "%4")
    body = binascii.b2a_base64(b"\x00\xff" * 600_000, newline=False).decode()
    assert dataurl.decode_data_url("data:;base64," + body) == b"\x00\xff" * 600_000
    with pytest.raises(ConfigError, match="invalid data character"):
        dataurl.decode_data_url("data:;base64," + body + "é")


@settings(max_examples=2000, deadline=None)
@given(st.one_of(TEXT, st.text(alphabet="+-0123456789٣.", max_size=12), st.text(alphabet="aZ09-.", max_size=12)))
def test_version_parts_match_the_regexes(text: str) -> None:
    assert versions.is_go_int(text) == bool(GO_INT.fullmatch(text))
    assert versions.is_identifier(text) == bool(IDENTIFIER.fullmatch(text))


def old_parse_duration(text: str) -> float:
    units = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}
    text = text.strip()
    try:
        return float(text)
    except ValueError:
        pass
    pos, total = 0, 0.0
    for match in DURATION.finditer(text):
        if match.start() != pos:
            break
        total += float(match.group(1)) * units[match.group(2)]
        pos = match.end()
    if pos != len(text) or not text:
        raise UsageError(f"invalid duration {text!r} (use e.g. 90, 90s, 2m, 1m30s)")
    return total


DURATIONS = st.lists(st.sampled_from(["1", "90", ".", "5", "٣", "0.", ".5", "ns", "us", "µs", "μs", "ms", "s", "m",
                                      "h", "x", " ", "e", "+", "-", "inf", "_"]), max_size=10).map("".join)


@settings(max_examples=3000, deadline=None)
@given(st.one_of(DURATIONS, ANY))
def test_parse_duration_matches_the_regex_version(text: str) -> None:
    assert outcome(cmdline.parse_duration, text) == outcome(old_parse_duration, text)


@settings(max_examples=1000, deadline=None)
@given(st.text(alphabet="/.a", max_size=12))
def test_paths_are_spelled_as_pathlib_spells_them(name: str) -> None:
    assert cmdline._as_pathlib_spells(name) == str(PurePosixPath(name))


def test_read_takes_a_str_or_a_path(tmp_path: Path) -> None:
    (tmp_path / "cmdline").write_text("a=1 b\n")
    assert cmdline.read(tmp_path / "cmdline") == cmdline.read(str(tmp_path / "cmdline")) == "a=1 b\n"
    for absent in (tmp_path / "absent", f"{tmp_path}//absent/"):
        with pytest.raises(UsageError) as raised:
            cmdline.read(absent)
        assert str(raised.value) == (f"cannot read the kernel command line {tmp_path / 'absent'}: "
                                     "No such file or directory")


@settings(max_examples=2000, deadline=None)
@given(st.lists(st.one_of(TEXT, st.text(alphabet="'\"a_@%+=:,./- $\\é", max_size=10)), max_size=5))
def test_shell_quoting_matches_shlex(argv: list[str]) -> None:
    assert [run.shell_quote(arg) for arg in argv] == [shlex.quote(arg) for arg in argv]
    assert run.shell_join(argv) == shlex.join(argv)


HEADERS = st.lists(st.sampled_from(["data:", "text/plain", "x-a/b", "a/b/c", ";", "a=b", "=", "base64", ",", "/",
                                    "é", "charset=utf-8", ";base64,", "data:;base64,", "\"q\"", "%41"]),
                   max_size=8).map("".join)


@settings(max_examples=3000, deadline=None)
@given(HEADERS, st.one_of(BASE64ISH, st.sampled_from(["QQ==", "QUI=", "QUJD", "", "A===", "QQ=="])))
def test_simple_base64_header_matches_the_regex(header: str, body: str) -> None:
    url = header + body
    match = SIMPLE_BASE64.match(url)
    assert data.simple_base64_start(url) == (match.end() if match else None)


@pytest.mark.parametrize("url", [
    "data:;base64,QQ==", "data:,QQ==", "data:;a=b;base64,", "data:;a=b=c;base64,", "data:;a;base64,",
    "data:;=b;base64,", "data:;a=;base64,", "data:;a=b;;base64,", "data:t/s;a=b;c=d;base64,QQ==",
    "data:t/s/;base64,", "data:/s;base64,", "data:t/;base64,", "data:t/s;base64;base64,", "data:;base64",
    "data:;a=b;c;d=e;base64,", "data:;a=b;c=d=e;f;base64,", "data:é/s;base64,", "data:t/s;a=b,;base64,",
    "data:" + ";a=b" * 10_000 + ";base64,QQ==", "data:" + ";a=b" * 10_000 + ";a=b=c;base64,QQ==",
])
def test_simple_base64_header_adversarial(url: str) -> None:
    match = SIMPLE_BASE64.match(url)
    assert data.simple_base64_start(url) == (match.end() if match else None)


def old_resource_decode(url: str) -> bytes:
    import base64

    match = SIMPLE_BASE64.match(url)
    if match:
        body = url[match.end():].encode("ascii", errors="replace")
        if len(body) % 4 == 0 and re.fullmatch(rb"[A-Za-z0-9+/]*={0,2}", body):
            try:
                return base64.b64decode(body, validate=True)
            except binascii.Error:
                pass
    from ignite.config.urls import decode_data_url as exact

    try:
        return exact(url)
    except ConfigError as exc:
        raise FetchError(url, "data", f"invalid data URL: {exc.message}") from None


def verdict(decode: Callable[[str], bytes], url: str) -> tuple[str, object]:
    try:
        return ("ok", decode(url))
    except FetchError as exc:
        return ("error", str(exc))


@settings(max_examples=2000, deadline=None)
@given(HEADERS, st.one_of(BASE64ISH, ESCAPES))
def test_data_reader_decodes_as_before(header: str, body: str) -> None:
    url = header + body
    assert verdict(data.decode_data_url, url) == verdict(old_resource_decode, url)


PART_SUFFIX = re.compile(r"^p?(\d+)$")
BY_LINK = re.compile(r"^/dev/disk/by-(partlabel|label|uuid|partuuid)/(.+)$")
DEVICE_PATHS = st.lists(st.sampled_from(["/dev/disk/by-", "label", "partlabel", "uuid", "partuuid", "path", "/", "p",
                                         "1", "٣", "\n", "a", "x-y"]), max_size=8).map("".join)


@settings(max_examples=3000, deadline=None)
@given(st.one_of(DEVICE_PATHS, TEXT))
def test_device_path_checks_match_the_regexes(text: str) -> None:
    suffix = PART_SUFFIX.match(text)
    assert devices.partition_number(text) == (int(suffix.group(1)) if suffix else None)
    link = BY_LINK.match(text)
    assert devices.by_link(text) == (link.groups() if link else None)


GUID = re.compile(r"(|[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})\Z")
INSTANCE = re.compile(r"(.+?)@(.+?)\.service\Z")
GUIDS = st.lists(st.sampled_from(["0123abcd", "ABCD", "-", "0", "g", "٣", "\n", "ef01234567ab", "-ABCD"]),
                 max_size=8).map("".join)
UNIT_NAMES = st.lists(st.sampled_from(["a", "@", ".service", "\n", "service", ".", "b-c", "é"]),
                      max_size=7).map("".join)


@settings(max_examples=3000, deadline=None)
@given(st.one_of(GUIDS, UNIT_NAMES, TEXT))
def test_guid_and_instance_checks_match_the_regexes(text: str) -> None:
    assert rules_common.is_guid(text) == bool(GUID.match(text))
    instance = INSTANCE.match(text)
    assert rules_systemd.instance_prefix(text) == (instance.group(1) if instance else None)


STARTUP_MODULES = ("ignite.config.dataurl", "ignite.config.versions", "ignite.cmdline", "ignite.resource.settings",
                   "ignite.resource.pipeline", "ignite.system.run", "ignite.resource.data",
                   "ignite.config.rules.common", "ignite.config.rules.ignition", "ignite.config.rules.systemd",
                   "ignite.config.jsonpos", "ignite.config.render", "ignite.stages.kargs")
REGEX_KIN = {"re", "enum", "urllib.parse", "shlex", "pathlib", "base64", "typing", "logging"}


def modules_after(code: str) -> set[str]:
    probe = f"import sys\nsys.path[:0] = [{str(REPO)!r}]\n{code}\nprint(' '.join(sys.modules))\n"
    done = subprocess.run([sys.executable, "-I", "-S", "-c", probe], capture_output=True, text=True, check=True,
                          env=dict(os.environ))
    return set(done.stdout.split())


@pytest.mark.parametrize("module", STARTUP_MODULES)
def test_startup_modules_load_no_regex_kin(module: str) -> None:
    loaded = modules_after(f"import {module}")
    # ignite.record still imports json (which loads re and enum): not this module's doing.
    allowed = modules_after("import json") if "json" in loaded else set()
    assert not (loaded - allowed) & REGEX_KIN, sorted((loaded - allowed) & REGEX_KIN)
