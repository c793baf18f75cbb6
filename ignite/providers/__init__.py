"""Platform providers: where a platform keeps the user config, one module per platform.

A provider module has
    fetch(pctx: ProviderContext) -> bytes | None     None (or b"") = "no config": continue empty
and optionally
    credentials() -> {name: lookup}  lazy cloud credentials for resources (AWS, GCP, Azure),
                                     made in every stage, fetched on first need
    status(pctx, stage, error)     after a stage (Packet phones home)
    delete_config(pctx)            at the end of a successful files stage: remove the config
                                   where the platform keeps it (VMware, VirtualBox)
Errors are ProviderError (or FetchError); in fetch-offline a network need is FetchError
kind "neednet", raised before any I/O.

Every network endpoint is a module constant that an environment variable
IGNITE_ENDPOINT_<PLATFORM> overrides (tests point them at 127.0.0.1)."""
from __future__ import annotations

from ignite import import_module
from ignite.errors import UsageError

TYPE_CHECKING = False  # not typing's, nor dataclasses: every files stage asks for credentials
if TYPE_CHECKING:
    from typing import Any, Protocol

    from ignite.config.model import Config
    from ignite.resource import FetchSettings
    from ignite.resource.credentials import Loader, PlatformCredentials

PLATFORMS = (
    "akamai", "aliyun", "applehv", "aws", "azure", "azurestack", "brightbox", "cloudstack",
    "digitalocean", "exoscale", "file", "gcp", "hetzner", "hyperv", "ibmcloud", "kubevirt",
    "metal", "nutanix", "nvidiabluefield", "openstack", "oraclecloud", "packet", "powervs",
    "proxmoxve", "qemu", "scaleway", "upcloud", "virtualbox", "vmware", "vultr", "zvm",
)
# Ignition 0.x / Container Linux / Flatcar ids.
LEGACY = {
    "ec2": "aws", "gce": "gcp", "pxe": "metal", "vagrant-virtualbox": "virtualbox",
    "cloudsigma": "metal", "niftycloud": "metal", "rackspace": "metal", "rackspace-onmetal": "metal",
    "vagrant": "metal", "interoute": "metal",
}


class ProviderContext:
    """What a provider is given. (Not a dataclass: its import costs a files stage ~8 ms.)"""

    __slots__ = ("platform", "settings", "config_file")

    def __init__(self, platform: str, settings: FetchSettings, config_file: str | None = None) -> None:
        self.platform = platform
        self.settings = settings  # for the provider's own fetches; http_total is the fetch timeout
        self.config_file = config_file  # the `file` platform

    def __repr__(self) -> str:
        return f"ProviderContext({self.platform!r}, {self.settings!r}, config_file={self.config_file!r})"

    @property
    def offline(self) -> bool:
        return self.settings.offline


# Platforms whose provider lends credentials to resource fetches (S3, GCS, Azure blobs):
# known here so that a files stage elsewhere imports no provider module (tests check
# this against the modules).
CREDENTIAL_PLATFORMS = frozenset({"aws", "gcp", "azure"})


def canonical(platform: str) -> str:
    return LEGACY.get(platform, platform)


def settings_for(platform: str | None, config: Config, *, offline: bool = False) -> FetchSettings:
    """FetchSettings for a stage after the fetch stages: the platform's credentials (AWS
    region and role for s3://, GCP token for gs://, Azure identity for blobs), as upstream
    has them in every stage, then the config's timeouts, proxy and CAs."""
    from ignite.resource import FetchSettings
    from ignite.resource.settings import settings_from_config

    base = FetchSettings(offline=offline, credentials=credentials_for(platform))
    return settings_from_config(config, offline=offline, base=base)


def credentials_for(platform: str | None) -> PlatformCredentials | None:
    """The platform's lazy credentials (nothing is fetched here); on GCE the GCS token is
    lent whatever the platform, as upstream."""
    if not platform:
        return None
    name = canonical(platform)
    if name not in PLATFORMS:
        get(name)  # an unknown platform: get's error, as when its module was always loaded
    lookups = credentials_hook(get(name)) if name in CREDENTIAL_PLATFORMS else None
    loaders = dict(lookups()) if lookups is not None else {}
    if name != "gcp" and _on_gce():
        from ignite.providers import gcp

        loaders.update(gcp.credentials())
    if not loaders:
        return None
    from ignite.resource.credentials import PlatformCredentials

    return PlatformCredentials(name, loaders)


def _on_gce() -> bool:
    """Whether this runs on GCE, without importing the gcp provider (its fetch machinery costs every files
    stage off GCE a few ms): the DMI product name tells."""
    from ignite import distro

    try:
        with open(distro.DMI_DIR + "/product_name", encoding="utf-8", errors="replace") as f:
            return f.read().strip() in ("Google", "Google Compute Engine")
    except OSError:
        return False


def get(platform: str) -> Provider:
    name = canonical(platform)
    if name not in PLATFORMS:
        raise UsageError(f"unknown platform {platform!r}; platforms are: {', '.join(PLATFORMS)}")
    provider: Provider = import_module(f"ignite.providers.{name}")  # the module is the provider
    return provider


# --- the contract of a provider module, for type checkers ------------------------------
# A provider is a module, so the optional hooks are found with getattr; these name them
# all, with their types. For type checkers only: typing costs every files stage ~2 ms.

if TYPE_CHECKING:
    class Provider(Protocol):
        def fetch(self, pctx: ProviderContext) -> bytes | None:
            """The user config; None (or b"") when the platform has none."""

    class CredentialsHook(Protocol):
        """`credentials()`: named lazy lookups of the platform's cloud credentials (AWS's role
        and region, GCP's token, Azure's managed identity), made in every stage and run on
        first need (resource/credentials.py)."""

        def __call__(self) -> dict[str, Loader]: ...

    class DeleteConfigHook(Protocol):
        """`delete_config(pctx)`: at the end of a successful files stage, remove the config
        where the platform keeps it (VMware guestinfo, VirtualBox guest properties)."""

        def __call__(self, pctx: ProviderContext) -> None: ...

    class StatusHook(Protocol):
        """`status(pctx, stage, error)`: after every stage, with its outcome (Packet phones
        home); called by the stage runner only (stages.run_stage)."""

        def __call__(self, pctx: ProviderContext, stage: str, error: BaseException | None) -> None: ...

    class OutputFilesHook(Protocol):
        """`output_files(pctx)`: files the provider wants in the target (Hyper-V's KVP pools),
        recorded in the state for the files stage."""

        def __call__(self, pctx: ProviderContext) -> list[dict[str, Any]]: ...


def credentials_hook(provider: Provider) -> CredentialsHook | None:
    hook: CredentialsHook | None = getattr(provider, "credentials", None)
    return hook


def delete_config_hook(provider: Provider) -> DeleteConfigHook | None:
    hook: DeleteConfigHook | None = getattr(provider, "delete_config", None)
    return hook


def status_hook(provider: Provider) -> StatusHook | None:
    hook: StatusHook | None = getattr(provider, "status", None)
    return hook


def output_files_hook(provider: Provider) -> OutputFilesHook | None:
    hook: OutputFilesHook | None = getattr(provider, "output_files", None)
    return hook
