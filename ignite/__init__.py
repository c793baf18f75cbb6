"""ignite: first-boot provisioning in the spirit of CoreOS Ignition."""
from __future__ import annotations

import sys

TYPE_CHECKING = False
if TYPE_CHECKING:
    from types import ModuleType

__version__ = "0.1.0"


def import_module(name: str) -> ModuleType:
    """importlib.import_module for an absolute name, without importlib: importing it (and
    the warnings module it loads) is 1.3 million instructions of every stage process, about
    0.02 s of CPU under TCG."""
    __import__(name)
    return sys.modules[name]
