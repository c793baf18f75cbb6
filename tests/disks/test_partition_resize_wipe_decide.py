"""The partition decision table, `decide(disk facts, wanted) -> plan`, against fake
partition tables: no root, no loop device, no sgdisk. The loop-device tests in
test_partitions.py are the integration proof that the plans are carried out."""
from __future__ import annotations

import pytest

from ignite.errors import DeviceError
from ignite.stages.disks_partitions import DiskFacts, Wanted, _assign_numbers, decide
from ignite.system.sgdisk import PartitionInfo

LINUX = "0FC63DAF-8483-4772-8E79-3D69D8477DE4"
SWAP = "0657FD6D-A4AB-43C4-84E5-0933C84B4F4F"
GUID = "11111111-2222-3333-4444-555555555555"


def have(number: int, start: int = 2048, size: int = 2048, label: str = "data", type_guid: str = LINUX,
         guid: str = GUID) -> PartitionInfo:
    return PartitionInfo(number=number, start=start, size=size, type_guid=type_guid, guid=guid, label=label)


def want(number: int, *, index: int = 0, start: int | None = 2048, size: int | None = 2048, label: str | None = None,
         type_guid: str | None = None, guid: str | None = None, should_exist: bool = True, wipe_entry: bool = False,
         resize: bool = False) -> Wanted:
    return Wanted(index=index, number=number, start=start, size=size, label=label, type_guid=type_guid, guid=guid,
                  should_exist=should_exist, wipe_entry=wipe_entry, resize=resize)


def facts(*partitions: PartitionInfo, wipe_table: bool = False) -> DiskFacts:
    return DiskFacts("/dev/vdb", "/dev/vdb", 1, wipe_table, {p.number: p for p in partitions})


def summary(plan: object) -> tuple[list[int], list[int], list[int]]:
    return plan.deletes, [w.number for w in plan.creates], plan.kept  # type: ignore[attr-defined]


# (case, disk now, wanted, (deletes, creates, kept))
TABLE = [
    ("absent and wanted: created", [], [want(1)], ([], [1], [])),
    ("present and matching: kept", [have(1)], [want(1, label="data")], ([], [], [1])),
    ("present, nothing specified: kept", [have(1)], [want(1, start=None, size=None)], ([], [], [1])),
    ("mismatch with wipePartitionEntry: recreated", [have(1)], [want(1, size=4096, wipe_entry=True)], ([1], [1], [])),
    ("unwanted with wipePartitionEntry: deleted", [have(1)], [want(1, should_exist=False, wipe_entry=True)],
     ([1], [], [])),
    ("unwanted and absent: nothing", [], [want(3, should_exist=False)], ([], [], [])),
    ("resize grows in place", [have(1)], [want(1, size=8192, resize=True)], ([1], [1], [])),
    ("other partitions are left alone", [have(1), have(2, start=4096)], [want(2, start=4096)], ([], [], [2])),
    ("the same number unwanted and wanted: the wanted one wins",
     [], [want(1, should_exist=False, index=0), want(1, index=1)], ([], [1], [])),
    ("a type GUID compares without case", [have(1)], [want(1, type_guid=LINUX.lower())], ([], [], [1])),
]


@pytest.mark.parametrize(("disk", "wanted", "expected"), [case[1:] for case in TABLE], ids=[case[0] for case in TABLE])
def test_decide_table(disk: list[PartitionInfo], wanted: list[Wanted], expected: tuple) -> None:
    assert summary(decide(facts(*disk), wanted)) == expected


def test_resize_keeps_the_partition_identity_and_takes_the_new_size() -> None:
    plan = decide(facts(have(1, label="root", guid=GUID)), [want(1, size=8192, resize=True)])
    (created,) = plan.creates
    assert (created.start, created.size, created.label, created.guid) == (2048, 8192, "root", GUID)
    assert (created.should_exist, created.wipe_entry, created.resize) == (True, False, True)


def test_a_wiped_table_has_nothing_to_keep() -> None:
    plan = decide(facts(wipe_table=True), [want(1)])
    assert plan.wipe_table and summary(plan) == ([], [1], [])


# (case, disk now, wanted, the error message says)
REFUSED = [
    ("unwanted but present, no wipePartitionEntry", [have(1)], [want(1, should_exist=False, index=2)],
     "partition 1 exists but is specified as nonexistent"),
    ("start differs", [have(1)], [want(1, start=4096, index=2)],
     "starting sector did not match (specified 4096, got 2048)"),
    ("size differs, no resize", [have(1)], [want(1, size=4096, index=2)],
     "size did not match (specified 4096, got 2048)"),
    ("label differs", [have(1, label="a")], [want(1, label="b", index=2)], "label did not match"),
    ("GUID differs", [have(1)], [want(1, guid="AAAAAAAA-2222-3333-4444-555555555555", index=2)], "GUID did not match"),
    ("type differs", [have(1)], [want(1, type_guid=SWAP, index=2)], "type GUID did not match"),
    ("resize cannot move a start", [have(1)], [want(1, start=4096, size=8192, resize=True, index=2)],
     "starting sector did not match"),
]


@pytest.mark.parametrize(("disk", "wanted", "message"), [case[1:] for case in REFUSED],
                         ids=[case[0] for case in REFUSED])
def test_decide_refuses(disk: list[PartitionInfo], wanted: list[Wanted], message: str) -> None:
    with pytest.raises(DeviceError) as exc:
        decide(facts(*disk), wanted)
    assert message in str(exc.value)
    assert exc.value.json_path == "$.storage.disks.1.partitions.2"


def test_number_zero_takes_the_lowest_free_number_in_order() -> None:
    wanted = [want(2), want(0, index=1), want(0, index=2)]
    _assign_numbers(wanted, {1: have(1), 2: have(2)})
    assert [w.number for w in wanted] == [2, 3, 4]


def test_number_zero_may_reuse_a_number_only_an_unwanted_entry_names() -> None:
    wanted = [want(1, should_exist=False, wipe_entry=True), want(0, index=1)]
    _assign_numbers(wanted, {1: have(1)})
    assert [w.number for w in wanted] == [1, 1]
