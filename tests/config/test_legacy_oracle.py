"""Legacy validation against Ignition 0.x itself.

`legacy_oracle_cases.json` holds ~1,100 v1/2.x configs (every case of test_legacy_rules.py,
the two legacy examples, and a generated corpus: URLs, hashes, unit contents, partitions,
filesystems, nodes, RAID, users, headers, for each version) with the verdict and the
messages of Flatcar's Ignition v0.36.2 `ignition-validate` — the last 0.x release, which
validates v1 and 2.0-2.4 — recorded once on a developer machine. No 0.x binary is
packaged anywhere we can install it, so the recorded answers stand in for it.
"""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from ignite.config.translate.legacy import upgrade_legacy

CASES = json.loads((Path(__file__).parent / "legacy_oracle_cases.json").read_text())

# Where ignite deliberately answers otherwise, with the reason.
PATH_ONLY = "a 2.x filesystem given by path only"  # no 3.x equivalent: rejected, not silently moved
OURS_ONLY_WARNING = 'a filesystem named "root" is taken as the target root'


def _ours(case: dict) -> tuple[bool, list[list[str]]]:
    _, report = upgrade_legacy(case["config"], case["version"])
    entries = {(e.kind, e.message) for e in report.entries
               if not e.message.startswith("unused key") and OURS_ONLY_WARNING not in e.message}
    return not report.is_fatal, sorted([k, m] for k, m in entries)


def _oracle_entries(case: dict) -> list[list[str]]:
    # 0.x passed some messages to a printf: "%zz" came out as "%!z(MISSING)z"
    return [[k, re.sub(r"%!(.)\(MISSING\)", r"%\1", m)] for k, m in case["entries"]]


def test_corpus_is_large():
    assert len(CASES) > 1000
    assert sum(not c["valid"] for c in CASES) > 200 and sum(c["valid"] for c in CASES) > 200


@pytest.mark.parametrize("case", CASES, ids=[f"{i}-{c['version']}" for i, c in enumerate(CASES)])
def test_same_verdict_and_messages_as_ignition_0x(case):
    valid, entries = _ours(case)
    if any(PATH_ONLY in m for _, m in entries):
        assert case["valid"], "a config 0.x rejected is rejected for its own reason"
        return
    assert valid == case["valid"], (entries, case["entries"])
    if not case["valid"] and not case["entries"]:
        # 0.x failed to decode it as its version (a malformed URL or hash, a negative number
        # in an unsigned field), fell back to the v1 parser and said only "unsupported config
        # version"; we name the value instead.
        assert entries
        return
    assert entries == _oracle_entries(case)


# Whole documents through the pipeline (version dispatch, structure, legacy rules), with
# 0.x's verdict recorded the same way.
RAW = [
    ('{"ignition":{"version":"2.2.0"},"storage":{"files":[{"filesystem":"root","path":"/a","mode":"420"}]}}', False),
    ('{"ignition":{"version":"2.2.0"},"storage":{"files":[{"filesystem":"root","path":"/a","mode":420.0}]}}', False),
    ('{"ignition":{"version":"2.2.0"},"Storage":{"Files":[{"Filesystem":"root","PATH":"/a","mode":420}]}}', True),
    ('{"ignition":{"version":"2.2.0"},"storage":{"files":[{"filesystem":"root","path":"/a","mode":null,"user":null}]}}', True),
    ('{"ignition":{"version":"2.2.0"},"storage":null,"systemd":{"units":null}}', True),
    ('{"ignition":{"version":"2.2.0"},"storage":{"files":[null]}}', False),
    ('{"ignition":{"version":"2.2.0"},"storage":{"disks":[{"device":"/dev/a","partitions":[{"number":1,"size":99999999999999999999}]}]}}', False),
    ('{"ignition":{"version":"2.3.0"},"storage":{"disks":[{"device":"/dev/a","partitions":[{"number":1,"label":null}]}]}}', True),
    ('{"ignition":{"version":"2.1.0"},"passwd":{"users":[{"name":"a","passwordHash":null}]}}', True),
    ('{"ignitionVersion":1,"storage":{"filesystems":[{"device":"/dev/a","format":"ext4","files":[{"path":"/x","contents":null}]}]}}', True),
    ('{"ignitionVersion":1.0}', False),
    ('{"ignitionVersion":"1"}', False),
    ('{"ignitionVersion":1,"ignition":{"version":"2.0.0"}}', True),
    ('{"ignition":{"version":"2.0.0"},"storage":{"files":[{"filesystem":"root","path":"/a","user":{"id":-5}}]}}', True),
    ('{"ignition":{"version":"2.4.0-experimental"}}', False),
    ('{"ignition":{"version":"2.5.0-experimental"}}', False),
    ('{"ignition":{"version":"2.0.0"},"unknown":1,"storage":{"files":[{"filesystem":"root","path":"/a","Mode":420}]}}', True),
    ('{"ignition":{"version":"2.2.0"},"systemd":{"units":[{"name":"a.service","enabled":"yes"}]}}', False),
    ('{"ignition":{"version":"2.2.0"},"ignition":{"version":"2.1.0"}}', True),
    ('{"ignition":{"version":"2.2.0","Version":"2.1.0"}}', True),
]


@pytest.mark.parametrize("text, valid", RAW)
def test_whole_documents_get_0x_verdict(text, valid):
    from ignite.config.parse import parse_report

    assert (parse_report(text.encode()).config is not None) == valid
