"""`ignition.config.merge` and `replace` in the fetch stages: references fetched only once
the network is up, nested merges under a replacement, hashes of referenced configs (an
upper-case one fails as upstream), an invalid referenced config, the fetch deadline kept
for references. The merge rules themselves: tests/config/test_merge.py; `ignite apply`
loading references: tests/test_apply_load.py."""
from __future__ import annotations

import hashlib
import time
from pathlib import Path

import pytest

from ignite.errors import ConfigError, FetchError

from .conftest import Reply, Server, free_port
from .stage_boot import Boot, cfg, dump


def test_remote_merge_offline_then_online(tmp_path: Path, system, http_server: Server) -> None:
    child = dump(cfg(storage={"files": [{"path": "/from-child"}]}))
    http_server.route("/child.ign", Reply(200, child))
    digest = "sha512-" + hashlib.sha512(child).hexdigest()
    parent = cfg(
        ignition={"config": {"merge": [{"source": http_server.url("/child.ign"), "verification": {"hash": digest}}]}},
        storage={"files": [{"path": "/from-parent"}]},
    )
    boot = Boot(tmp_path, config=dump(parent))
    boot.run("fetch-offline")
    assert boot.neednet and boot.cache is None and http_server.seen == []
    boot.run("fetch")
    assert [f["path"] for f in boot.cache["storage"]["files"]] == ["/from-parent", "/from-child"]
    assert boot.fetched[-1] == {"kind": "user", "source": "/child.ign", "referenced": True}


def test_nested_merge_and_replace(tmp_path: Path, system, http_server: Server) -> None:
    http_server.route("/grandchild.ign", Reply(200, dump(cfg(storage={"files": [{"path": "/gc"}]}))))
    http_server.route("/child.ign", Reply(200, dump(cfg(
        ignition={"config": {"merge": [{"source": http_server.url("/grandchild.ign")}]}},
        storage={"files": [{"path": "/c"}]},
    ))))
    http_server.route("/replacement.ign", Reply(200, dump(cfg(
        ignition={"config": {"merge": [{"source": http_server.url("/child.ign")}]}},
    ))))
    boot = Boot(tmp_path, config=dump(cfg(
        ignition={"config": {"replace": {"source": http_server.url("/replacement.ign")}}},
        storage={"files": [{"path": "/discarded"}]},
    )))
    boot.run("fetch")
    assert sorted(f["path"] for f in boot.cache["storage"]["files"]) == ["/c", "/gc"]
    assert [e["source"] for e in boot.fetched] == [
        "system",
        "file",
        "/replacement.ign",
        "/child.ign",
        "/grandchild.ign",
    ]


def test_wrong_hash_on_a_reference_fails_and_caches_nothing(tmp_path: Path, system, http_server: Server) -> None:
    http_server.route("/r.ign", Reply(200, dump(cfg())))
    bad = "sha512-" + "0" * 128
    boot = Boot(
        tmp_path,
        config=dump(
            cfg(ignition={"config": {"replace": {"source": http_server.url("/r.ign"), "verification": {"hash": bad}}}})
        ),
    )
    with pytest.raises(FetchError) as err:
        boot.run("fetch")
    assert err.value.kind == "hash"
    assert boot.cache is None


def test_upper_case_hash_of_a_referenced_config_fails_as_upstream(tmp_path: Path, system, http_server: Server) -> None:
    body = dump(cfg())
    http_server.route("/r.ign", Reply(200, body))
    upper = "sha512-" + hashlib.sha512(body).hexdigest().upper()
    boot = Boot(
        tmp_path,
        config=dump(
            cfg(
                ignition={"config": {"merge": [{"source": http_server.url("/r.ign"), "verification": {"hash": upper}}]}}
            )
        ),
    )
    with pytest.raises(FetchError, match="hash verification failed"):
        boot.run("fetch")


def test_invalid_referenced_config_is_a_config_error(tmp_path: Path, system, http_server: Server) -> None:
    http_server.route(
        "/bad.ign", Reply(200, b'{"ignition":{"version":"3.4.0"},"storage":{"files":[{"path":"relative"}]}}')
    )
    boot = Boot(tmp_path, config=dump(cfg(ignition={"config": {"merge": [{"source": http_server.url("/bad.ign")}]}})))
    with pytest.raises(ConfigError, match="path not absolute"):
        boot.run("fetch")
    assert boot.cache is None


def test_referenced_configs_keep_the_fetch_deadline(tmp_path: Path, system) -> None:
    """A config without httpTotal must not make a dead merge source hang the boot."""
    dead = f"http://127.0.0.1:{free_port()}/child.ign"
    (tmp_path / "cmdline").write_text("ignition.fetch.timeout=1\n")
    boot = Boot(
        tmp_path,
        cmdline="ignition.fetch.timeout=1",
        config=dump(cfg(ignition={"config": {"merge": [{"source": dead}]}})),
    )
    started = time.monotonic()
    with pytest.raises(FetchError, match="unable to fetch resource in time"):
        boot.run("fetch")
    assert time.monotonic() - started < 5
