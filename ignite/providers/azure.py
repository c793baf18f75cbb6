"""Azure: user data from IMDS (base64; 404/410/429 retried), else the provisioning
media: a UDF CD-ROM with ovf-env.xml, whose CustomData.bin is the config.

init() gets the VM's managed-identity token for Azure Storage: https sources on
*.blob.core.windows.net are then tried through the blob API first, then as plain HTTPS,
as upstream (which uses the whole DefaultAzureCredential chain; here: managed identity)."""
from __future__ import annotations

import dataclasses
import fcntl
import json
import logging
import os
import tempfile
import time
from pathlib import Path

from ignite import distro
from ignite.errors import CommandError, IgniteError, ProviderError
from ignite.providers import ProviderContext
from ignite.providers.common import decode_base64, endpoint, http_get

log = logging.getLogger("ignite.providers")
ENDPOINT = "http://169.254.169.254"
USERDATA = "/metadata/instance/compute/userData?api-version=2021-01-01&format=text"
MEDIA_ENV = distro.AZURE_MEDIA_ENV  # tests: the devices to consider, colon-separated
CDROM_DRIVE_STATUS, CDS_DISC_OK = 0x5326, 4
POLL = 1.0


TOKEN = "/metadata/identity/oauth2/token?api-version=2018-02-01&resource=https%3A%2F%2Fstorage.azure.com%2F"
TOKEN_TIMEOUT = 10.0


def init(pctx: ProviderContext):  # type: ignore[no-untyped-def]
    settings = pctx.settings
    if pctx.offline:
        return settings
    short = dataclasses.replace(pctx, settings=dataclasses.replace(settings, http_total=TOKEN_TIMEOUT))
    try:
        body = http_get(short, endpoint("azure", ENDPOINT) + TOKEN, {"Metadata": "true"})
        token = json.loads(body or b"{}").get("access_token")
    except (IgniteError, ValueError, AttributeError) as exc:
        log.info("azure: no managed identity token (%s): blob URLs are fetched as plain HTTPS", exc)
        return settings
    return dataclasses.replace(settings, azure_blob_token=token or None)


def fetch(pctx: ProviderContext) -> bytes | None:
    url = endpoint("azure", ENDPOINT) + USERDATA
    body = http_get(pctx, url, {"Metadata": "true"}, empty_on_404=False, retry_statuses=frozenset({404, 410, 429}))
    if body:
        return decode_base64(body, "azure")
    log.info("azure: no user data in IMDS; looking for the provisioning media")
    return from_media("azure", ("udf",))


def from_media(platform: str, fstypes: tuple[str, ...], timeout: float | None = None) -> bytes | None:
    """CustomData.bin of the first medium with ovf-env.xml; waits (forever, as upstream) for one."""
    end = None if timeout is None else time.monotonic() + timeout
    while True:
        for fstype in fstypes:
            for device in _candidates(fstype):
                found, data = _read_media(platform, device, fstype)
                if found:
                    return data
        if end is not None and time.monotonic() >= end:
            raise ProviderError(platform, "no provisioning media (ovf-env.xml) found")
        time.sleep(POLL)


def _candidates(fstype: str) -> list[str]:
    if MEDIA_ENV in os.environ:
        return [d for d in os.environ[MEDIA_ENV].split(":") if d]
    from ignite.system.run import run

    try:
        out = run("blkid", "-t", f"TYPE={fstype}", "-o", "device").stdout
    except CommandError:
        return []  # blkid exits 2 when nothing matches
    return [d for d in out.split() if _disc_present(d)]


def _disc_present(device: str) -> bool:
    try:
        fd = os.open(device, os.O_RDONLY | os.O_NONBLOCK)
    except OSError:
        return False
    try:
        return fcntl.ioctl(fd, CDROM_DRIVE_STATUS, 0) == CDS_DISC_OK
    except OSError:
        return False  # not a CD-ROM drive
    finally:
        os.close(fd)


def _read_media(platform: str, device: str, fstype: str) -> tuple[bool, bytes | None]:
    """(is a provisioning medium, CustomData.bin or None)."""
    from ignite.system.run import run

    with tempfile.TemporaryDirectory(prefix="ignite-ovf-") as mnt:
        try:
            run("mount", "-o", "ro", "-t", fstype, device, mnt)
        except IgniteError as exc:
            log.info("%s: cannot mount %s as %s: %s", platform, device, fstype, exc)
            return False, None
        try:
            if not (Path(mnt) / "ovf-env.xml").exists():
                return False, None
            try:
                return True, (Path(mnt) / "CustomData.bin").read_bytes() or None
            except FileNotFoundError:
                return True, None
        finally:
            run("umount", mnt)
