"""Platform providers: where a platform keeps the user config, one module per platform.

A provider module has
    fetch(pctx: ProviderContext) -> bytes | None     None (or b"") = "no config": continue empty
and optionally
    init(pctx) -> FetchSettings    run by every fetch stage first (AWS: token, region, credentials)
    status(pctx, stage, error)     after a stage (Packet phones home)
Errors are ProviderError (or FetchError); in fetch-offline a network need is FetchError
kind "neednet", raised before any I/O.

Every network endpoint is a module constant that an environment variable
IGNITE_ENDPOINT_<PLATFORM> overrides (tests point them at 127.0.0.1)."""
from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from ignite.errors import UsageError

if TYPE_CHECKING:
    from ignite.config.model import Config
    from ignite.resource import FetchSettings

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


@dataclass(frozen=True)
class ProviderContext:
    platform: str
    settings: FetchSettings  # for the provider's own fetches; http_total is the fetch timeout
    config_file: str | None = None  # the `file` platform

    @property
    def offline(self) -> bool:
        return self.settings.offline


def canonical(platform: str) -> str:
    return LEGACY.get(platform, platform)


def settings_for(platform: str | None, config: Config, *, offline: bool = False) -> FetchSettings:
    """FetchSettings for a stage after the fetch stages: the platform's init (AWS region and
    role credentials for s3://, GCP token for gs://), as upstream runs it in every stage,
    then the config's timeouts, proxy and CAs."""
    from ignite.resource import FetchSettings
    from ignite.resource.settings import settings_from_config

    base = FetchSettings(offline=offline)
    init = init_hook(get(platform)) if platform else None
    if init is not None and not offline:
        base = init(ProviderContext(canonical(platform or ""), base))
    return settings_from_config(config, offline=offline, base=base)


def get(platform: str) -> Provider:
    name = canonical(platform)
    if name not in PLATFORMS:
        raise UsageError(f"unknown platform {platform!r}; platforms are: {', '.join(PLATFORMS)}")
    provider: Provider = importlib.import_module(f"ignite.providers.{name}")  # the module is the provider
    return provider


# --- the contract of a provider module, for type checkers ------------------------------
# A provider is a module, so the optional hooks are found with getattr; these name them
# all, with their types. Nothing here runs at start-up beyond the class statements.


class Provider(Protocol):
    def fetch(self, pctx: ProviderContext) -> bytes | None:
        """The user config; None (or b"") when the platform has none."""


class InitHook(Protocol):
    """`init(pctx)`: run by every fetch first; returns the settings for the fetches (AWS's
    token, region and credentials, GCP's token)."""

    def __call__(self, pctx: ProviderContext) -> FetchSettings: ...


class StatusHook(Protocol):
    """`status(pctx, stage, error)`: after every stage, with its outcome (Packet phones
    home); called by the stage runner only (stages.run_stage)."""

    def __call__(self, pctx: ProviderContext, stage: str, error: BaseException | None) -> None: ...


class OutputFilesHook(Protocol):
    """`output_files(pctx)`: files the provider wants in the target (Hyper-V's KVP pools),
    recorded in the state for the files stage."""

    def __call__(self, pctx: ProviderContext) -> list[dict[str, Any]]: ...


def init_hook(provider: Provider) -> InitHook | None:
    hook: InitHook | None = getattr(provider, "init", None)
    return hook


def status_hook(provider: Provider) -> StatusHook | None:
    hook: StatusHook | None = getattr(provider, "status", None)
    return hook


def output_files_hook(provider: Provider) -> OutputFilesHook | None:
    hook: OutputFilesHook | None = getattr(provider, "output_files", None)
    return hook
