"""Partition nodes that come and go after partitioning (udev's watch re-reading the table
when sgdisk closes the disk, slow disks, multipath): the stage waits for every node with
the table's geometry, re-syncing with partx, and names the device and the wait if the
kernel never catches up.

A background thread plays the part of udev's watch: once ignite has written the table
and told the kernel (at its udev settle), the thread removes every partition node of the
disk (the first time before ignite looks), again and again (`partx --delete`), and
re-adds them (`partx --add`) when its window ends."""
from __future__ import annotations

import logging
import re
import subprocess
import threading
import time

import pytest
from disks_helpers import config

from ignite.errors import DeviceError
from ignite.system import partx, udev

MIB = 2048


class Churn:
    """Removes the partition nodes of `dev` for `window` seconds once started, then re-adds
    them (unless `readd` is False). Always stopped by the test."""

    def __init__(self, loopdevs, dev: str, window: float, readd: bool = True):
        self.loopdevs = loopdevs
        self.dev = loopdevs.guard(dev)
        self.window = window
        self.readd = readd
        self.stop = threading.Event()
        self.deletes = 0
        self.thread = threading.Thread(target=self._run, daemon=True)

    def start(self) -> None:
        # The first removal must succeed before ignite looks: a udevd of another test on this
        # machine may be probing a new partition (EBUSY), so retry for a while.
        deadline = time.monotonic() + 10
        self._delete()
        while self.loopdevs.partitions(self.dev) and time.monotonic() < deadline:
            time.sleep(0.02)
            self._delete()
        assert not self.loopdevs.partitions(self.dev), "could not remove the partition nodes"
        self.thread.start()

    def _delete(self) -> None:
        subprocess.run(["partx", "--delete", self.dev], capture_output=True)
        self.deletes += 1

    def _run(self) -> None:
        end = time.monotonic() + self.window
        while time.monotonic() < end and not self.stop.is_set():
            self._delete()
            time.sleep(0.01)
        if self.readd:
            subprocess.run(["partx", "--add", self.dev], capture_output=True)

    def join(self) -> None:
        self.stop.set()
        self.thread.join(timeout=30)


@pytest.fixture
def churn_after_commit(monkeypatch):
    """Starts a Churn when ignite settles udev for the disk it has just partitioned (the
    real settle runs first; it does nothing when no udevd runs)."""
    churns: list[Churn] = []
    real_settle = udev.settle

    def settle_then_churn(device=None):
        real_settle(device)
        for churn in churns:
            if churn.dev == device and not churn.thread.is_alive():
                churn.start()

    monkeypatch.setattr(udev, "settle", settle_then_churn)
    yield churns
    for churn in churns:
        churn.join()


def test_waits_for_nodes_that_disappear_and_come_back(loopdevs, runner, churn_after_commit, caplog):
    dev = loopdevs.create(64)
    churn = Churn(loopdevs, dev, window=1.5)
    churn_after_commit.append(churn)
    parts = [{"number": 1, "label": "a", "sizeMiB": 8}, {"number": 2, "label": "b", "sizeMiB": 4}]
    with caplog.at_level(logging.INFO, logger="ignite.disks"):
        runner.run("disks", config({"disks": [{"device": dev, "partitions": parts}]}))
    churn.join()
    assert churn.deletes >= 1  # the nodes really were taken away while the stage ran
    assert sorted(loopdevs.partitions(dev)) == [1, 2]
    waited = [r.getMessage() for r in caplog.records if r.getMessage().startswith("waiting up to")]
    assert waited and re.search(rf"partition \d \({dev}p\d\) of {dev}: ", waited[0]), waited


def test_nodes_that_never_settle_name_the_device_and_the_wait(loopdevs, runner, churn_after_commit,
                                                               monkeypatch):
    """The kernel never gets the node back: the churn removes it, and ignite's re-adds fail
    after the first sync (as partx does where the kernel refuses BLKPG)."""
    monkeypatch.setattr(udev, "DEFAULT_TIMEOUT", 1.0)
    dev = loopdevs.create(64)
    churn = Churn(loopdevs, dev, window=60, readd=False)
    churn_after_commit.append(churn)
    real_add = partx.add
    monkeypatch.setattr(partx, "add", lambda device, number=None: False if churn.deletes else real_add(device, number))
    with pytest.raises(DeviceError) as err:
        runner.run("disks", config({"disks": [{"device": dev, "partitions": [
            {"number": 1, "sizeMiB": 8}]}]}))
    churn.join()
    message = str(err.value)
    assert message.startswith(f"{dev}: partition 1 ({dev}p1) ")
    assert "after waiting 1 s for the kernel to match the table (re-synced with partx" in message
    assert "\n" not in message
