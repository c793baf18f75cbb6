"""Azure: user data from IMDS (base64; 404/410/429 retried), else the provisioning
media: a UDF CD-ROM with ovf-env.xml, whose CustomData.bin is the config.

credentials(): the VM's managed-identity token for Azure Storage: https sources on
*.blob.core.windows.net are then tried through the blob API first, then as plain HTTPS,
as upstream (which uses the whole DefaultAzureCredential chain; here: managed identity)."""
from __future__ import annotations

import fcntl
import json
import logging
import os
import time
from pathlib import Path
from typing import TYPE_CHECKING

from ignite import distro
from ignite.errors import CommandError, FetchError, MountError, ProviderError
from ignite.providers import ProviderContext
from ignite.providers.common import decode_base64, endpoint, http_get
from ignite.resource.credentials import AZURE, Loader, credential_error
from ignite.system.mounts import Mounted

if TYPE_CHECKING:
    from ignite.resource import FetchSettings

log = logging.getLogger("ignite.providers")
ENDPOINT = "http://169.254.169.254"
USERDATA = "/metadata/instance/compute/userData?api-version=2021-01-01&format=text"
MEDIA_ENV = distro.AZURE_MEDIA_ENV  # tests: the devices to consider, colon-separated
CDROM_DRIVE_STATUS, CDS_DISC_OK = 0x5326, 4
POLL = 1.0


TOKEN = "/metadata/identity/oauth2/token?api-version=2018-02-01&resource=https%3A%2F%2Fstorage.azure.com%2F"


def credentials() -> dict[str, Loader]:
    return {AZURE: blob_token}


def blob_token(settings: FetchSettings) -> str:
    """The VM's managed-identity token for Azure Storage, asked for when a blob URL first
    needs it; a failure is an error naming it (the URL is then tried as plain HTTPS)."""
    url = endpoint("azure", ENDPOINT) + TOKEN
    try:
        body = http_get(ProviderContext("azure", settings), url, {"Metadata": "true"}, empty_on_404=False) or b""
    except FetchError as exc:
        raise credential_error("the Azure managed-identity token from IMDS", url, exc) from None
    try:
        return str(json.loads(body)["access_token"])
    except (ValueError, KeyError, TypeError) as exc:
        raise FetchError(
            url, "credentials", f"cannot get the Azure managed-identity token from IMDS: malformed answer ({exc})"
        ) from None


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
    try:
        with Mounted(device, "ignite-ovf-", fstype=fstype) as mnt:
            if not (Path(mnt) / "ovf-env.xml").exists():
                return False, None
            try:
                return True, (Path(mnt) / "CustomData.bin").read_bytes() or None
            except FileNotFoundError:
                return True, None
    except MountError as exc:
        log.info("%s: cannot mount %s as %s: %s", platform, device, fstype, exc)
        return False, None
