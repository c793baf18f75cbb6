"""The report's and the boot record's fast writers (a files stage of 10,000 nodes writes
10,000 actions to both) produce exactly the bytes json.dumps does, tricky strings included,
and the record reader still skips a torn line."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from ignite import record
from ignite.report import render

TRICKY = ["/etc/a", '/q"uote\\back', "/nl\nand\ttab\x01\x1f", "/é/ü/日本", "/\u2028\u2029", "\x00actions\x00", ""]


def expected(report: dict) -> bytes:
    return (json.dumps(report, indent=2, ensure_ascii=False) + "\n").encode()


@pytest.mark.parametrize("seconds", [0.000123, 0, 3, 1e-07, 12345.123457, None])
def test_render_equals_the_indenting_encoder(seconds: float | None) -> None:
    actions = [{"stage": "files", "action": a, "target": t, "seconds": seconds} for a in TRICKY for t in TRICKY]
    report = {"format": 1, "config": {"sources": [{"url": "\x00actions\x00"}]}, "stages": [],
              "actions": actions, "fetches": [], "warnings": ["\x00actions\x00"], "failure": None}
    assert render(report) == expected(report)
    assert json.loads(render(report))["actions"] == actions


@pytest.mark.parametrize("actions", [[], [{"stage": "files", "action": "x", "target": "/y", "seconds": float("nan")}],
                                     [{"action": "x", "stage": "files", "target": "/y", "seconds": 1.0}],
                                     [{"stage": "files", "action": "x", "target": "/y", "seconds": True}]])
def test_render_of_other_actions_falls_back_to_the_encoder(actions: list) -> None:
    report = {"format": 1, "actions": actions, "failure": None}
    assert render(report) == expected(report)


def test_record_action_lines_equal_json_dumps(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(record, "_path", "/nonexistent/record")
    monkeypatch.setattr(record, "_pending", [])
    for target in TRICKY:
        for seconds in (0.0000123, 0, 2.5, 1e-9, 7.0):
            record.action("files", "write file", target, seconds)
            event = {"event": "action", "stage": "files", "action": "write file", "target": target,
                     "seconds": round(seconds, 6)}
            assert record._pending.pop() == json.dumps(event, separators=(",", ":"), ensure_ascii=False) + "\n"


def test_record_read_skips_a_torn_line_and_blank_lines(tmp_path: Path) -> None:
    path = tmp_path / "record.jsonl"
    path.write_bytes(b'{"event":"a"}\n\n{"event":"b"}\n[1]\n{"event":"c","at":1.')
    assert record.read(path) == [{"event": "a"}, {"event": "b"}]
    path.write_bytes(b'{"event":"a"}\n{"event":"b"}\n')
    assert record.read(path) == [{"event": "a"}, {"event": "b"}]
    assert record.read(tmp_path / "none") == []
