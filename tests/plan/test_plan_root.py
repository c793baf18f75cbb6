"""`ignite plan` against a directory root: what it says, that it changes nothing, exit
codes, secrets, remote resources, and running without root."""
from __future__ import annotations

import hashlib
import http.server
import json
import os
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from plan_helpers import REPO, ignite_plan, plan_json, tree, write_config

SECRET_HASH = "$6$saltsalt$verysecrethashvalue"
SECRET_BODY = "the%20secret%20body"


def make_root(path: Path) -> Path:
    (path / "etc").mkdir(parents=True)
    (path / "etc/passwd").write_text("root:x:0:0:root:/root:/bin/sh\ncore:x:1000:1000:Core:/home/core:/bin/sh\n")
    (path / "etc/group").write_text("root:x:0:\ncore:x:1000:\n")
    (path / "etc/shadow").write_text("root:*:19000:0:99999:7:::\ncore:*:19000:0:99999:7:::\n")
    (path / "etc/gshadow").write_text("root:*::\ncore:*::\n")
    (path / "etc/motd").write_text("hello\n")
    (path / "etc/motd").chmod(0o600)
    (path / "usr/etc").mkdir(parents=True)
    (path / "etc/redirected").symlink_to("../usr/etc")
    (path / "home/core").mkdir(parents=True)
    os.chmod(path, 0o755)
    return path


@pytest.fixture
def root(tmp_path: Path) -> Path:
    return make_root(tmp_path / "root")


def cfg(**sections: Any) -> dict[str, Any]:
    return {"ignition": {"version": "3.4.0"}, **sections}


BASIC = cfg(
    storage={
        "files": [
            {"path": "/etc/motd", "append": [{"source": "data:,more"}], "mode": 0o644},
            {"path": "/etc/new.conf", "contents": {"source": "data:," + SECRET_BODY}, "user": {"name": "core"}},
            {"path": "/etc/redirected/app.conf", "contents": {"source": "data:,x"}},
        ],
        "directories": [{"path": "/var/lib/app", "mode": 0o700}],
        "links": [{"path": "/etc/localtime", "target": "/usr/share/zoneinfo/UTC"}],
    },
    passwd={"users": [{"name": "core", "passwordHash": SECRET_HASH, "shell": "/bin/bash"},
                      {"name": "alice", "sshAuthorizedKeys": ["ssh-ed25519 AAAAkey alice"]}],
            "groups": [{"name": "ops"}]},
    systemd={"units": [{"name": "app.service", "enabled": True, "contents": "[Install]\nWantedBy=multi-user.target\n"},
                       {"name": "bad.service", "mask": True},
                       {"name": "x.service", "dropins": [{"name": "10.conf", "contents": "[Service]\n"}]}]},
    kernelArguments={"shouldExist": ["quiet"], "shouldNotExist": ["debug"]},
)


def test_plan_says_what_the_files_stage_would_do(root: Path, tmp_path: Path) -> None:
    plan = plan_json(str(write_config(tmp_path / "c.ign", BASIC)), "--root", str(root))
    files = {f["target"]: f for f in plan["files"]}
    assert files["/etc/motd"]["what"] == "append"
    assert (files["/etc/motd"]["modeBefore"], files["/etc/motd"]["mode"]) == ("0600", "0644")
    assert files["/etc/new.conf"]["what"] == "create" and files["/etc/new.conf"]["owner"] == "core(1000):unchanged"
    assert files["/etc/redirected/app.conf"]["redirectedTo"] == "/usr/etc/app.conf"
    assert files["/var/lib/app"]["action"] == "create directory"
    assert files["/etc/localtime"]["action"] == "create symlink"
    assert files["/home/alice/.ssh/authorized_keys.d/ignition"]["action"] == "write ssh keys"
    users = {(u["kind"], u["target"]): u for u in plan["users"]}
    assert users[("user", "core")]["what"] == "modify"
    assert users[("user", "core")]["fields"] == ["shell", "password"]
    assert users[("user", "alice")]["what"] == "add" and users[("group", "ops")]["what"] == "add"
    units = [(u["action"], u["target"]) for u in plan["units"]]
    assert units == [("write unit", "/etc/systemd/system/app.service"), ("mask unit", "bad.service"),
                     ("write dropin", "/etc/systemd/system/x.service.d/10.conf"), ("preset enable", "app.service")]
    assert plan["kernelArguments"] == [{"action": "add", "argument": "quiet"},
                                       {"action": "remove", "argument": "debug"}]
    assert plan["summary"] == "7 files, 2 users, 1 group, 3 units, 2 kernel arguments"


def test_plan_changes_nothing_in_the_root(root: Path, tmp_path: Path) -> None:
    before = tree(root)
    for fmt in ("text", "json"):
        done = ignite_plan(str(write_config(tmp_path / "c.ign", BASIC)), "--root", str(root), "--format", fmt)
        assert done.returncode == 0, done.stderr
    assert tree(root) == before


def test_text_output_starts_with_the_summary_and_marks_destruction(root: Path, tmp_path: Path) -> None:
    config = cfg(storage={"files": [{"path": "/etc/motd", "overwrite": True, "contents": {"source": "data:,x"}}]})
    done = ignite_plan(str(write_config(tmp_path / "c.ign", config)), "--root", str(root))
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == "2 files, 0 users, 0 units"
    assert "/etc/" in lines
    motd = next(line for line in lines if "motd" in line)
    assert "overwrite" in motd and "destructive" in motd  # no colour: stdout is not a terminal
    assert "\033[" not in done.stdout


def test_plan_never_prints_secrets(root: Path, tmp_path: Path) -> None:
    config = json.loads(json.dumps(BASIC))
    config["storage"]["files"].append({"path": "/etc/remote", "contents": {"source": "http://user:pa55word@127.0.0.1:9/f"}})
    path = write_config(tmp_path / "c.ign", config)
    for fmt in ("text", "json"):
        done = ignite_plan(str(path), "--root", str(root), "--format", fmt)
        assert done.returncode == 0, done.stderr
        out = done.stdout + done.stderr
        for secret in (SECRET_HASH, "verysecret", "secret body", SECRET_BODY, "pa55word", "AAAAkey"):
            assert secret not in out, (fmt, secret)
        assert "http://***@127.0.0.1:9/f" in out


@pytest.mark.parametrize(("config", "message"), [
    (cfg(storage={"files": [{"path": "/etc/x", "user": {"name": "nobody-here"}}]}),
     "/etc/x: failed to determine correct uid and gid: no such user 'nobody-here' (at $.storage.files.0.user.name)"),
    (cfg(storage={"files": [{"path": "/etc/motd", "contents": {"source": "data:,x"}}]}),
     "/etc/motd: A file exists there already and overwrite is false (at $.storage.files.0)"),
    (cfg(storage={"links": [{"path": "/etc/motd", "target": "/x"}]}),
     "/etc/motd: a non-symlink already exists at that path and overwrite is false (at $.storage.links.0)"),
])
def test_a_config_the_boot_would_refuse_exits_1_with_its_message(root: Path, tmp_path: Path, config: dict[str, Any],
                                                                 message: str) -> None:
    before = tree(root)
    done = ignite_plan(str(write_config(tmp_path / "c.ign", config)), "--root", str(root))
    assert done.returncode == 1, done.stdout + done.stderr
    assert f"ignite: plan: the boot would fail: {message}" in done.stderr
    assert tree(root) == before
    as_json = ignite_plan(str(tmp_path / "c.ign"), "--root", str(root), "--format", "json")
    assert as_json.returncode == 1
    out = json.loads(as_json.stdout)
    assert out["wouldSucceed"] is False and out["failure"]["kind"] == "node"


def test_an_invalid_config_exits_1_with_the_validation_message(root: Path, tmp_path: Path) -> None:
    done = ignite_plan(str(write_config(tmp_path / "c.ign", {"ignition": {"version": "3.4.0"},
                                                             "storage": {"files": [{"path": "relative"}]}})),
                       "--root", str(root))
    assert done.returncode == 1
    assert "path not absolute" in done.stderr


@pytest.mark.parametrize(("args", "message"), [
    (["/nonexistent/c.ign"], "no such config file"),
    (["{cfg}", "--device-map", "nonsense"], "expected CFGDEV=IMAGE_OR_DEV"),
    (["{cfg}", "--device-map", "/dev/vda=/nonexistent.img"], "--device-map /dev/vda=/nonexistent.img: "
                                                             "/nonexistent.img does not exist"),
    (["{cfg}", "--root", "/nonexistent-root"], "not a directory"),
    (["{cfg}", "--format", "yaml"], "invalid choice"),
])
def test_usage_and_io_errors_exit_2(root: Path, tmp_path: Path, args: list[str], message: str) -> None:
    path = write_config(tmp_path / "c.ign", cfg(storage={"files": [{"path": "/etc/a"}]}))
    argv = [a.replace("{cfg}", str(path)) for a in args]
    if "--root" not in argv:
        argv += ["--root", str(root)]
    done = ignite_plan(*argv)
    assert done.returncode == 2, done.stdout + done.stderr
    assert message in done.stderr


def test_json_follows_the_schema(root: Path, tmp_path: Path) -> None:
    jsonschema = pytest.importorskip("jsonschema")
    schema = json.loads((REPO / "schemas/plan-1.json").read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    plan = plan_json(str(write_config(tmp_path / "c.ign", BASIC)), "--root", str(root))
    jsonschema.validate(plan, schema)
    failing = ignite_plan(str(write_config(tmp_path / "bad.ign", cfg(storage={"files": [
        {"path": "/etc/x", "user": {"name": "ghost"}}]}))), "--root", str(root), "--format", "json")
    jsonschema.validate(json.loads(failing.stdout), schema)


def test_runs_without_root_and_says_what_it_could_not_know() -> None:
    import shutil
    import tempfile

    uid = None if os.geteuid() != 0 else 65534
    tmp_path = Path(tempfile.mkdtemp(prefix="ignite-plan-nonroot-"))
    try:
        os.chmod(tmp_path, 0o755)
        _without_root(make_root(tmp_path / "root"), tmp_path, uid)
    finally:
        shutil.rmtree(tmp_path)


def _without_root(root: Path, tmp_path: Path, uid: int | None) -> None:
    config = cfg(storage={"filesystems": [{"device": "/dev/vda1", "format": "ext4", "path": "/var"}],
                          "files": [{"path": "/etc/hostname", "contents": {"source": "data:,n1"}}]})
    path = write_config(tmp_path / "c.ign", config)
    os.chmod(path, 0o644)
    before = tree(root)
    done = ignite_plan(str(path), "--root", str(root), "--format", "json", user=uid)
    assert done.returncode == 0, done.stderr
    plan = json.loads(done.stdout)
    assert any("needs root" in u for u in plan["unknown"])
    assert any("without root" in u for u in plan["unknown"])
    assert [f["target"] for f in plan["files"]] == ["/etc/hostname", "/etc/.ignition-result.json"]
    assert plan["mounts"][0]["path"] == "/var" and plan["mounts"][0]["createDirectories"] == ["/var"]
    assert tree(root) == before


# --- remote resources ---------------------------------------------------------------------


@pytest.fixture
def server() -> Iterator[str]:
    body = b"remote contents\n"

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_HEAD(self) -> None:  # noqa: N802 - http.server's name
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()

        def do_GET(self) -> None:  # noqa: N802
            self.do_HEAD()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()


def test_remote_resources_with_size_and_fetch_verifies(root: Path, tmp_path: Path, server: str) -> None:
    good = hashlib.sha512(b"remote contents\n").hexdigest()
    config = cfg(storage={"files": [
        {"path": "/etc/a", "contents": {"source": server.replace("http://", "http://u:secretpw@") + "/a",
                                        "verification": {"hash": f"sha512-{good}"}}}]})
    path = write_config(tmp_path / "c.ign", config)
    plan = plan_json(str(path), "--root", str(root))
    [res] = plan["resources"]
    assert res["url"] == server.replace("http://", "http://***@") + "/a"
    assert (res["size"], res["verified"], res["for"]) == (16, None, "/etc/a")
    fetched = plan_json(str(path), "--root", str(root), "--fetch")
    assert fetched["resources"][0]["verified"] is True
    before = tree(root)
    config["storage"]["files"][0]["contents"]["verification"]["hash"] = "sha512-" + "0" * 128
    done = ignite_plan(str(write_config(tmp_path / "bad.ign", config)), "--root", str(root), "--fetch")
    assert done.returncode == 1 and "hash" in done.stderr and "secretpw" not in done.stderr
    assert tree(root) == before


def test_system_base_configs_of_the_platform_are_planned_too(root: Path, tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    from ignite import distro

    system = tmp_path / "system"
    (system / distro.BASE_DIR).mkdir(parents=True)
    (system / distro.BASE_PLATFORM_DIR / "qemu").mkdir(parents=True)
    (system / distro.BASE_DIR / "10-base.ign").write_text(json.dumps(cfg(storage={"files": [
        {"path": "/etc/from-base", "contents": {"source": "data:,b"}}]})))
    (system / distro.BASE_PLATFORM_DIR / "qemu/10-qemu.ign").write_text(json.dumps(cfg(storage={"files": [
        {"path": "/etc/from-qemu", "contents": {"source": "data:,q"}}]})))
    for env, _ in distro.SYSTEM_DIRS:
        monkeypatch.setenv(env, str(system))
    path = str(write_config(tmp_path / "c.ign", cfg()))
    plain = {f["target"] for f in plan_json(path, "--root", str(root))["files"]}
    qemu = {f["target"] for f in plan_json(path, "--root", str(root), "--platform", "qemu")["files"]}
    assert "/etc/from-base" in plain and "/etc/from-qemu" not in plain
    assert {"/etc/from-base", "/etc/from-qemu"} <= qemu


def test_without_root_a_home_it_cannot_search_is_said_so() -> None:
    import shutil
    import tempfile

    if os.geteuid() != 0:
        pytest.skip("needs root to make a home the test user cannot search")
    tmp_path = Path(tempfile.mkdtemp(prefix="ignite-plan-nonroot-"))
    try:
        os.chmod(tmp_path, 0o755)
        root = make_root(tmp_path / "root")
        os.chmod(root / "home/core", 0o700)
        os.chown(root / "home/core", 1000, 1000)
        path = write_config(tmp_path / "c.ign", cfg(storage={
            "directories": [{"path": "/home/core/.config"}],
            "files": [{"path": "/home/core/.profile", "contents": {"source": "data:,x"}}]}))
        os.chmod(path, 0o644)
        done = ignite_plan(str(path), "--root", str(root), "--format", "json", user=65534)
        assert done.returncode == 0, done.stderr
        steps = {f["target"]: f for f in json.loads(done.stdout)["files"]}
        assert steps["/home/core/.config"]["unknown"] == "not visible without root: judged as absent"
        assert steps["/home/core/.profile"]["unknown"] == "not visible without root: judged as absent"
    finally:
        shutil.rmtree(tmp_path)
