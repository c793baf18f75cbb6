"""One boot of the fetch-offline and fetch stages under tmp_path (cmdline, cache, state,
neednet), for the stage tests (test_stages.py, test_merge_replace.py,
test_certificate_authorities.py); the system config dirs are conftest.py's `system`."""
from __future__ import annotations

import json
from pathlib import Path

from ignite.stages import StageContext, run_stage


def cfg(**sections) -> dict:
    return {"ignition": {"version": "3.4.0", **sections.pop("ignition", {})}, **sections}


def dump(obj: dict) -> bytes:
    return json.dumps(obj).encode()


class Boot:
    """One boot's files (cmdline, cache, state, neednet) under tmp_path."""

    def __init__(self, tmp_path: Path, cmdline: str = "", platform: str | None = "file", config: bytes | None = None):
        self.dir = tmp_path
        (tmp_path / "cmdline").write_text(cmdline + "\n")
        self.config_file = None
        if config is not None:
            self.config_file = tmp_path / "user-config.ign"
            self.config_file.write_bytes(config)
        self.platform = platform

    def ctx(self, stage: str) -> StageContext:
        return StageContext(
            stage=stage, root=self.dir / "root", platform=self.platform,
            config_cache=self.dir / "run" / "ignition.json", state_file=self.dir / "run" / "ignition" / "state",
            neednet_file=self.dir / "run" / "ignition" / "neednet", cmdline_file=self.dir / "cmdline",
            config_file=self.config_file, fetch_timeout=10,
        )

    def run(self, stage: str) -> None:
        run_stage(self.ctx(stage))

    @property
    def cache(self) -> dict | None:
        path = self.dir / "run" / "ignition.json"
        return json.loads(path.read_bytes()) if path.exists() else None

    @property
    def neednet(self) -> bool:
        return (self.dir / "run" / "ignition" / "neednet").exists()

    @property
    def fetched(self) -> list[dict]:
        return json.loads((self.dir / "run" / "ignition" / "state").read_text())["fetchedConfigs"]
