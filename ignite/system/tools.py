"""The external tools ignite runs (named in ignite/distro.py, so that a distribution can change them).

Each can be overridden with an environment variable IGNITE_TOOL_<NAME> (upper case,
dashes and dots as underscores), e.g. IGNITE_TOOL_SGDISK=/opt/bin/sgdisk.
"""
from __future__ import annotations

from ignite.distro import TOOL_ENV_PREFIX, TOOLS, env


def tool(name: str) -> str:
    """The executable for a logical tool name."""
    override = env(TOOL_ENV_PREFIX + name.upper().replace("-", "_").replace(".", "_"))
    return override or TOOLS[name]
