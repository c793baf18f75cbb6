"""Records what a real `butane` does with every config of the corpus: its JSON, its verdict,
its diagnostics, without and with --strict, and with a files directory (-d files/).

    python tests/butane/regen_fixtures.py /path/to/butane

The binary is the caller's (this script builds nothing); its `--version` names the fixture
file. CI cannot run butane, so the fixtures it writes are what tests/butane checks ignite
against."""
from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
CORPUS = HERE / "corpus"
FILES = HERE / "files"
FILES_DIR_PLACEHOLDER = "{FILES_DIR}"
HEADER = re.compile(r"^(warning|error)\[(.*)\]:$")
WHERE = re.compile(r"^\s*--> .*?:(\d+):(\d+)$")
MESSAGE = re.compile(r"^\s+\|\s+\^*\s*(\S.*)$")  # under the source line: carets (maybe none), message
# the short form, when butane has no source line to show
SHORT = re.compile(r"^(warning|error) at (\S+), line (\d+) col (\d+): (.*)$")


def diagnostics(stderr: str) -> tuple[list[dict[str, Any]], str | None]:
    """Butane's rendered report back into entries (kind, path, line, column, message) and
    the final "Error translating config: ..." line, if any."""
    entries: list[dict[str, Any]] = []
    failure = None
    current: dict[str, Any] | None = None
    for line in stderr.splitlines():
        short = SHORT.match(line)
        if short:
            entries.append({"kind": short.group(1), "path": short.group(2), "line": int(short.group(3)),
                            "column": int(short.group(4)), "message": short.group(5)})
            current = None
            continue
        head = HEADER.match(line)
        if head:
            current = {"kind": head.group(1), "path": head.group(2), "line": None, "column": None, "message": None}
            entries.append(current)
            continue
        if (
            line.startswith("Error translating config: ")
            or line == "Config produced warnings and --strict was specified"
        ):
            failure = line
            current = None
            continue
        if current is None:
            continue
        where = WHERE.match(line)
        if where and current["line"] is None:
            current["line"], current["column"] = int(where.group(1)), int(where.group(2))
            continue
        msg = MESSAGE.match(line)
        if msg and current["message"] is None:
            current["message"] = msg.group(1)
        elif line.startswith(f"{current['kind']}: ") and current["message"] is None:
            current["message"] = line.split(": ", 1)[1]
    if failure and failure.startswith("Error translating config: "):
        # a multi-line unmarshal error: keep it whole
        failure = stderr[stderr.index("Error translating config: "):].rstrip("\n")
    return entries, failure


def run(butane: str, args: list[str], name: str) -> dict[str, Any]:
    done = subprocess.run([butane, *args, name], cwd=CORPUS, capture_output=True, timeout=60)
    stderr = done.stderr.decode("utf-8", "replace")
    entries, failure = diagnostics(stderr)
    # butane lists some entries in Go's random map order: sorted, the fixtures are stable
    entries.sort(key=lambda e: (e["line"] or 0, e["column"] or 0, e["kind"], e["path"], e["message"] or ""))
    out = done.stdout.decode("utf-8", "replace")
    try:
        output = json.loads(out) if done.returncode == 0 else None
    except ValueError:  # openshift's MachineConfig is YAML; an empty document prints nothing
        output = None
    record: dict[str, Any] = {"rc": done.returncode, "output": output, "diagnostics": entries, "failure": failure}
    if out:
        record["stdout"] = out  # byte for byte: the output's key order is part of the contract
    return record


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    butane = argv[1]
    version = subprocess.run([butane, "--version"], capture_output=True, text=True, check=True).stdout.split()[-1]
    cases = {}
    for path in sorted(CORPUS.glob("*.bu")):
        cases[path.stem] = {
            "plain": run(butane, [], path.name),
            "strict": run(butane, ["--strict"], path.name),
            "files_dir": run(butane, ["--files-dir", str(FILES)], path.name),
        }
    target = HERE / "fixtures" / f"butane-{version}.json"
    text = json.dumps({"butane": version, "cases": cases}, indent=1, sort_keys=True) + "\n"
    # butane names missing local files by absolute path: the checkout's place is not part of it
    target.write_text(text.replace(str(FILES), FILES_DIR_PLACEHOLDER))
    print(f"{len(cases)} configs -> {target.relative_to(HERE.parent.parent)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
