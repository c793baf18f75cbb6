"""gs://bucket/object through the Cloud Storage JSON API; anonymous unless the GCP
provider found a service-account token."""
from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING
from urllib.parse import quote, urlsplit

from ignite import distro
from ignite.errors import FetchError
from ignite.resource.retry import Deadline

if TYPE_CHECKING:
    from ignite.config.model import Resource
    from ignite.resource import FetchSettings

ENDPOINT_ENV = distro.GS_ENDPOINT_ENV


def object_url(url: str, endpoint: str) -> str:
    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    if not parts.netloc or not name:
        raise FetchError(url, "scheme", "a gs URL is gs://bucket/object")
    return f"{endpoint.rstrip('/')}/storage/v1/b/{parts.netloc}/o/{quote(name, safe='')}?alt=media"


def stream(url: str, resource: Resource, settings: FetchSettings) -> Iterator[bytes]:
    from ignite.resource.http import Client

    target = object_url(url, distro.env(ENDPOINT_ENV) or settings.gs_endpoint)
    from ignite.resource.credentials import gs_token

    try:
        token = gs_token(settings)
    except FetchError as exc:
        raise FetchError(url, exc.kind, exc.detail) from None
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    deadline = Deadline(settings.http_total)
    with Client(settings) as client:
        try:
            response = client.get(target, headers, deadline)
        except FetchError as exc:
            raise FetchError(url, exc.kind, exc.detail) from None
        yield from client.body(response, url, deadline)
