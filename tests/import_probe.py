"""One ignite command run as the initramfs starts it (`python -I -S`: no site, no
editable-install finder), reporting the modules it loaded: the start-up import contracts
(tests/stages/test_*_imports.py) are checked on what a real process imported."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def modules_loaded_by(argv: list[str]) -> tuple[subprocess.CompletedProcess[str], set[str]]:
    """The finished process and, when it exited 0, every module in its sys.modules."""
    probe = ("import sys\n"
             f"sys.path.insert(0, {str(REPO)!r})\n"
             "from ignite.cli import main\n"
             f"code = main({argv!r})\n"
             "sys.stdout.write(' '.join(sorted(sys.modules)) + '\\n' + str(code))\n")
    done = subprocess.run([sys.executable, "-I", "-S", "-c", probe], capture_output=True, text=True, timeout=120,
                          env=dict(os.environ))
    modules = set(done.stdout.rsplit("\n", 1)[0].split()) if done.returncode == 0 else set()
    return done, modules
