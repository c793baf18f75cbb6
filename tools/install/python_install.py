"""Installs ignite's wheel for the target's own Python (`make install`'s Python part):

    python_install.py WHEEL --prefix PREFIX [--destdir DESTDIR]

Run it with the target interpreter (/usr/bin/python3): the package goes where that
interpreter looks for PREFIX's packages, and the `ignite` command's #! names it.
  - Debian, PREFIX=/usr:        /usr/lib/python3/dist-packages (Debian's own scheme)
  - Debian, PREFIX=/usr/local:  /usr/local/lib/python3.X/dist-packages
  - otherwise:                  PREFIX/lib/python3.X/site-packages
Dependencies are not installed: they come from the distribution (pyudev).
Uses the `installer` library (Debian: python3-installer), as Debian's pybuild does.
"""
from __future__ import annotations

import argparse
import sys
import sysconfig
from pathlib import Path

INSTALLER = "ignite-make-install"


def scheme(prefix: str) -> dict[str, str]:
    names = sysconfig.get_scheme_names()
    prefix = prefix.rstrip("/") or "/"
    if "deb_system" in names and prefix == "/usr":
        paths = sysconfig.get_paths("deb_system")
    elif "posix_local" in names and prefix == "/usr/local":
        paths = sysconfig.get_paths("posix_local", vars={"base": "/usr", "platbase": "/usr"})
    else:
        paths = sysconfig.get_paths("posix_prefix", vars={"base": prefix, "platbase": prefix,
                                                          "installed_base": prefix,
                                                          "installed_platbase": prefix})
    return {
        "purelib": paths["purelib"],
        "platlib": paths["purelib"],  # ignite is pure Python
        "headers": str(Path(prefix, "include", "ignite")),
        "scripts": str(Path(prefix, "bin")),
        "data": prefix,
    }


def on_sys_path(directory: str) -> bool:
    return any(Path(p) == Path(directory) for p in sys.path if p)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("wheel", type=Path)
    ap.add_argument("--prefix", required=True)
    ap.add_argument("--destdir", default="")
    args = ap.parse_args()
    try:
        from installer import install
        from installer.destinations import SchemeDictionaryDestination
        from installer.sources import WheelFile
    except ModuleNotFoundError:
        print(f"make install: {sys.executable} has no `installer` module "
              "(Debian: apt-get install python3-installer; elsewhere: pip install installer)", file=sys.stderr)
        return 2
    paths = scheme(args.prefix)
    destination = SchemeDictionaryDestination(
        paths, interpreter=sys.executable, script_kind="posix",
        bytecode_optimization_levels=(), destdir=args.destdir or None)
    with WheelFile.open(args.wheel) as source:
        install(source, destination, additional_metadata={"INSTALLER": INSTALLER.encode() + b"\n"})
    print(f"make install: ignite's Python package in {args.destdir}{paths['purelib']}, "
          f"the ignite command in {args.destdir}{paths['scripts']}")
    if not on_sys_path(paths["purelib"]):
        print(f"make install: note: {sys.executable} does not look in {paths['purelib']}; "
              f"the ignite command will not find its package unless PYTHONPATH names it "
              f"(PREFIX=/usr or /usr/local avoid this)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
