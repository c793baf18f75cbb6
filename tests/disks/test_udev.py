"""With a udevd (private mount namespace, started by the session): the disks stage finds
partitions through /dev/disk/by-partlabel links that udev makes from ignite's own table."""
from __future__ import annotations

import pytest
from disks_helpers import config


def test_filesystems_by_partlabel_links(loopdevs, runner, udevd):
    if udevd is None:
        pytest.skip("no systemd-udevd/nsenter here, or not root")
    dev = loopdevs.create(64)
    label = f"ignt-{dev.rsplit('loop', 1)[1]}"
    runner.run("disks", config({
        "disks": [{"device": dev, "partitions": [{"number": 1, "label": f"{label}-a", "sizeMiB": 16},
                                                 {"number": 2, "label": f"{label}-b", "sizeMiB": 0}]}],
        "filesystems": [{"device": f"/dev/disk/by-partlabel/{label}-a", "format": "ext4", "label": f"{label}A"},
                        {"device": f"/dev/disk/by-partlabel/{label}-b", "format": "ext4",
                         "label": f"{label}B"}]}))
    udevd.settle(loopdevs, dev)
    assert loopdevs.blkid(f"{dev}p1")["LABEL"] == f"{label}A"
    assert loopdevs.blkid(f"{dev}p2")["LABEL"] == f"{label}B"
    import os

    assert os.path.realpath(f"/dev/disk/by-label/{label}A") == f"{dev}p1"
