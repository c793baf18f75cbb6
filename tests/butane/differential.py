"""Random Butane configs through ignite and a real butane binary, comparing verdicts (plain
and --strict) and configs: a search for disagreements the corpus does not cover yet.

    python tests/butane/differential.py /path/to/butane [COUNT] [SEED]

Half the configs are generated field by field (odd YAML scalars in every field of the
common sections), half are corpus configs with one to three line mutations (a tab, a
duplicated or deleted line, a stray character...). Prints each disagreement; add the
interesting ones to corpus/ and rerun regen_fixtures.py. Builds nothing; CI does not run
it (it needs butane)."""
from __future__ import annotations

import base64
import gzip
import json
import random
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[1]))

from ignite.config.butane.translate import translate  # noqa: E402

VALUES = ["0644", "644", "0o755", '"0644"', "yes", "no", "on", "true", "null", "~", "", "1.5", "-1", "99999", "abc",
          "[a, b]", "{a: 1}", "/etc/x", "etc/x", '"/etc/x"', "0x10", "1_0", "'it''s'", '"a\\nb"',
          "|\n          block\n", ">-\n          folded\n", "!!str 12", '!!int "12"', "&x /etc/y", "2001-01-01",
          ".inf", ".nan", "+12", "0b101", "0999", "Yes", "OFF", "n", "[{number: 1, label: root, size_mib: 100}]",
          "[{label: boot}, {number: 4, label: root}]", '[{inline: x}, {source: "http://x/y"}]', "[ro, nodev]"]
FIELDS = {
    "storage.files": ["path", "mode", "overwrite", "contents.inline", "contents.source", "contents.compression",
                      "user.id", "user.name", "group.id", "append"],
    "storage.directories": ["path", "mode", "overwrite"],
    "storage.links": ["path", "target", "hard"],
    "systemd.units": ["name", "enabled", "mask", "contents"],
    "passwd.users": ["name", "uid", "groups", "ssh_authorized_keys", "shell", "no_create_home"],
    "storage.filesystems": ["device", "format", "path", "with_mount_unit", "label", "wipe_filesystem", "mount_options"],
    "storage.disks": ["device", "wipe_table", "partitions"],
}
SPECS = [("fcos", v) for v in ("1.0.0", "1.1.0", "1.2.0", "1.3.0", "1.4.0", "1.5.0", "1.6.0", "1.7.0",
                               "1.8.0-experimental")] + [("flatcar", "1.1.0"), ("r4e", "1.1.0"), ("fiot", "1.0.0")]


def generated(rng: random.Random) -> str:
    variant, version = rng.choice(SPECS)
    section, fields = rng.choice(list(FIELDS.items()))
    top, sub = section.split(".")
    lines = [f"variant: {variant}", f"version: {version}", f"{top}:", f"  {sub}:"]
    for _ in range(rng.randint(1, 3)):
        for n, field in enumerate(rng.sample(fields, rng.randint(1, min(4, len(fields))))):
            value = rng.choice(VALUES)
            lead = "    - " if n == 0 else "      "
            if "." in field:
                outer, inner = field.split(".")
                lines += [f"{lead}{outer}:", f"        {inner}: {value}"]
            else:
                lines.append(f"{lead}{field}: {value}")
    return "\n".join(lines) + "\n"


def mutated(rng: random.Random) -> str:
    corpus = [p for p in sorted((HERE / "corpus").glob("*.bu")) if "laughs" not in p.name and "long" not in p.name]
    lines = rng.choice(corpus).read_text(encoding="utf-8").split("\n")
    for _ in range(rng.randint(1, 3)):
        k = rng.randrange(len(lines))
        op = rng.choice(["dup", "del", "tab", "indent", "char", "swap", "colon", "dash", "quote"])
        if op == "dup":
            lines.insert(k, lines[k])
        elif op == "del" and len(lines) > 3:
            del lines[k]
        elif op == "tab":
            lines[k] = "\t" + lines[k]
        elif op == "indent":
            lines[k] = " " + lines[k]
        elif op == "char" and lines[k]:
            j = rng.randrange(len(lines[k]))
            lines[k] = lines[k][:j] + rng.choice("#:-[]{}&*!|>'\" 0xé") + lines[k][j + 1:]
        elif op == "swap":
            j = rng.randrange(len(lines))
            lines[k], lines[j] = lines[j], lines[k]
        elif op in ("colon", "dash", "quote"):
            old, new = {"colon": (": ", ":"), "dash": ("- ", ""), "quote": (": ", ': "')}[op]
            lines[k] = lines[k].replace(old, new, 1)
    return "\n".join(lines)


def comparable(obj: Any) -> Any:
    if isinstance(obj, dict):
        out = {k: comparable(v) for k, v in obj.items()}
        if out.get("compression") == "gzip" and str(out.get("source", "")).startswith("data:;base64,"):
            out["source"] = gzip.decompress(base64.b64decode(out["source"][len("data:;base64,"):]))
        return out
    if isinstance(obj, list):
        return [comparable(v) for v in obj]
    return obj


def main(argv: list[str]) -> int:
    if len(argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    butane, count = argv[1], int(argv[2]) if len(argv) > 2 else 500
    rng = random.Random(int(argv[3]) if len(argv) > 3 else 1)
    files = str(HERE / "files")
    disagreements = 0
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "config.bu"
        for i in range(count):
            text = generated(rng) if i % 2 else mutated(rng)
            if "variant: openshift" in text:
                continue  # refused on purpose
            path.write_text(text, encoding="utf-8")
            for strict in (False, True):
                done = subprocess.run([butane, "-d", files, *(["--strict"] if strict else []), str(path)],
                                      capture_output=True, text=True, timeout=60, check=False)
                ours = translate(text, files_dir=files, strict=strict)
                same = (ours.config is not None) == (done.returncode == 0)
                if same and ours.config is not None:
                    same = comparable(ours.config) == comparable(json.loads(done.stdout))
                if not same:
                    disagreements += 1
                    print(f"--- strict={strict}\n{text}\nbutane: exit {done.returncode} {done.stdout[:300]}"
                          f"{done.stderr[-300:]}\nignite: {ours.error} {json.dumps(ours.config)[:300]}")
    print(f"{disagreements} disagreements in {count} configs (each plain and --strict)")
    return 1 if disagreements else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
