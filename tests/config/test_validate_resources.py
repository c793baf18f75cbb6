"""3.x validation of resources, URLs per version, the ignition section, passwd and
kernelArguments duplicates (docs/spec/config.md#resources, #validation, #duplicates)."""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from v3_validate_helpers import Case, E, W, rule_tests

C = "$.storage.files.0.contents"
SHA512 = "sha512-" + "a" * 128
SHA256 = "sha256-" + "b" * 64


def contents(version: str, res: dict) -> dict:
    return {"storage": {"files": [{"path": "/f", "contents": res}]}}


def ign(**fields) -> dict:
    return fields


CASES = [
    # --- schemes per version ---
    *[Case(f"scheme-{scheme}", v, contents(v, {"source": url}),
           [] if ok else [E(C + ".source", "invalid url scheme")])
      for scheme, url, since in (
          ("http", "http://example.com/x", 0), ("https", "https://example.com/x", 0),
          ("tftp", "tftp://10.0.0.1/x", 0), ("s3", "s3://bucket/key", 0), ("data", "data:,hi", 0),
          ("gs", "gs://bucket/obj", 2), ("arn", "arn:aws:s3:::bucket/key", 4))
      for v in ("3.0.0", "3.1.0", "3.2.0", "3.3.0", "3.4.0", "3.6.0")
      for ok in [int(v.split(".")[1]) >= since]],
    Case("scheme-ftp", "3.3.0", contents("", {"source": "ftp://x/y"}), [E(C + ".source", "invalid url scheme")]),
    Case("scheme-none", "3.3.0", contents("", {"source": "/just/a/path"}), [E(C + ".source", "invalid url scheme")]),
    Case("source-empty-ok", "3.0.0", contents("", {"source": ""})),
    Case("url-unparseable", "3.3.0", contents("", {"source": "http://exa mple.com/"}), [E(C + ".source", "unable to parse url")]),
    Case("url-bad-escape", "3.1.0", contents("", {"source": "http://example.com/%zz"}), [E(C + ".source", "unable to parse url")]),
    Case("url-bad-port", "3.3.0", contents("", {"source": "http://example.com:port/"}), [E(C + ".source", "unable to parse url")]),
    Case("url-control-char", "3.2.0", contents("", {"source": "http://example.com/\u0001"}), [E(C + ".source", "unable to parse url")]),
    Case("url-missing-scheme-colon", "3.3.0", contents("", {"source": ":foo"}), [E(C + ".source", "unable to parse url")]),
    Case("s3-version-id-ok", "3.3.0", contents("", {"source": "s3://b/k?versionId=abc"})),
    Case("s3-version-id-empty", "3.3.0", contents("", {"source": "s3://b/k?versionId="}),
         [E(C + ".source", "invalid S3 object VersionId")]),
    Case("arn-bucket-no-key", "3.4.0", contents("", {"source": "arn:aws:s3:::bucket"}), [E(C + ".source", "invalid S3 ARN format")]),
    Case("arn-not-s3", "3.5.0", contents("", {"source": "arn:aws:iam:::role/x"}), [E(C + ".source", "invalid S3 ARN format")]),
    Case("arn-access-point-ok", "3.6.0", contents("", {"source": "arn:aws:s3:us-east-1:123456789012:accesspoint/ap/object/key"})),
    Case("arn-access-point-short", "3.6.0", contents("", {"source": "arn:aws:s3:us-east-1:123456789012:accesspoint/ap"}),
         [E(C + ".source", "invalid S3 ARN format")]),
    Case("arn-version-id-empty", "3.6.0", contents("", {"source": "arn:aws:s3:::bucket/key?versionId="}),
         [E(C + ".source", "invalid S3 object VersionId")]),
    Case("data-url-base64-ok", "3.0.0", contents("", {"source": "data:text/plain;base64,aGVsbG8="})),
    Case("data-url-no-comma", "3.3.0", contents("", {"source": "data:text/plain"}),
         [E(C + ".source", "incomplete media type")]),
    Case("data-url-bad-base64", "3.3.0", contents("", {"source": "data:;base64,aGVsbG8"}),
         [E(C + ".source", "illegal base64 data at input byte 4")]),
    Case("data-url-bad-char", "3.1.0", contents("", {"source": "data:,a b"}), [E(C + ".source", "invalid data character")]),
    Case("data-url-bad-escape", "3.1.0", contents("", {"source": "data:,%zz"}),
         [E(C + ".source", "rfc2396: invalid char 0x25 in unescape sequence")]),
    Case("data-url-bad-media-type", "3.3.0", contents("", {"source": "data:foo/bar,x"}), [E(C + ".source", "invalid media type")]),
    # --- compression ---
    Case("compression-gzip-ok", "3.0.0", contents("", {"source": "data:,x", "compression": "gzip"})),
    Case("compression-empty-ok", "3.3.0", contents("", {"source": "data:,x", "compression": ""})),
    Case("compression-bad", "3.0.0", contents("", {"source": "data:,x", "compression": "xz"}),
         [E(C + ".compression", "invalid compression method")]),
    # --- verification ---
    Case("hash-sha512-ok", "3.0.0", contents("", {"source": "data:,x", "verification": {"hash": SHA512}})),
    Case("hash-sha256-30-bad", "3.0.0", contents("", {"source": "data:,x", "verification": {"hash": SHA256}}),
         [E(C + ".verification.hash", "unrecognized hash function")]),
    Case("hash-sha256-31-ok", "3.1.0", contents("", {"source": "data:,x", "verification": {"hash": SHA256}})),
    Case("hash-malformed", "3.3.0", contents("", {"source": "data:,x", "verification": {"hash": "abc"}}),
         [E(C + ".verification.hash", "malformed hash specifier")]),
    Case("hash-wrong-size", "3.3.0", contents("", {"source": "data:,x", "verification": {"hash": "sha512-abc"}}),
         [E(C + ".verification.hash", "incorrect size for hash sum")]),
    Case("hash-md5", "3.3.0", contents("", {"source": "data:,x", "verification": {"hash": "md5-abc"}}),
         [E(C + ".verification.hash", "unrecognized hash function")]),
    Case("hash-uppercase-chars-not-checked", "3.3.0", contents("", {"source": "data:,x", "verification": {"hash": "sha256-" + "Z" * 64}})),
    Case("hash-without-source", "3.0.0", contents("", {"verification": {"hash": SHA512}}),
         [E(C + ".verification.hash", "source must be specified if verification is specified")]),
    Case("hash-with-empty-source-ok", "3.3.0", contents("", {"source": "", "verification": {"hash": SHA512}})),
    # --- http headers (3.1+) ---
    Case("headers-ok", "3.1.0", contents("", {"source": "https://e.com/x", "httpHeaders": [{"name": "A", "value": "b"}]})),
    Case("headers-with-data", "3.3.0", contents("", {"source": "data:,x", "httpHeaders": [{"name": "A", "value": "b"}]}),
         [E(C + ".httpHeaders", "cannot use HTTP headers with this source scheme")]),
    Case("headers-without-source", "3.2.0", contents("", {"httpHeaders": [{"name": "A", "value": "b"}]}),
         [E(C + ".httpHeaders", "unable to parse url")]),
    Case("header-empty-name", "3.3.0", contents("", {"source": "http://e/x", "httpHeaders": [{"name": "", "value": "b"}]}),
         [E(C + ".httpHeaders.0.name", "HTTP header name can't be empty")]),
    Case("header-empty-value", "3.3.0", contents("", {"source": "http://e/x", "httpHeaders": [{"name": "A", "value": ""}]}),
         [E(C + ".httpHeaders.0.value", "unable to parse HTTP header")]),
    Case("header-no-value-ok", "3.3.0", contents("", {"source": "http://e/x", "httpHeaders": [{"name": "A"}]})),
    Case("header-dup", "3.3.0", contents("", {"source": "http://e/x", "httpHeaders": [{"name": "A", "value": "1"}, {"name": "A", "value": "2"}]}),
         [E(C + ".httpHeaders.1", "duplicate entry defined")]),
    Case("header-dup-case-differs-ok", "3.3.0", contents("", {"source": "http://e/x", "httpHeaders": [{"name": "A", "value": "1"}, {"name": "a", "value": "2"}]})),
    # --- ignition section ---
    Case("merge-source-required-31", "3.1.0", {"ignition": {"version": "3.1.0", "config": {"merge": [{}]}}},
         [E("$.ignition.config.merge.0", "source is required")]),
    Case("merge-empty-source-31", "3.3.0", {"ignition": {"version": "3.3.0", "config": {"merge": [{"source": ""}]}}},
         [E("$.ignition.config.merge.0", "source is required")]),
    Case("merge-no-source-30-ok", "3.0.0", {"ignition": {"version": "3.0.0", "config": {"merge": [{}]}}}),
    Case("merge-bad-url-reported-twice", "3.3.0", {"ignition": {"version": "3.3.0", "config": {"merge": [{"source": "ftp://x"}]}}},
         [E("$.ignition.config.merge.0", "invalid url scheme"), E("$.ignition.config.merge.0.source", "invalid url scheme")]),
    Case("merge-hash-without-source-30-ok", "3.0.0",
         {"ignition": {"version": "3.0.0", "config": {"merge": [{"verification": {"hash": SHA512}}]}}}),
    Case("merge-hash-without-source-31", "3.1.0",
         {"ignition": {"version": "3.1.0", "config": {"merge": [{"verification": {"hash": SHA512}}]}}},
         [E("$.ignition.config.merge.0", "source is required"),
          E("$.ignition.config.merge.0.verification.hash", "source must be specified if verification is specified")]),
    Case("replace-compression-31", "3.1.0",
         {"ignition": {"version": "3.1.0", "config": {"replace": {"source": "http://x", "compression": "bz2"}}}},
         [E("$.ignition.config.replace.compression", "invalid compression method")]),
    Case("merge-dup", "3.2.0", {"ignition": {"version": "3.2.0", "config": {"merge": [{"source": "http://a"}, {"source": "http://a"}]}}},
         [E("$.ignition.config.merge.1", "duplicate entry defined")]),
    Case("replace-empty-source-ok", "3.3.0", {"ignition": {"version": "3.3.0", "config": {"replace": {"source": ""}}}}),
    Case("replace-bad-scheme", "3.0.0", {"ignition": {"version": "3.0.0", "config": {"replace": {"source": "ftp://x"}}}},
         [E("$.ignition.config.replace.source", "invalid url scheme")]),
    Case("replace-hash-size", "3.0.0", {"ignition": {"version": "3.0.0", "config": {"replace": {"source": "http://x", "verification": {"hash": "sha512-0"}}}}},
         [E("$.ignition.config.replace.verification.hash", "incorrect size for hash sum")]),
    Case("ca-source-required-31", "3.1.0", {"ignition": {"version": "3.1.0", "security": {"tls": {"certificateAuthorities": [{}]}}}},
         [E("$.ignition.security.tls.certificateAuthorities.0", "source is required")]),
    Case("ca-empty-source-30", "3.0.0", {"ignition": {"version": "3.0.0", "security": {"tls": {"certificateAuthorities": [{"source": ""}]}}}},
         [E("$.ignition.security.tls.certificateAuthorities.0.source", "invalid url scheme")]),
    Case("ca-dup", "3.3.0", {"ignition": {"version": "3.3.0", "security": {"tls": {"certificateAuthorities": [
        {"source": "http://a"}, {"source": "http://a"}]}}}},
         [E("$.ignition.security.tls.certificateAuthorities.1", "duplicate entry defined")]),
    Case("proxy-ok", "3.1.0", {"ignition": {"version": "3.1.0", "proxy": {"httpProxy": "http://p:3128", "httpsProxy": "https://p"}}}),
    Case("proxy-bad-scheme", "3.3.0", {"ignition": {"version": "3.3.0", "proxy": {"httpProxy": "socks5://p"}}},
         [E("$.ignition.proxy.httpProxy", "proxies must be http(s)")]),
    Case("proxy-unparseable", "3.3.0", {"ignition": {"version": "3.3.0", "proxy": {"httpsProxy": "http://a b"}}},
         [E("$.ignition.proxy.httpsProxy", "unable to parse url")]),
    Case("proxy-https-via-http-warns", "3.3.0", {"ignition": {"version": "3.3.0", "proxy": {"httpsProxy": "http://p"}}},
         [W("$.ignition.proxy.httpsProxy", "insecure plaintext HTTP proxy specified for HTTPS resources")]),
    Case("proxy-empty-is-not-http", "3.3.0", {"ignition": {"version": "3.3.0", "proxy": {"httpProxy": ""}}},
         [E("$.ignition.proxy.httpProxy", "proxies must be http(s)")]),
    Case("noproxy-dup", "3.3.0", {"ignition": {"version": "3.3.0", "proxy": {"noProxy": ["a", "a"]}}},
         [E("$.ignition.proxy.noProxy.1", "duplicate entry defined")]),
    Case("timeouts-negative-ok", "3.3.0", {"ignition": {"version": "3.3.0", "timeouts": {"httpTotal": -5}}}),
    # --- passwd, kernelArguments duplicates ---
    Case("users-dup", "3.0.0", {"passwd": {"users": [{"name": "core"}, {"name": "core"}]}},
         [E("$.passwd.users.1", "duplicate entry defined")]),
    Case("groups-dup", "3.3.0", {"passwd": {"groups": [{"name": "g"}, {"name": "g"}]}},
         [E("$.passwd.groups.1", "duplicate entry defined")]),
    Case("user-and-group-same-name-ok", "3.3.0", {"passwd": {"users": [{"name": "x"}], "groups": [{"name": "x"}]}}),
    Case("ssh-keys-dup", "3.3.0", {"passwd": {"users": [{"name": "core", "sshAuthorizedKeys": ["k", "k"]}]}},
         [E("$.passwd.users.0.sshAuthorizedKeys.1", "duplicate entry defined")]),
    Case("user-groups-dup", "3.2.0", {"passwd": {"users": [{"name": "core", "groups": ["wheel", "wheel"]}]}},
         [E("$.passwd.users.0.groups.1", "duplicate entry defined")]),
    Case("kargs-ok", "3.3.0", {"kernelArguments": {"shouldExist": ["a", "b c"], "shouldNotExist": ["d"]}}),
    Case("kargs-dup-in-list", "3.3.0", {"kernelArguments": {"shouldExist": ["a", "a"]}},
         [E("$.kernelArguments.shouldExist.1", "duplicate entry defined")]),
    Case("kargs-clash-across-lists", "3.3.0", {"kernelArguments": {"shouldExist": ["quiet"], "shouldNotExist": ["quiet"]}},
         [E("$.kernelArguments.shouldNotExist.0", "duplicate entry defined")]),
    Case("kargs-clash-36", "3.6.0", {"kernelArguments": {"shouldExist": ["x"], "shouldNotExist": ["y", "x"]}},
         [E("$.kernelArguments.shouldNotExist.1", "duplicate entry defined")]),
]


test_rule, test_rule_agrees_with_ignition_validate = rule_tests(CASES)


def test_version_mismatch_is_reported() -> None:
    from v3_validate_helpers import ours
    assert ours({"ignition": {"version": "3.2.0"}}, "3.3.0") == [E("$.ignition.version", "unsupported config version")]
    assert ours({"ignition": {"version": "3.3"}}, "3.3.0") == [E("$.ignition.version", "invalid config version (couldn't parse)")]
    assert ours({"ignition": {"version": "3.3.0+meta"}}, "3.3.0") == [E("$.ignition.version", "unsupported config version")]


def test_unknown_version_argument_is_refused() -> None:
    from ignite.config.validate import validate
    from ignite.errors import ConfigError
    with pytest.raises(ConfigError):
        validate({"ignition": {"version": "2.2.0"}}, "2.2.0")
