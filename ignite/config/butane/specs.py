"""Which Butane specs exist, what each builds on and which Ignition spec it produces."""
from __future__ import annotations


class Spec:
    """One Butane spec (a plain class: a dataclass costs more to import than this table)."""

    __slots__ = ("variant", "version", "base", "ignition", "filters")

    def __init__(self, variant: str, version: str, base: str, ignition: str,
                 filters: tuple[tuple[str, str], ...] = ()):
        self.variant = variant
        self.version = version
        self.base = base  # base schema: v0_1 .. v0_8_exp
        self.ignition = ignition  # the Ignition spec version of the output
        self.filters = filters  # Ignition fields the variant forbids: dotted JSON path, message

    @property
    def package(self) -> str:
        major, minor = self.version.split("-")[0].split(".")[:2]
        return f"v{major}_{minor}" + ("_exp" if "experimental" in self.version else "")

    @property
    def level(self) -> int:
        """The base schema's number: v0_5 -> 5, v0_8_exp -> 8."""
        return int(self.base.split("_")[1])


_EDGE_FILTERS = (
    ("kernelArguments", "kernel argument customization is not supported in this spec version"),
    ("storage.disks", "disk customization is not supported in this spec version"),
    ("storage.filesystems", "filesystem customization is not supported in this spec version"),
    ("storage.luks", "luks is not supported in this spec version"),
    ("storage.raid", "raid is not supported in this spec version"),
)
_FLATCAR_FILTERS = (("storage.luks.clevis", "clevis is not supported in this spec version"),)

SPECS: dict[tuple[str, str], Spec] = {
    (s.variant, s.version): s
    for s in (
        Spec("fcos", "1.0.0", "v0_1", "3.0.0"),
        Spec("fcos", "1.1.0", "v0_2", "3.1.0"),
        Spec("fcos", "1.2.0", "v0_3", "3.2.0"),
        Spec("fcos", "1.3.0", "v0_3", "3.2.0"),
        Spec("fcos", "1.4.0", "v0_4", "3.3.0"),
        Spec("fcos", "1.5.0", "v0_5", "3.4.0"),
        Spec("fcos", "1.6.0", "v0_6", "3.5.0"),
        Spec("fcos", "1.7.0", "v0_7", "3.6.0"),
        Spec("fcos", "1.8.0-experimental", "v0_8_exp", "3.7.0-experimental"),
        Spec("flatcar", "1.0.0", "v0_4", "3.3.0", _FLATCAR_FILTERS),
        Spec("flatcar", "1.1.0", "v0_5", "3.4.0", _FLATCAR_FILTERS),
        Spec("flatcar", "1.2.0-experimental", "v0_8_exp", "3.7.0-experimental"),
        Spec("r4e", "1.0.0", "v0_4", "3.3.0", _EDGE_FILTERS),
        Spec("r4e", "1.1.0", "v0_5", "3.4.0", _EDGE_FILTERS),
        Spec("r4e", "1.2.0-experimental", "v0_8_exp", "3.7.0-experimental", _EDGE_FILTERS),
        Spec("fiot", "1.0.0", "v0_5", "3.4.0", _EDGE_FILTERS),
        Spec("fiot", "1.1.0-experimental", "v0_8_exp", "3.7.0-experimental", _EDGE_FILTERS),
    )
}

# Variants Butane knows but ignite does not translate: MachineConfigs are not Ignition configs.
REFUSED = {
    "openshift": "the openshift variant produces a MachineConfig, not an Ignition config; ignite does not accept it",
    "rhcos": "rhcos variant has been removed; use openshift variant instead: https://coreos.github.io/butane/upgrading-openshift/",
}
