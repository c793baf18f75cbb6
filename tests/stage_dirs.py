"""A first boot's files as the stage units see them (a cached config, the state's folder, a
root, a kernel command line), and one stage run through the CLI as the units call it."""
from __future__ import annotations

import json
from pathlib import Path

from ignite import cli


def boot(tmp_path: Path, config: dict, cmdline: str = "") -> dict[str, Path]:
    from ignite.config import codec

    run = tmp_path / "run"
    run.mkdir(exist_ok=True)
    (tmp_path / "root").mkdir(exist_ok=True)
    cache = run / "ignition.json"
    cache.write_text(json.dumps(codec.to_json(codec.config_from_json(config))))
    (tmp_path / "cmdline").write_text(cmdline + "\n")
    return {"cache": cache, "state": run / "ignition" / "state", "root": tmp_path / "root",
            "cmdline": tmp_path / "cmdline"}


def run_stage(stage: str, paths: dict[str, Path]) -> int:
    return cli.main(["run", f"--stage={stage}", "--platform=file", f"--root={paths['root']}",
                     f"--config-cache={paths['cache']}", f"--state-file={paths['state']}",
                     f"--cmdline={paths['cmdline']}", f"--neednet={paths['root']}/../neednet"])
