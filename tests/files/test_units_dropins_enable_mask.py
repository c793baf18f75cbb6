"""systemd units and drop-ins in the files stage: contents, `enabled` (presets, instances
grouped under their template; 2.14 needs D-Bus for those), `disable` of a unit that is not
enabled, `mask` and unmask, names that would leave the unit directory refused; then the
same against Debian's ignition 2.14 (differential_helpers.py)."""
from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from differential_helpers import UNIT, Case, case_ids, put, same_tree_as_ignition, symlink
from differential_helpers import units as units_3_3
from files_helpers import require_root_user, run_ignite

from ignite.errors import NodeError


@pytest.fixture(autouse=True)
def _root_user() -> None:
    require_root_user()


def units(*entries: dict) -> dict:
    return {"ignition": {"version": "3.4.0"}, "systemd": {"units": list(entries)}}


PRESET = "etc/systemd/system-preset/20-ignition.preset"


def test_instances_are_grouped_under_their_template_in_config_order(root: Path, work: Path) -> None:
    run_ignite(units({"name": "getty@tty2.service", "enabled": True},
                     {"name": "z.service", "enabled": True},
                     {"name": "getty@tty1.service", "enabled": True},
                     {"name": "a.socket", "enabled": True}), root, work / "w")
    assert (root / PRESET).read_text() == "enable a.socket\nenable getty@.service tty2 tty1\nenable z.service\n"


def test_disabled_unit_that_is_not_enabled_gets_no_line(root: Path, work: Path) -> None:
    if shutil.which("systemctl") is None:
        pytest.skip("no systemctl")
    run_ignite(
        units({"name": "never.service", "enabled": False}, {"name": "on.service", "enabled": True}), root, work / "w"
    )
    assert (root / PRESET).read_text() == "enable on.service\n"


def test_disabled_unit_that_is_enabled_is_disabled_and_preset(root: Path, work: Path) -> None:
    if shutil.which("systemctl") is None:
        pytest.skip("no systemctl")
    unit_dir = root / "etc/systemd/system"
    (unit_dir / "multi-user.target.wants").mkdir(parents=True)
    (unit_dir / "was.service").write_text("[Service]\nExecStart=/bin/true\n[Install]\nWantedBy=multi-user.target\n")
    os.symlink("/etc/systemd/system/was.service", unit_dir / "multi-user.target.wants/was.service")
    run_ignite(units({"name": "was.service", "enabled": False}), root, work / "w")
    assert (root / PRESET).read_text() == "disable was.service\n"
    assert not (unit_dir / "multi-user.target.wants/was.service").exists()


def test_mask_replaces_contents_written_by_the_same_unit(root: Path, work: Path) -> None:
    run_ignite(units({"name": "m.service", "contents": "[Unit]\n", "mask": True}), root, work / "w")
    assert os.readlink(root / "etc/systemd/system/m.service") == "/dev/null"


def test_unmask_leaves_other_links_alone(root: Path, work: Path) -> None:
    unit_dir = root / "etc/systemd/system"
    unit_dir.mkdir(parents=True)
    os.symlink("/lib/systemd/system/x.service", unit_dir / "x.service")
    run_ignite(units({"name": "x.service", "mask": False}), root, work / "w")
    assert os.readlink(unit_dir / "x.service") == "/lib/systemd/system/x.service"


@pytest.mark.parametrize("name", ["../escape.service", "a/b.service", ".."])
def test_unit_names_that_leave_the_unit_dir_are_refused(name: str, root: Path, work: Path) -> None:
    with pytest.raises(NodeError, match="invalid unit or dropin name"):
        run_ignite(units({"name": name, "contents": "x"}), root, work / "w", raw=True)
    assert not (root / "etc/systemd").exists()


def test_dropin_names_are_checked_too(root: Path, work: Path) -> None:
    with pytest.raises(NodeError, match=r"\$\.systemd\.units\.0\.dropins\.0\.name"):
        run_ignite(
            units({"name": "a.service", "dropins": [{"name": "../../x.conf", "contents": "x"}]}),
            root,
            work / "w",
            raw=True,
        )


# --- against Debian's ignition 2.14 (differential_helpers.py) ------------------------------


DIFFERENTIAL = [
    Case("unit-and-dropin",
         units_3_3({"name": "app.service", "contents": UNIT,
                    "dropins": [{"name": "10-env.conf", "contents": "[Service]\nEnvironment=A=1\n"}]})),
    Case("unit-enabled", units_3_3({"name": "app.service", "contents": UNIT, "enabled": True})),
    Case("units-enabled-several", units_3_3({"name": "b.service", "contents": UNIT, "enabled": True},
                                            {"name": "a.service", "contents": UNIT, "enabled": True},
                                            {"name": "c.timer", "enabled": True}),
         sorted_lines=("/etc/systemd/system-preset/20-ignition.preset",)),
    Case("unit-preset-appends-existing", units_3_3({"name": "app.service", "enabled": True}),
         prep=(put("/etc/systemd/system-preset/20-ignition.preset", "enable other.service\n"),)),
    Case("unit-mask-replaces-file", units_3_3({"name": "bad.service", "mask": True}),
         prep=(put("/etc/systemd/system/bad.service", UNIT),)),
    Case("unit-unmask", units_3_3({"name": "bad.service", "mask": False}),
         prep=(symlink("/etc/systemd/system/bad.service", "/dev/null"),)),
    Case("unit-disabled-was-enabled", units_3_3({"name": "old.service", "enabled": False}),
         prep=(put("/etc/systemd/system/old.service", UNIT),
               symlink("/etc/systemd/system/multi-user.target.wants/old.service", "/etc/systemd/system/old.service"))),
    Case("unit-empty-contents-dropin-without",
         units_3_3({"name": "e.service", "contents": "", "dropins": [{"name": "none.conf"}]})),
]


@pytest.mark.oracle
@pytest.mark.root
@pytest.mark.parametrize("case", DIFFERENTIAL, ids=case_ids(DIFFERENTIAL))
def test_same_tree_as_ignition(case: Case, work: Path, http_files) -> None:
    same_tree_as_ignition(case, work, http_files)
