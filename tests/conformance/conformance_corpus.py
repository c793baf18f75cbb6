"""The conformance corpus: configs built from the rules in docs/spec/config.md and
docs/spec/legacy.md, each with the verdict the spec gives and the rule it tests.

Cases of 3.0.0-3.3.0, and of 3.4.0 (spelled `3.4.0-experimental` for Debian's 2.14), are
also judged by `ignition-validate`; the rest (3.5.0, 3.6.0, 3.7.0-experimental, legacy,
versions 2.14 does not share with HEAD) are asserted against the verdict written here.
`python tests/conformance/conformance_corpus.py` prints a summary.
"""
from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

V30, V31, V32, V33, V34, V35, V36, V37X = (
    "3.0.0", "3.1.0", "3.2.0", "3.3.0", "3.4.0", "3.5.0", "3.6.0", "3.7.0-experimental")
VERSIONS = (V30, V31, V32, V33, V34, V35, V36, V37X)
ORACLE_VERSIONS = (V30, V31, V32, V33, V34)  # 2.14 knows 3.4.0 as 3.4.0-experimental
LEGACY = "legacy"

H512 = "sha512-" + "cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce47d0d13c5d85f2b0ff8318d2877eec2f63b931bd47417a81a538327af927da3e"
H256 = "sha256-" + "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"


@dataclass(frozen=True)
class Case:
    name: str
    version: str          # the spec version the case is written for, or LEGACY / "raw"
    data: bytes           # what ignite validates
    valid: bool           # the spec's verdict (HEAD semantics)
    rule: str             # the rule the case tests, in words (the section comments name docs/spec/)
    oracle_data: bytes | None = None  # what ignition-validate 2.14 gets; None: 2.14 cannot judge
    differs: str = ""     # why ignite (HEAD) deliberately differs from 2.14 on this case

    @property
    def key(self) -> str:
        return hashlib.sha256(self.oracle_data if self.oracle_data is not None else self.data).hexdigest()


def idx(v: str) -> int:
    return VERSIONS.index(v)


def since(first: str) -> Callable[[str], bool]:
    return lambda v: idx(v) >= idx(first)


def before(first: str) -> Callable[[str], bool]:
    return lambda v: idx(v) < idx(first)


def _dump(obj: Any) -> bytes:
    return json.dumps(obj, indent=1, sort_keys=False).encode()


class Builder:
    def __init__(self) -> None:
        self.cases: list[Case] = []
        self._names: set[str] = set()

    def _add(self, case: Case) -> None:
        assert case.name not in self._names, case.name
        self._names.add(case.name)
        self.cases.append(case)

    def rule(self, name: str, rule: str, body: dict[str, Any], valid: bool | Callable[[str], bool],
             versions: tuple[str, ...] = VERSIONS, differs: dict[str, str] | None = None) -> None:
        """One case per version: `body` is the config without `ignition.version`."""
        for v in versions:
            cfg = {"ignition": {"version": v}}
            for k, val in body.items():
                if k == "ignition":
                    cfg["ignition"] = {"version": v, **val}
                else:
                    cfg[k] = val
            verdict = valid(v) if callable(valid) else valid
            oracle = None
            if v in ORACLE_VERSIONS:
                ocfg = json.loads(json.dumps(cfg))
                ocfg["ignition"]["version"] = "3.4.0-experimental" if v == V34 else v
                oracle = _dump(ocfg)
            why = (differs or {}).get(v, (differs or {}).get("*", ""))
            self._add(Case(f"{name}@{v}", v, _dump(cfg), verdict, rule, oracle, why))

    def raw(self, name: str, rule: str, data: bytes, valid: bool, oracle: bool | bytes = True,
            version: str = "raw", differs: str = "") -> None:
        """`oracle`: False if 2.14 cannot judge, other bytes to give it, True for the same bytes."""
        oracle_data = data if oracle is True else (oracle or None)
        self._add(Case(name, version, data, valid, rule, oracle_data, differs))

    def legacy(self, name: str, rule: str, cfg: dict[str, Any], valid: bool) -> None:
        # 2.14 (like upstream 3.x) rejects every legacy version: ignite accepts them on purpose.
        self._add(Case(name, LEGACY, _dump(cfg), valid, rule))


def f(path: str = "/etc/x", **kw: Any) -> dict[str, Any]:
    return {"path": path, **kw}


def build() -> list[Case]:
    b = Builder()
    _parsing(b)
    _ignition(b)
    _resources(b)
    _nodes(b)
    _disks(b)
    _raid(b)
    _filesystems(b)
    _luks(b)
    _systemd(b)
    _passwd(b)
    _kargs(b)
    _legacy(b)
    return b.cases


# --- parsing, versions, JSON quirks (docs/spec/config.md#versions, #validation) -----------------------------

def _parsing(b: Builder) -> None:
    b.rule("minimal", "a config with only ignition.version is valid", {}, True)
    b.rule("unused-key-top", "unknown keys are warnings", {"bogus": 1}, True)
    b.rule("unused-key-nested", "unknown keys are warnings", {"storage": {"files": [f(bogus=True)]}}, True)
    b.rule("key-case-insensitive", "keys match case-insensitively (plus an unused-key warning)",
           {"storage": {"Files": [{"Path": "/etc/x", "MODE": 420}]}}, True)
    b.rule("key-case-insensitive-bad-value", "a case-folded key is still validated",
           {"storage": {"files": [{"PATH": "relative"}]}}, False)
    b.rule("null-is-absent", "null is the same as absent",
           {"storage": {"files": [f(mode=None, contents=None, overwrite=None)]}, "systemd": None}, True)
    b.rule("null-value-field", "null on a value field keeps the zero value",
           {"storage": {"disks": [{"device": "/dev/sda", "partitions": [{"number": None, "label": "x"}]}]}}, True)
    b.rule("int-as-float", "420.0 is not an integer", {"storage": {"files": [f(mode=420.0)]}}, False)
    b.rule("int-as-string", "\"420\" is a type error", {"storage": {"files": [f(mode="420")]}}, False)
    b.rule("bool-as-string", "wrong JSON type", {"storage": {"files": [f(overwrite="true")]}}, False)
    b.rule("list-as-object", "wrong JSON type", {"storage": {"files": {"path": "/x"}}}, False)
    b.rule("object-as-list", "wrong JSON type", {"storage": []}, False)
    b.rule("string-as-number", "wrong JSON type", {"passwd": {"users": [{"name": 7}]}}, False)
    b.rule("int64-max", "integers fit a signed 64-bit int", {"passwd": {"users": [{"name": "a", "uid": 2**63 - 1}]}}, True)
    b.rule("int64-overflow", "integers beyond int64 are a type error",
           {"passwd": {"users": [{"name": "a", "uid": 2**63}]}}, False)

    for v in ORACLE_VERSIONS:
        spelled = "3.4.0-experimental" if v == V34 else v
        for name, text, valid, rule in [
            ("exp-int", '{"ignition":{"version":"%s"},"storage":{"files":[{"path":"/a","mode":1e3}]}}', False,
             "1e3 is not an integer"),
            ("dup-key-last-wins", '{"ignition":{"version":"0.0.1","version":"%s"}}', True,
             "duplicate JSON keys: the last one wins"),
            ("dup-key-last-wins-bad", '{"ignition":{"version":"%s"},"storage":{"files":[{"path":"/a","path":"b"}]}}', False,
             "duplicate JSON keys: the last one (invalid) wins"),
            ("trailing-comma", '{"ignition":{"version":"%s"},}', False, "JSON syntax error"),
            ("trailing-garbage", '{"ignition":{"version":"%s"}} x', False, "JSON syntax error"),
            ("single-quotes", "{'ignition':{'version':'%s'}}", False, "JSON syntax error"),
            ("whitespace-around", '\n\t {"ignition":{"version":"%s"}}\n\n', True, "surrounding whitespace is fine"),
            ("comment", '{"ignition":{"version":"%s"}} // c', False, "JSON has no comments"),
            ("unicode-escape", '{"ignition":{"version":"%s"},"storage":{"files":[{"path":"/caf\\u00e9"}]}}', True,
             "JSON string escapes"),
            ("nan", '{"ignition":{"version":"%s"},"storage":{"files":[{"path":"/a","mode":NaN}]}}', False,
             "NaN is not JSON"),
        ]:
            b.raw(f"{name}@{v}", rule, (text % v).encode(), valid, oracle=(text % spelled).encode(), version=v)

    raw = [
        ("empty", b"", False, "empty input: not a config (empty)"),
        ("whitespace-only", b"  \n", False, "whitespace-only input fails JSON parsing"),
        ("not-json", b"hello", False, "JSON syntax error"),
        ("json-array", b"[]", False, "the top level must be an object"),
        ("json-string", b'"3.0.0"', False, "the top level must be an object"),
        ("json-null", b"null", False, "null has no version"),
        ("empty-object", b"{}", False, "missing version: couldn't parse"),
        ("no-version", b'{"ignition":{}}', False, "missing version"),
        ("version-empty", b'{"ignition":{"version":""}}', False, "version \"\" is not semver"),
        ("version-short", b'{"ignition":{"version":"3.0"}}', False, "version 3.0 is not semver"),
        ("version-number", b'{"ignition":{"version":3}}', False, "version of the wrong type"),
        ("version-4", b'{"ignition":{"version":"4.0.0"}}', False, "unsupported version 4.0.0"),
        ("version-3.0.1", b'{"ignition":{"version":"3.0.1"}}', False, "exact equality: 3.0.1 is unsupported"),
        ("version-build-meta", b'{"ignition":{"version":"3.0.0+meta"}}', False, "build metadata is not ignored"),
        ("version-3.0.0-experimental", b'{"ignition":{"version":"3.0.0-experimental"}}', False,
         "pre-release of a released version is unsupported"),
        ("version-3.8-exp", b'{"ignition":{"version":"3.8.0-experimental"}}', False, "unknown experimental version"),
        ("version-v-prefix", b'{"ignition":{"version":"v3.0.0"}}', False, "v-prefixed version is not semver"),
        ("ignition-as-string", b'{"ignition":"3.0.0"}', False, "ignition must be an object"),
        ("bom", b'\xef\xbb\xbf{"ignition":{"version":"3.0.0"}}', False, "a UTF-8 BOM is a JSON syntax error in Go"),
        ("deep-nesting", b'{"ignition":{"version":"3.0.0"},"x":' + b"[" * 100 + b"]" * 100 + b"}", True,
         "deeply nested unknown key is only a warning"),
        ("unterminated", b'{"ignition":{"version":"3.0.0"}', False, "unexpected end of JSON input"),
        ("nul-byte", b'{"ignition":{"version":"3.0.0"}}\x00', False, "JSON syntax error"),
    ]
    for name, data, valid, rule in raw:
        b.raw(name, rule, data, valid)
    b.raw("invalid-utf8-in-string", "Go replaces invalid UTF-8 in strings (U+FFFD), no error",
          b'{"ignition":{"version":"3.0.0"},"storage":{"files":[{"path":"/a\xff"}]}}', True)
    b.raw("version-3.6.0-experimental", "3.6.0-experimental is unsupported",
          b'{"ignition":{"version":"3.6.0-experimental"}}', False)
    b.raw("version-3.4.0-experimental", "HEAD accepts only 3.4.0, not 3.4.0-experimental",
          b'{"ignition":{"version":"3.4.0-experimental"}}', False,
          differs="2.14 had 3.4.0 as experimental; HEAD only knows the released 3.4.0")
    for v in (V34, V35, V36, V37X):
        b.raw(f"raw-minimal@{v}", "accepted versions", _dump({"ignition": {"version": v}}), True, oracle=False, version=v)
    b.raw("version-2.x-is-legacy", "docs/spec/legacy.md: ignite accepts legacy versions (an intentional extension)",
          b'{"ignition":{"version":"2.2.0"}}', True, differs="2.14 (like upstream 3.x) rejects 2.x configs")
    b.raw("version-1-is-legacy", "docs/spec/legacy.md: ignitionVersion 1 is accepted by ignite",
          b'{"ignitionVersion":1}', True, differs="2.14 (like upstream 3.x) rejects v1 configs")


# --- the ignition section: config references, timeouts, proxy, CAs (docs/spec/config.md#versions, #resources, #duplicates) ---

def _ignition(b: Builder) -> None:
    b.rule("merge-ok", "merge entries with a source", {"ignition": {"config": {"merge": [{"source": "https://e.com/a.ign"}]}}}, True)
    b.rule("merge-no-source", "merge[].source absent: 3.0 passes, 3.1+ source is required",
           {"ignition": {"config": {"merge": [{}]}}}, before(V31))
    b.rule("merge-empty-source", "merge[].source \"\": 3.0 passes, 3.1+ source is required",
           {"ignition": {"config": {"merge": [{"source": ""}]}}}, before(V31))
    b.rule("merge-bad-scheme", "invalid url scheme", {"ignition": {"config": {"merge": [{"source": "ftp://e.com/a"}]}}}, False)
    b.rule("merge-dup", "merge keyed by source", {"ignition": {"config": {"merge": [{"source": "http://a/x"}, {"source": "http://a/x"}]}}}, False)
    b.rule("merge-hash", "sha512 verification on a merge", {"ignition": {"config": {"merge": [{"source": "http://a/x", "verification": {"hash": H512}}]}}}, True)
    b.rule("replace-empty-source", "replace.source \"\" passes validation", {"ignition": {"config": {"replace": {"source": ""}}}}, True)
    b.rule("replace-hash-no-source", "verification requires a source (3.0's config references did not check it)",
           {"ignition": {"config": {"replace": {"verification": {"hash": H512}}}}}, before(V31))
    b.rule("replace-data", "data URLs", {"ignition": {"config": {"replace": {"source": "data:,%7B%7D"}}}}, True)
    b.rule("replace-compression", "compression on config references from 3.1",
           {"ignition": {"config": {"replace": {"source": "http://a/x", "compression": "gzip"}}}}, True)
    b.rule("replace-compression-bad", "invalid compression (3.0: an unused key)",
           {"ignition": {"config": {"replace": {"source": "http://a/x", "compression": "xz"}}}}, before(V31))
    b.rule("timeouts-negative", "timeouts are not validated",
           {"ignition": {"timeouts": {"httpResponseHeaders": -1, "httpTotal": 0}}}, True)
    b.rule("timeouts-float", "timeouts are integers", {"ignition": {"timeouts": {"httpTotal": 1.5}}}, False)
    b.rule("proxy-ok", "proxy (3.0: unused key)",
           {"ignition": {"proxy": {"httpProxy": "http://p:3128", "httpsProxy": "https://p:3129", "noProxy": ["a.com", ".b.com"]}}}, True)
    b.rule("proxy-bad-scheme", "proxies must be http(s) (3.0: unused key)",
           {"ignition": {"proxy": {"httpProxy": "socks5://p"}}}, before(V31))
    b.rule("proxy-unparseable", "unable to parse url (3.0: unused key)",
           {"ignition": {"proxy": {"httpProxy": "http://[::1"}}}, before(V31))
    b.rule("proxy-no-scheme", "proxies must be http(s): a bare host has no scheme (3.0: unused key)",
           {"ignition": {"proxy": {"httpsProxy": "proxy.example.com:3128"}}}, before(V31))
    b.rule("proxy-https-plain", "plaintext https proxy is only a warning",
           {"ignition": {"proxy": {"httpsProxy": "http://p"}}}, True)
    b.rule("proxy-noproxy-dup", "noProxy keyed by value (3.0: unused key)",
           {"ignition": {"proxy": {"noProxy": ["a", "a"]}}}, before(V31))
    b.rule("ca-ok", "certificate authorities",
           {"ignition": {"security": {"tls": {"certificateAuthorities": [{"source": "https://e.com/ca.pem", "verification": {"hash": H512}}]}}}}, True)
    b.rule("ca-empty-source", "CA source \"\": 3.0 invalid url scheme, 3.1+ source is required",
           {"ignition": {"security": {"tls": {"certificateAuthorities": [{"source": ""}]}}}}, False)
    b.rule("ca-dup", "CAs keyed by source",
           {"ignition": {"security": {"tls": {"certificateAuthorities": [{"source": "data:,a"}, {"source": "data:,a"}]}}}}, False)


# --- resources: sources per version, compression, hashes, headers (docs/spec/config.md#resources, #duplicates) --------

def _file_with(contents: dict[str, Any]) -> dict[str, Any]:
    return {"storage": {"files": [f("/etc/r", contents=contents)]}}


def _resources(b: Builder) -> None:
    for scheme, url, ok in [
        ("http", "http://e.com/x", True), ("https", "https://e.com/x", True), ("tftp", "tftp://e.com/x", True),
        ("s3", "s3://bucket/key", True), ("data", "data:,hello", True), ("data-b64", "data:;base64,aGk=", True),
        ("gs", "gs://bucket/obj", since(V32)), ("arn", "arn:aws:s3:::bucket/key", since(V34)),
        ("ftp", "ftp://e.com/x", False), ("file", "file:///etc/x", False), ("no-scheme", "/etc/x", False),
        ("oem", "oem:///x", False), ("bad-url", "http://[::1", False), ("s3-empty-version", "s3://b/k?versionId=", False),
        ("s3-version", "s3://b/k?versionId=abc", True), ("data-bad-b64", "data:;base64,!!!", False),
        ("arn-not-s3", "arn:aws:iam::123456789012:user/x", False),
        ("arn-no-key", "arn:aws:s3:::bucket", False),
    ]:
        b.rule(f"scheme-{scheme}", f"source scheme {scheme}", _file_with({"source": url}), ok)
    b.rule("source-empty", "source \"\" is allowed for file contents", _file_with({"source": ""}), True)
    b.rule("compression-gzip", "gzip compression", _file_with({"source": "http://e.com/x.gz", "compression": "gzip"}), True)
    b.rule("compression-empty", "\"\" compression is none", _file_with({"source": "http://e.com/x", "compression": ""}), True)
    b.rule("compression-bad", "invalid compression method", _file_with({"source": "http://e.com/x", "compression": "bzip2"}), False)
    b.rule("hash-sha512", "sha512", _file_with({"source": "http://e.com/x", "verification": {"hash": H512}}), True)
    b.rule("hash-sha512-upper", "hex characters are not checked", _file_with({"source": "http://e.com/x", "verification": {"hash": H512.upper().replace("SHA512", "sha512")}}), True)
    b.rule("hash-sha256", "sha256 from 3.1", _file_with({"source": "http://e.com/x", "verification": {"hash": H256}}), since(V31))
    b.rule("hash-md5", "unrecognized hash function", _file_with({"source": "http://e.com/x", "verification": {"hash": "md5-d41d8cd98f00b204e9800998ecf8427e"}}), False)
    b.rule("hash-no-dash", "malformed hash specifier", _file_with({"source": "http://e.com/x", "verification": {"hash": "sha512"}}), False)
    b.rule("hash-short", "incorrect size for hash sum", _file_with({"source": "http://e.com/x", "verification": {"hash": "sha512-abcd"}}), False)
    b.rule("hash-nonhex-right-size", "characters are not checked, only the length", _file_with({"source": "http://e.com/x", "verification": {"hash": "sha512-" + "z" * 128}}), True)
    b.rule("hash-no-source", "source must be specified if verification is specified", _file_with({"verification": {"hash": H512}}), False)
    b.rule("hash-empty-source", "source \"\" is specified: the hash is allowed", _file_with({"source": "", "verification": {"hash": H512}}), True)
    b.rule("headers-ok", "httpHeaders (3.0: unused key)", _file_with({"source": "https://e.com/x", "httpHeaders": [{"name": "Authorization", "value": "Bearer t"}]}), True)
    b.rule("headers-data-scheme", "cannot use HTTP headers with this source scheme (3.0: unused key)",
           _file_with({"source": "data:,x", "httpHeaders": [{"name": "A", "value": "b"}]}), before(V31))
    b.rule("headers-no-source", "headers need a parseable source (3.0: unused key)",
           _file_with({"httpHeaders": [{"name": "A", "value": "b"}]}), before(V31))
    b.rule("headers-empty-name", "HTTP header name can't be empty (3.0: unused key)",
           _file_with({"source": "http://e.com/x", "httpHeaders": [{"name": "", "value": "b"}]}), before(V31))
    b.rule("headers-empty-value", "header value, if present, non-empty (3.0: unused key)",
           _file_with({"source": "http://e.com/x", "httpHeaders": [{"name": "A", "value": ""}]}), before(V31))
    b.rule("headers-no-value", "header value is optional at validation",
           _file_with({"source": "http://e.com/x", "httpHeaders": [{"name": "A"}]}), True)
    b.rule("headers-dup", "headers keyed by exact name (3.0: unused key)",
           _file_with({"source": "http://e.com/x", "httpHeaders": [{"name": "A", "value": "1"}, {"name": "A", "value": "2"}]}), before(V31))
    b.rule("headers-case-distinct", "header names are case-sensitive keys",
           _file_with({"source": "http://e.com/x", "httpHeaders": [{"name": "A", "value": "1"}, {"name": "a", "value": "2"}]}), True)
    b.rule("append-ok", "append fragments, duplicates allowed",
           {"storage": {"files": [f(append=[{"source": "data:,a"}, {"source": "data:,a"}])]}}, True)
    b.rule("append-bad-hash", "append resources are validated",
           {"storage": {"files": [f(append=[{"source": "data:,a", "verification": {"hash": "sha1-00"}}])]}}, False)


# --- nodes: files, directories, links (docs/spec/config.md#validation, #duplicates) -----------------------------------

def _nodes(b: Builder) -> None:
    for kind in ("files", "directories", "links"):
        extra = {"target": "/t"} if kind == "links" else {}
        k = kind[:-1] if kind != "directories" else "directory"
        b.rule(f"{k}-ok", f"a plain {k}", {"storage": {kind: [f("/var/x", **extra)]}}, True)
        b.rule(f"{k}-relative", "path not absolute", {"storage": {kind: [f("var/x", **extra)]}}, False)
        b.rule(f"{k}-empty-path", "path not specified", {"storage": {kind: [f("", **extra)]}}, False)
        b.rule(f"{k}-unclean", "path is not fully simplified", {"storage": {kind: [f("/var/../x", **extra)]}}, False)
        b.rule(f"{k}-trailing-slash", "path is not fully simplified", {"storage": {kind: [f("/var/x/", **extra)]}}, False)
        b.rule(f"{k}-dup", "nodes keyed by path", {"storage": {kind: [f("/x", **extra), f("/x", **extra)]}}, False)
        b.rule(f"{k}-owner-both", "cannot set both id and name", {"storage": {kind: [f("/x", user={"id": 0, "name": "root"}, **extra)]}}, False)
        b.rule(f"{k}-owner-id-and-empty-name", "id with an empty name is fine", {"storage": {kind: [f("/x", group={"id": 0, "name": ""}, **extra)]}}, True)
        b.rule(f"{k}-under-link", f"{k} path includes link in config",
               {"storage": {"links": [f("/l", target="/t")], **({kind: [f("/l/a", **extra)]} if kind != "links" else {})}}
               if kind != "links" else {"storage": {"links": [f("/l", target="/t"), f("/l/a", target="/u")]}}, False)
    b.rule("node-shared-namespace-file-dir", "a file and a directory share a key", {"storage": {"files": [f("/x")], "directories": [f("/x")]}}, False)
    b.rule("node-shared-namespace-dir-link", "a directory and a link share a key", {"storage": {"directories": [f("/x")], "links": [f("/x", target="/t")]}}, False)
    b.rule("node-prefix-not-under-link", "/l2 is not under the link /l", {"storage": {"links": [f("/l", target="/t")], "files": [f("/l2")]}}, True)
    b.rule("mode-ok", "mode 0644", {"storage": {"files": [f(mode=0o644)]}}, True)
    b.rule("mode-max", "mode 07777 is in range", {"storage": {"files": [f(mode=0o7777)]}}, True)
    b.rule("mode-too-big", "illegal file mode", {"storage": {"files": [f(mode=0o10000)]}}, False)
    b.rule("mode-negative", "illegal file mode", {"storage": {"directories": [f(mode=-1)]}}, False)
    b.rule("mode-setuid", "special bits: a warning before 3.6, honoured after", {"storage": {"files": [f(mode=0o4755)]}}, True)
    b.rule("overwrite-no-source", "overwrite must be false if source is unspecified", {"storage": {"files": [f(overwrite=True)]}}, False)
    b.rule("overwrite-empty-source", "source \"\" is specified", {"storage": {"files": [f(overwrite=True, contents={"source": ""})]}}, True)
    b.rule("overwrite-dir", "directories may overwrite", {"storage": {"directories": [f(overwrite=True)]}}, True)
    b.rule("link-no-target", "link target is required from 3.3 (a plain string before)", {"storage": {"links": [f("/l")]}}, before(V33))
    b.rule("link-relative-target", "a relative symlink target is stored verbatim", {"storage": {"links": [f("/l", target="../x")]}}, True)
    b.rule("hardlink-to-dir", "hard link target is a directory",
           {"storage": {"directories": [f("/d")], "links": [f("/l", target="/d", hard=True)]}}, False)
    b.rule("hardlink-to-file", "hard link to a file is fine",
           {"storage": {"files": [f("/d")], "links": [f("/l", target="/d", hard=True)]}}, True)
    b.rule("hardlink-owner", "user/group ignored for hard link is only a warning",
           {"storage": {"files": [f("/d")], "links": [f("/l", target="/d", hard=True, user={"id": 1})]}}, True)
    b.rule("file-unit-conflict", "path conflicts with systemd unit or dropin",
           {"storage": {"files": [f("/etc/systemd/system/a.service")]},
            "systemd": {"units": [{"name": "a.service", "contents": "[Service]\nExecStart=/bin/true\n"}]}},
           False, differs={"*": "2.14 predates the node/unit path-conflict check that HEAD has"})
    b.rule("hardlink-relative-to-dir", "a relative hard link target is joined to the link path itself",
           {"storage": {"directories": [f("/l/d")], "links": [f("/l", target="d", hard=True)]}}, False)
    b.rule("hardlink-relative-not-dir", "joined to the link path, not its parent: /d is not /l/d",
           {"storage": {"directories": [f("/d")], "links": [f("/l", target="d", hard=True)]}}, True)
    b.rule("symlink-to-dir", "a symlink may point at a configured directory",
           {"storage": {"directories": [f("/d")], "links": [f("/l", target="/d")]}}, True)
    b.rule("dropin-path-conflict", "path conflicts with a dropin that has contents",
           {"storage": {"files": [f("/etc/systemd/system/a.service.d/x.conf")]},
            "systemd": {"units": [{"name": "a.service", "dropins": [{"name": "x.conf", "contents": "[Service]\n"}]}]}},
           False, differs={"*": "2.14 predates the node/unit path-conflict check that HEAD has"})
    b.rule("file-unit-no-contents", "a unit without contents does not conflict",
           {"storage": {"files": [f("/etc/systemd/system/a.service")]}, "systemd": {"units": [{"name": "a.service", "enabled": True}]}}, True)


# --- disks and partitions (docs/spec/config.md#validation, #duplicates) -----------------------------------------------

def _disk(*parts: dict[str, Any], **kw: Any) -> dict[str, Any]:
    return {"storage": {"disks": [{"device": "/dev/vdb", "partitions": list(parts), **kw}]}}


def _disks(b: Builder) -> None:
    b.rule("disk-ok", "disk with partitions",
           _disk({"number": 1, "label": "boot", "sizeMiB": 512, "typeGuid": "C12A7328-F81F-11D2-BA4B-00A0C93EC93B"},
                 {"label": "root", "sizeMiB": 0}, wipeTable=True), True)
    b.rule("disk-no-device", "disk device is required", {"storage": {"disks": [{"wipeTable": True}]}}, False)
    b.rule("disk-relative", "path not absolute", {"storage": {"disks": [{"device": "dev/vdb"}]}}, False)
    b.rule("disk-dup", "disks keyed by device", {"storage": {"disks": [{"device": "/dev/vdb"}, {"device": "/dev/vdb"}]}}, False)
    b.rule("part-number-collide", "partition numbers collide", _disk({"number": 1}, {"number": 1, "label": "b"}), False)
    b.rule("part-overlap", "partitions overlap", _disk({"number": 1, "startMiB": 1, "sizeMiB": 100}, {"number": 2, "startMiB": 50, "sizeMiB": 10}), False)
    b.rule("part-adjacent", "adjacent partitions do not overlap", _disk({"number": 1, "startMiB": 1, "sizeMiB": 100}, {"number": 2, "startMiB": 101, "sizeMiB": 10}), True)
    b.rule("part-start-zero-no-overlap", "start 0 is not checked for overlap", _disk({"number": 1, "startMiB": 0, "sizeMiB": 100}, {"number": 2, "startMiB": 0, "sizeMiB": 10}), True)
    b.rule("part-label-dup", "cannot use the same partition label twice", _disk({"number": 1, "label": "x"}, {"number": 2, "label": "x"}), False)
    b.rule("part-label-36", "a 36-byte label is fine", _disk({"label": "a" * 36}), True)
    b.rule("part-label-37", "partition labels may not exceed 36 characters", _disk({"label": "a" * 37}), False)
    b.rule("part-label-colon", "partition label will be truncated to text before the colon", _disk({"label": "a:b"}), False)
    b.rule("part-no-number-no-label", "a partition number >= 1 or a label must be specified", _disk({"sizeMiB": 10}), False)
    b.rule("part-shouldexist-false", "shouldExist false on a number", _disk({"number": 3, "shouldExist": False}), True)
    b.rule("part-shouldexist-false-label", "shouldExist specified false with other options also specified", _disk({"number": 3, "shouldExist": False, "label": "x"}), False)
    b.rule("part-shouldexist-false-size", "shouldExist false with sizeMiB", _disk({"number": 3, "shouldExist": False, "sizeMiB": 1}), False)
    b.rule("part-guid-bad", "GUID format", _disk({"number": 1, "guid": "not-a-guid"}), False)
    b.rule("part-guid-lower", "GUID hex is case-insensitive", _disk({"number": 1, "guid": "0fc63daf-8483-4772-8e79-3d69d8477de4"}), True)
    b.rule("part-typeguid-empty", "\"\" GUID is allowed", _disk({"number": 1, "typeGuid": ""}), True)
    b.rule("part-typeguid-braces", "GUID regex has no braces", _disk({"number": 1, "typeGuid": "{0FC63DAF-8483-4772-8E79-3D69D8477DE4}"}), False)
    b.rule("part-resize", "resize from 3.2 (earlier: unused key)", _disk({"number": 1, "resize": True}), True)
    b.rule("part-negative-size", "negative sizes are not rejected by validation", _disk({"number": 1, "sizeMiB": -5}), True)
    b.rule("part-overlap-size-zero", "size 0 counts as a 1-MiB range at its start",
           _disk({"number": 1, "startMiB": 10, "sizeMiB": 0}, {"number": 2, "startMiB": 10, "sizeMiB": 5}), False)
    b.rule("part-overlap-unset-size", "overlap needs both start and size set",
           _disk({"number": 1, "startMiB": 10}, {"number": 2, "startMiB": 10, "sizeMiB": 5}), True)
    b.rule("part-label-and-number-dup-label", "labels collide even with distinct numbers",
           _disk({"number": 1, "label": "x"}, {"label": "x"}), False)
    b.rule("disk-wipe-table-fs-warning", "a filesystem on a wiped, unpartitioned disk is only a warning",
           {"storage": {"disks": [{"device": "/dev/vdb", "wipeTable": True}], "filesystems": [{"device": "/dev/vdb", "format": "xfs"}]}}, True)
    b.rule("part-two-unnumbered", "two unnumbered unlabeled partitions collide on key \"\" (and lack number/label)",
           _disk({"sizeMiB": 1}, {"sizeMiB": 2}), False)


# --- RAID (docs/spec/config.md#validation, #duplicates) ---------------------------------------------------------------

def _raid(b: Builder) -> None:
    def raid(**kw: Any) -> dict[str, Any]:
        return {"storage": {"raid": [{"name": "md0", **kw}]}}

    b.rule("raid-ok", "raid1", raid(level="raid1", devices=["/dev/vdb", "/dev/vdc"]), True)
    for level in ("linear", "raid0", "0", "stripe", "1", "mirror", "raid4", "5", "raid6", "raid10"):
        b.rule(f"raid-level-{level}", "known raid levels", raid(level=level, devices=["/dev/vdb"]), True,
               versions=(V30, V33, V36))
    b.rule("raid-level-unknown", "unrecognized raid level", raid(level="raid7", devices=["/dev/vdb"]), False)
    b.rule("raid-level-missing", "level required (3.0-3.2: \"\" is unrecognized)", raid(devices=["/dev/vdb"]), False)
    b.rule("raid-no-devices", "raid devices required", raid(level="raid1"), False)
    b.rule("raid-device-relative", "path not absolute", raid(level="raid1", devices=["vdb"]), False)
    b.rule("raid-device-dup", "raid devices keyed by value", raid(level="raid1", devices=["/dev/vdb", "/dev/vdb"]), False)
    b.rule("raid-spares-raid0", "spares unsupported for linear and raid0 arrays", raid(level="raid0", devices=["/dev/vdb"], spares=1), False)
    b.rule("raid-spares-raid5", "spares with raid5", raid(level="raid5", devices=["/dev/vdb", "/dev/vdc", "/dev/vdd"], spares=1), True)
    b.rule("raid-options-dup", "raid options allow duplicates", raid(level="raid1", devices=["/dev/vdb"], options=["--x", "--x"]), True)
    b.rule("raid-dup-name", "raid keyed by name",
           {"storage": {"raid": [{"name": "a", "level": "1", "devices": ["/dev/x"]}, {"name": "a", "level": "1", "devices": ["/dev/y"]}]}}, False)
    b.rule("raid-empty-name", "raid name is not validated", {"storage": {"raid": [{"name": "", "level": "1", "devices": ["/dev/x"]}]}}, True)


# --- filesystems (docs/spec/config.md#versions, #validation, #duplicates) ---------------------------------------------

def _fs(**kw: Any) -> dict[str, Any]:
    return {"storage": {"filesystems": [{"device": "/dev/vdb1", **kw}]}}


def _filesystems(b: Builder) -> None:
    for fmt in ("ext4", "btrfs", "xfs", "swap", "vfat"):
        b.rule(f"fs-{fmt}", "formats since 3.0", _fs(format=fmt), True, versions=(V30, V33, V36))
    b.rule("fs-none", "format none from 3.3", _fs(format="none"), since(V33))
    b.rule("fs-virtiofs", "virtiofs only in 3.7.0-experimental", {"storage": {"filesystems": [{"device": "myfs", "format": "virtiofs", "path": "/mnt"}]}}, since(V37X))
    b.rule("fs-virtiofs-label", "filesystem labels cannot be set when using virtiofs",
           {"storage": {"filesystems": [{"device": "myfs", "format": "virtiofs", "label": "x"}]}}, False, versions=(V37X,))
    b.rule("fs-virtiofs-long-tag", "virtiofs device tag cannot be longer than 36 bytes",
           {"storage": {"filesystems": [{"device": "t" * 37, "format": "virtiofs"}]}}, False, versions=(V37X,))
    b.rule("fs-virtiofs-tag-36", "a 36-byte virtiofs tag is fine",
           {"storage": {"filesystems": [{"device": "t" * 36, "format": "virtiofs"}]}}, True, versions=(V37X,))
    b.rule("fs-virtiofs-options", "no mkfs options for virtiofs",
           {"storage": {"filesystems": [{"device": "tag", "format": "virtiofs", "options": ["-x"]}]}}, False, versions=(V37X,))
    b.rule("fs-format-none-options", "format none with a path is allowed by validation (3.3+)",
           _fs(format="none", wipeFilesystem=True), since(V33))
    b.rule("fs-unknown-format", "invalid filesystem format", _fs(format="ntfs"), False)
    b.rule("fs-path", "mount path", _fs(format="ext4", path="/var", label="var", wipeFilesystem=True, options=["-m0"]), True)
    b.rule("fs-path-relative", "path absolute", _fs(format="ext4", path="var"), False)
    b.rule("fs-path-no-format", "format cannot be empty when path ... is specified", _fs(path="/var"), False)
    b.rule("fs-wipe-no-format", "format cannot be empty when wipeFilesystem", _fs(wipeFilesystem=True), False)
    b.rule("fs-options-no-format", "format cannot be empty when options", _fs(options=["-F"]), False)
    b.rule("fs-mountoptions-no-format", "mountOptions need a format from 3.1 (3.0: unused key)", _fs(mountOptions=["ro"]), before(V31))
    b.rule("fs-mountoptions", "mountOptions (3.0: unused key)", _fs(format="xfs", path="/srv", mountOptions=["noatime", "noatime"]), True)
    b.rule("fs-label-no-format", "filesystem must specify format if label is specified", _fs(label="x"), False)
    b.rule("fs-label-ext4-16", "ext4 labels up to 16 bytes", _fs(format="ext4", label="a" * 16), True)
    b.rule("fs-label-ext4-17", "ext4 labels up to 16 bytes", _fs(format="ext4", label="a" * 17), False)
    b.rule("fs-label-xfs-13", "xfs labels up to 12 bytes", _fs(format="xfs", label="a" * 13), False)
    b.rule("fs-label-vfat-12", "vfat labels up to 11 bytes", _fs(format="vfat", label="a" * 12), False)
    b.rule("fs-label-swap-15", "swap labels up to 15 bytes", _fs(format="swap", label="a" * 15), True)
    b.rule("fs-label-btrfs-256", "btrfs labels up to 256 bytes", _fs(format="btrfs", label="a" * 256), True)
    b.rule("fs-label-btrfs-257", "btrfs labels up to 256 bytes", _fs(format="btrfs", label="a" * 257), False)
    b.rule("fs-no-device", "device required", {"storage": {"filesystems": [{"format": "ext4"}]}}, False)
    b.rule("fs-dup", "filesystems keyed by device", {"storage": {"filesystems": [{"device": "/dev/a", "format": "ext4"}, {"device": "/dev/a", "format": "xfs"}]}}, False)
    b.rule("fs-on-partitioned-disk", "filesystem overwrites partitioned device is a warning",
           {"storage": {"disks": [{"device": "/dev/vdb", "partitions": [{"number": 1}]}], "filesystems": [{"device": "/dev/vdb", "format": "ext4"}]}}, True)
    b.rule("fs-uuid-not-validated", "uuid is not validated", _fs(format="ext4", uuid="not-a-uuid"), True)


# --- LUKS (docs/spec/config.md#versions, #validation, #duplicates) ----------------------------------------------------

def _luks(b: Builder) -> None:
    def luks(**kw: Any) -> dict[str, Any]:
        return {"storage": {"luks": [{"name": "data", "device": "/dev/vdb2", **kw}]}}

    old_ok = before(V32)  # luks is an unused key before 3.2: always valid there

    def from32(rule_ok: bool | Callable[[str], bool]) -> Callable[[str], bool]:
        return lambda v: old_ok(v) or (rule_ok(v) if callable(rule_ok) else rule_ok)

    b.rule("luks-ok", "luks (before 3.2: unused key)", luks(label="data", options=["--x", "--x"], wipeVolume=True), True)
    b.rule("luks-keyfile", "keyFile resource", luks(keyFile={"source": "data:,secret"}), True)
    b.rule("luks-keyfile-bad", "invalid key-file source", luks(keyFile={"source": "ftp://x"}), from32(False))
    b.rule("luks-slash", "device names cannot contain slashes", {"storage": {"luks": [{"name": "a/b", "device": "/dev/x"}]}}, from32(False))
    b.rule("luks-no-device", "disk device is required", {"storage": {"luks": [{"name": "a"}]}}, from32(False))
    b.rule("luks-device-relative", "path not absolute", luks(device="dev/x"), from32(False))
    b.rule("luks-label-47", "luks labels up to 47 bytes", luks(label="a" * 47), True)
    b.rule("luks-label-48", "luks device labels cannot be longer than 47 characters", luks(label="a" * 48), from32(False))
    b.rule("luks-dup", "luks keyed by name", {"storage": {"luks": [{"name": "a", "device": "/dev/x"}, {"name": "a", "device": "/dev/y"}]}}, from32(False))
    b.rule("luks-tpm2", "clevis tpm2", luks(clevis={"tpm2": True}), True)
    b.rule("luks-tang", "clevis tang", luks(clevis={"tang": [{"url": "http://tang", "thumbprint": "abc"}], "threshold": 1}), True)
    b.rule("luks-tang-no-thumbprint", "thumbprint is required", luks(clevis={"tang": [{"url": "http://tang"}]}), from32(False))
    b.rule("luks-tang-bad-url", "tang url must be http(s)", luks(clevis={"tang": [{"url": "tftp://tang", "thumbprint": "a"}]}), from32(False))
    b.rule("luks-tang-dup", "tang keyed by url", luks(clevis={"tang": [{"url": "http://t", "thumbprint": "a"}, {"url": "http://t", "thumbprint": "b"}]}), from32(False))
    b.rule("luks-tang-adv", "tang advertisement from 3.4 (earlier: unused key)",
           luks(clevis={"tang": [{"url": "http://t", "thumbprint": "a", "advertisement": '{"payload":"x"}'}]}), True)
    b.rule("luks-tang-adv-bad", "advertisement is not valid JSON (3.4+)",
           luks(clevis={"tang": [{"url": "http://t", "thumbprint": "a", "advertisement": "{nope"}]}), lambda v: not since(V34)(v),
           differs={V34: "2.14's 3.4.0-experimental has no tang advertisement (an unused key there)"})
    b.rule("luks-custom", "custom clevis pin", luks(clevis={"custom": {"pin": "tpm2", "config": "{}", "needsNetwork": False}}), True)
    b.rule("luks-custom-with-tpm2", "cannot use custom clevis config with tpm2, tang, or threshold",
           luks(clevis={"tpm2": True, "custom": {"pin": "tpm2", "config": "{}"}}), from32(False))
    b.rule("luks-custom-no-config", "missing required custom clevis config", luks(clevis={"custom": {"pin": "sss"}}), from32(False))
    b.rule("luks-custom-no-pin", "missing required custom clevis pin", luks(clevis={"custom": {"config": "{}"}}), from32(False))
    b.rule("luks-custom-needsnetwork-only", "needsNetwork alone needs a pin from 3.3 (3.2 quirk: fine)",
           luks(clevis={"custom": {"needsNetwork": True}}), lambda v: not since(V33)(v))
    b.rule("luks-custom-pin-any", "custom pin is restricted before 3.6", luks(clevis={"custom": {"pin": "yubikey", "config": "{}"}}),
           lambda v: old_ok(v) or since(V36)(v))
    b.rule("luks-custom-object-with-tpm2", "an empty custom object with tpm2 (3.2: custom present at all)",
           luks(clevis={"tpm2": True, "custom": {}}), lambda v: v != V32)
    b.rule("luks-tang-adv-ok", "a valid advertisement (3.4+; earlier: unused key)",
           luks(clevis={"tang": [{"url": "https://t", "thumbprint": "a", "advertisement": '{"payload": "e30", "signatures": []}'}]}), True)
    b.rule("luks-threshold-custom", "custom with a threshold", luks(clevis={"threshold": 2, "custom": {"pin": "sss", "config": "{}"}}), from32(False))
    b.rule("luks-discard", "discard and openOptions from 3.4 (earlier: unused keys)", luks(discard=True, openOptions=["--perf-no_read_workqueue"]), True)
    b.rule("luks-openoptions-dup", "openOptions duplicates are errors (3.4+)", luks(openOptions=["--a", "--a"]), lambda v: not since(V34)(v),
           differs={V34: "2.14's 3.4.0-experimental has no openOptions (an unused key there)"})
    b.rule("luks-cex", "cex from 3.5 (earlier: unused key)", luks(cex={"enabled": True}), True)
    b.rule("luks-cex-clevis", "cannot use cex with clevis (3.5+)", luks(cex={"enabled": True}, clevis={"tpm2": True}), lambda v: not since(V35)(v))
    b.rule("luks-cex-keyfile", "cannot use key file with cex (3.5+)", luks(cex={"enabled": True}, keyFile={"source": "data:,k"}), lambda v: not since(V35)(v))


# --- systemd units and drop-ins (docs/spec/config.md#validation, #duplicates) -----------------------------------------

UNIT = "[Unit]\nDescription=x\n\n[Service]\nExecStart=/bin/true\n\n[Install]\nWantedBy=multi-user.target\n"


def _systemd(b: Builder) -> None:
    def units(*u: dict[str, Any]) -> dict[str, Any]:
        return {"systemd": {"units": list(u)}}

    b.rule("unit-ok", "a unit", units({"name": "a.service", "enabled": True, "contents": UNIT}), True)
    for ext in ("socket", "timer", "mount", "target", "path", "slice", "scope", "swap", "automount", "device", "snapshot"):
        b.rule(f"unit-ext-{ext}", "allowed unit extensions", units({"name": f"a.{ext}", "mask": True}), True, versions=(V30, V36))
    b.rule("unit-ext-bad", "invalid systemd unit extension", units({"name": "a.conf", "mask": True}), False)
    b.rule("unit-ext-none", "invalid systemd unit extension", units({"name": "a", "enabled": False}), False)
    b.rule("unit-dup", "units keyed by name", units({"name": "a.service"}, {"name": "a.service", "mask": True}), False)
    b.rule("unit-bad-contents", "invalid unit content", units({"name": "a.service", "contents": "[Service\nExecStart=/bin/true\n"}), False)
    b.rule("unit-no-install", "enabled without [Install] is a warning", units({"name": "a.service", "enabled": True, "contents": "[Service]\nExecStart=/bin/true\n"}), True)
    b.rule("unit-continuation", "unit syntax: backslash continuation", units({"name": "a.service", "contents": "[Service]\nExecStart=/bin/echo \\\n  hi\n"}), True)
    b.rule("unit-comment", "unit syntax: comments", units({"name": "a.service", "contents": "# hi\n; ho\n[Service]\nType=oneshot\n"}), True)
    b.rule("unit-template-instance", "template without install for an enabled instance is a warning",
           units({"name": "a@.service", "contents": "[Service]\nExecStart=/bin/true\n"}, {"name": "a@b.service", "enabled": True}), True)
    b.rule("dropin-ok", "dropins", units({"name": "a.service", "dropins": [{"name": "10-x.conf", "contents": "[Service]\nEnvironment=A=1\n"}]}), True)
    b.rule("dropin-bad-ext", "invalid systemd drop-in extension", units({"name": "a.service", "dropins": [{"name": "10-x.service", "contents": ""}]}), False)
    b.rule("dropin-bad-contents", "dropin contents must parse", units({"name": "a.service", "dropins": [{"name": "x.conf", "contents": "[Service"}]}), False)
    b.rule("dropin-dup", "dropins keyed by name", units({"name": "a.service", "dropins": [{"name": "x.conf"}, {"name": "x.conf"}]}), False)
    b.rule("dropin-empty-contents", "an empty dropin is fine", units({"name": "a.service", "dropins": [{"name": "x.conf", "contents": ""}]}), True)


# --- passwd (docs/spec/config.md#duplicates) --------------------------------------------------------------------------

def _passwd(b: Builder) -> None:
    user = {"name": "core", "passwordHash": "$6$x$y", "sshAuthorizedKeys": ["ssh-ed25519 AAAA a@b"], "uid": 1000,
            "gecos": "Core", "homeDir": "/home/core", "noCreateHome": False, "primaryGroup": "core",
            "groups": ["wheel", "sudo"], "noUserGroup": False, "noLogInit": True, "shell": "/bin/bash", "system": False}
    b.rule("user-full", "every user field", {"passwd": {"users": [user]}}, True)
    b.rule("user-dup", "users keyed by name", {"passwd": {"users": [{"name": "a"}, {"name": "a"}]}}, False)
    b.rule("user-key-dup", "sshAuthorizedKeys keyed by value", {"passwd": {"users": [{"name": "a", "sshAuthorizedKeys": ["k", "k"]}]}}, False)
    b.rule("user-group-dup", "user groups keyed by value", {"passwd": {"users": [{"name": "a", "groups": ["g", "g"]}]}}, False)
    b.rule("user-shouldexist", "shouldExist from 3.2 (earlier: unused key)", {"passwd": {"users": [{"name": "a", "shouldExist": False}]}}, True)
    b.rule("user-empty-name", "user names are only keyed, not validated", {"passwd": {"users": [{"name": ""}]}}, True)
    b.rule("group-ok", "groups", {"passwd": {"groups": [{"name": "g", "gid": 500, "system": True, "passwordHash": "*"}]}}, True)
    b.rule("group-dup", "groups keyed by name", {"passwd": {"groups": [{"name": "g"}, {"name": "g"}]}}, False)
    b.rule("group-gid-string", "gid is an integer", {"passwd": {"groups": [{"name": "g", "gid": "500"}]}}, False)


# --- kernel arguments (docs/spec/config.md#versions, #duplicates) -----------------------------------------------------

def _kargs(b: Builder) -> None:
    b.rule("kargs-ok", "kernelArguments (before 3.3: unused key)",
           {"kernelArguments": {"shouldExist": ["quiet", "console=ttyS0 console=tty0"], "shouldNotExist": ["rhgb"]}}, True)
    b.rule("kargs-dup", "kernel arguments keyed by value (3.3+)", {"kernelArguments": {"shouldExist": ["a", "a"]}}, before(V33))
    b.rule("kargs-both-lists", "shouldExist and shouldNotExist share a namespace (3.3+)",
           {"kernelArguments": {"shouldExist": ["a"], "shouldNotExist": ["a"]}}, before(V33))
    b.rule("kargs-wrong-type", "kernel arguments are strings (3.3+)", {"kernelArguments": {"shouldExist": [1]}}, before(V33))


# --- docs/spec/legacy.md legacy versions -----------------------------------------------------------------

def _legacy(b: Builder) -> None:
    b.legacy("v1-minimal", "docs/spec/legacy.md#version-dispatch ignitionVersion 1", {"ignitionVersion": 1}, True)
    b.legacy("v1-full", "docs/spec/legacy.md#steps v1 schema", {
        "ignitionVersion": 1,
        "storage": {"disks": [{"device": "/dev/sdb", "wipeTable": True, "partitions": [{"label": "data", "number": 1, "size": 4096, "start": 2048}]}],
                    "filesystems": [{"device": "/dev/disk/by-partlabel/data", "format": "ext4", "create": {"force": True, "options": []},
                                     "files": [{"path": "/motd", "contents": "hi\n", "mode": 420, "uid": 0, "gid": 0}]}]},
        "systemd": {"units": [{"name": "hello.service", "enable": True, "contents": "[Service]\nExecStart=/bin/true\n[Install]\nWantedBy=multi-user.target\n"}]},
        "networkd": {"units": [{"name": "10-eth.network", "contents": "[Match]\nName=eth0\n"}]},
        "passwd": {"users": [{"name": "core", "create": {"uid": 1000, "groups": ["wheel"]}}]}}, True)
    b.legacy("v1-version-2", "docs/spec/legacy.md#version-dispatch ignitionVersion must be 1", {"ignitionVersion": 2}, False)
    b.legacy("v1-misaligned", "docs/spec/legacy.md#steps partition start must be 2048-aligned",
             {"ignitionVersion": 1, "storage": {"disks": [{"device": "/dev/sdb", "partitions": [{"number": 1, "start": 100, "size": 2048}]}]}}, False)
    for v in ("2.0.0", "2.1.0", "2.2.0", "2.3.0", "2.4.0"):
        b.legacy(f"minimal@{v}", "docs/spec/legacy.md#version-dispatch legacy versions are accepted", {"ignition": {"version": v}}, True)
        b.legacy(f"unit@{v}", "docs/spec/legacy.md#steps units",
                 {"ignition": {"version": v}, "systemd": {"units": [{"name": "a.service", "enable": True, "contents": UNIT}]}}, True)
        b.legacy(f"file-relative@{v}", "2.x path rules: path not absolute",
                 {"ignition": {"version": v}, "storage": {"files": [{"filesystem": "root", "path": "etc/x", "mode": 420}]}}, False)
        b.legacy(f"bad-scheme@{v}", "2.x url schemes", {"ignition": {"version": v}, "storage": {"files": [
            {"filesystem": "root", "path": "/etc/x", "mode": 420, "contents": {"source": "ftp://x/y"}}]}}, False)
    b.legacy("sectors@2.2.0", "docs/spec/legacy.md#to-3x sector sizes (which 3.x cannot say) keep their meaning",
             {"ignition": {"version": "2.2.0"}, "storage": {"disks": [{"device": "/dev/sdb", "partitions": [{"number": 1, "size": 1000, "start": 2048}]}]}}, True)
    b.legacy("append-overwrite@2.2.0", "docs/spec/legacy.md#steps cannot set both append and overwrite to true",
             {"ignition": {"version": "2.2.0"}, "storage": {"files": [{"filesystem": "root", "path": "/x", "mode": 420, "append": True, "overwrite": True,
                                                                        "contents": {"source": "data:,a"}}]}}, False)
    b.legacy("mix-mib-sectors@2.3.0", "docs/spec/legacy.md#steps cannot mix MBs and sectors within a disk",
             {"ignition": {"version": "2.3.0"}, "storage": {"disks": [{"device": "/dev/sdb", "partitions": [{"number": 1, "sizeMiB": 10}, {"number": 2, "size": 2048}]}]}}, False)
    b.legacy("header-dup@2.4.0", "docs/spec/legacy.md#steps Found duplicate HTTP header",
             {"ignition": {"version": "2.4.0", "config": {"append": [{"source": "http://e/x", "httpHeaders": [{"name": "A", "value": "1"}, {"name": "A", "value": "2"}]}]}}}, False)
    b.legacy("v2.5-exp", "docs/spec/legacy.md#version-dispatch 2.5.0-experimental is rejected by the 2.4 parser, which tops the legacy "
             "chain ignite follows (Flatcar's); Ignition 0.x itself also had a 2.5.0-experimental parser",
             {"ignition": {"version": "2.5.0-experimental"}}, False)
    b.legacy("v2.4-exp", "docs/spec/legacy.md#version-dispatch 2.4.0-experimental falls to 2.3, which rejects it", {"ignition": {"version": "2.4.0-experimental"}}, False)
    _legacy_rules(b)
    b.legacy("networkd@2.2.0", "docs/spec/legacy.md#to-3x networkd units keep their meaning",
             {"ignition": {"version": "2.2.0"}, "networkd": {"units": [{"name": "10-eth.network", "contents": "[Match]\nName=eth0\n"}]}}, True)


def _legacy_rules(b: Builder) -> None:
    """2.x rules by version (docs/spec/legacy.md#steps), each from the version it appears in."""
    def cfg(v: str, **body: Any) -> dict[str, Any]:
        return {"ignition": {"version": v}, **body}

    def root_file(**kw: Any) -> dict[str, Any]:
        return {"filesystem": "root", "path": "/etc/x", "mode": 420, **kw}

    all2 = ("2.0.0", "2.1.0", "2.2.0", "2.3.0", "2.4.0")
    for v in all2:
        newer = v >= "2.1.0"
        b.legacy(f"file-no-filesystem@{v}", "2.x files name their filesystem",
                 cfg(v, storage={"files": [{"path": "/etc/x", "mode": 420}]}), False)
        b.legacy(f"fs-mount-and-path@{v}", "2.x a filesystem has exactly one of mount and path",
                 cfg(v, storage={"filesystems": [{"name": "a", "path": "/a", "mount": {"device": "/dev/sdb", "format": "ext4"}}]}), False)
        b.legacy(f"fs-path-only@{v}", "docs/spec/legacy.md#to-3x: a path-only 2.x filesystem has no 3.x form (ign-converter "
                 "yields an empty device); ignite rejects it with a clear error, where 0.x accepted it",
                 cfg(v, storage={"filesystems": [{"name": "a", "path": "/a"}]}), False)
        b.legacy(f"fs-swap@{v}", "2.x swap from 2.1",
                 cfg(v, storage={"filesystems": [{"name": "s", "mount": {"device": "/dev/sdb", "format": "swap"}}]}), newer)
        b.legacy(f"scheme-tftp@{v}", "2.x tftp sources from 2.1", cfg(v, storage={"files": [root_file(contents={"source": "tftp://h/x"})]}), newer)
        b.legacy(f"scheme-oem@{v}", "2.x oem:// sources", cfg(v, storage={"files": [root_file(contents={"source": "oem:///x"})]}), True)
        b.legacy(f"hash-sha256@{v}", "2.x sha512 only",
                 cfg(v, storage={"files": [root_file(contents={"source": "data:,x", "verification": {"hash": H256}})]}), False)
        b.legacy(f"hash-sha512@{v}", "2.x sha512",
                 cfg(v, storage={"files": [root_file(contents={"source": "data:,x", "verification": {"hash": H512}})]}), True)
        b.legacy(f"dup-unit@{v}", "2.x duplicate units are not a validation error (applied in order)",
                 cfg(v, systemd={"units": [{"name": "a.service", "mask": True}, {"name": "a.service", "enable": True}]}), True)
        b.legacy(f"unit-bad-ext@{v}", "2.x unit extension", cfg(v, systemd={"units": [{"name": "a.conf", "mask": True}]}), False)
        b.legacy(f"raid-bad-level@{v}", "2.x raid level", cfg(v, storage={"raid": [{"name": "md0", "level": "raid7", "devices": ["/dev/a"]}]}), False)
        b.legacy(f"partition-label-long@{v}", "2.x partition labels up to 36 characters",
                 cfg(v, storage={"disks": [{"device": "/dev/sdb", "partitions": [{"number": 1, "label": "a" * 37}]}]}), False)
        b.legacy(f"user-create@{v}", "2.x user create{} (deprecated from 2.1, still accepted)",
                 cfg(v, passwd={"users": [{"name": "core", "create": {"uid": 1000}}]}), True)
        b.legacy(f"link-on-root@{v}", "2.x links from 2.1 (2.0: an unused key)",
                 cfg(v, storage={"links": [{"filesystem": "root", "path": "/l", "target": "/t"}]}), True)
        b.legacy(f"mode-too-big@{v}", "2.x illegal file mode", cfg(v, storage={"files": [root_file(mode=0o10000)]}), False)
    b.legacy("user-create-and-flat@2.1.0", "2.1 mixing create{} and the flat user fields is an error",
             cfg("2.1.0", passwd={"users": [{"name": "core", "uid": 1000, "create": {"uid": 1000}}]}), False)
    b.legacy("ca@2.2.0", "2.2 certificate authorities",
             cfg("2.2.0", ignition={"version": "2.2.0", "security": {"tls": {"certificateAuthorities": [{"source": "data:,ca"}]}}}), True)
    b.legacy("mode-unset@2.2.0", "2.2 an unset mode is only a warning (defaulting to 0000)",
             cfg("2.2.0", storage={"files": [{"filesystem": "root", "path": "/x"}]}), True)
    b.legacy("sizemib@2.3.0", "2.3 sizeMiB/startMiB", cfg("2.3.0", storage={"disks": [{"device": "/dev/sdb", "partitions": [
        {"number": 1, "sizeMiB": 100, "startMiB": 1}]}]}), True)
    b.legacy("proxy@2.4.0", "2.4 proxy", cfg("2.4.0", ignition={"version": "2.4.0", "proxy": {"httpProxy": "http://p", "noProxy": ["a"]}}), True)
    b.legacy("headers@2.4.0", "2.4 httpHeaders on http sources",
             cfg("2.4.0", storage={"files": [root_file(contents={"source": "http://h/x", "httpHeaders": [{"name": "A", "value": "1"}]})]}), True)


CASES: list[Case] = build()


if __name__ == "__main__":
    from collections import Counter

    print(f"{len(CASES)} cases; by version: {dict(Counter(c.version for c in CASES))}")
    print(f"judged by ignition-validate 2.14: {sum(c.oracle_data is not None for c in CASES)}")
    print(f"valid: {sum(c.valid for c in CASES)}, invalid: {sum(not c.valid for c in CASES)}")
    print("deliberate differences from 2.14 (ignite follows HEAD):")
    for c in CASES:
        if c.differs and c.oracle_data is not None:
            print(f"  {c.name}: {c.differs}")
