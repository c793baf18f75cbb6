"""Copies ignite, its Python dependencies and the standard-library modules they use into
an initramfs tree, precompiled so that nothing compiles at boot.

Run by module-setup.sh with a Python that can import ignite and its dependencies (the
build environment); the interpreter that will run in the initramfs is --target-python
(Debian's /usr/bin/python3.X), whose own stdlib is what gets copied.

The stdlib subset is what a fresh interpreter loads (sys.modules) when it imports every
ignite module, every dependency, and every module named by an import statement anywhere in
ignite's own code, including the lazy ones inside functions. Packages are copied whole,
since their submodules are often imported by name at run time.

Prints the shared objects it installed, one a line, so that the caller can install the
libraries they link to (dracut resolves those only for executables).
"""
from __future__ import annotations

import argparse
import ast
import compileall
import os
import pkgutil
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

# Never wanted at boot even if some import statement names them.
EXCLUDED_STDLIB = {
    "tkinter", "idlelib", "test", "lib2to3", "ensurepip", "pydoc_data", "turtledemo",
    "distutils", "venv", "lib-dynload", "site-packages", "dist-packages",
}
# Always needed by the interpreter itself or by ignite's error paths; stringprep by the idna
# codec (encodings.idna), which socket.getaddrinfo applies to every host name given as str
# (no import statement names it).
ALWAYS_STDLIB = {"encodings", "codecs", "io", "abc", "os", "stat", "posixpath", "genericpath",
                 "_collections_abc", "traceback", "linecache", "tokenize", "token", "stringprep"}


def imported_names(files: list[Path]) -> set[str]:
    """Every absolute module name ignite's own code imports, at the top of a module or
    lazily inside a function (read from the source, not run)."""
    names: set[str] = set()
    for path in files:
        for node in ast.walk(ast.parse(path.read_bytes(), str(path))):
            if isinstance(node, ast.Import):
                names.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names.add(node.module)
    return names


def loaded_modules(import_names: list[str], search_path: list[str]) -> dict[str, str]:
    """Top-level name -> file (or package directory) of every module that importing
    `import_names` loads, in a fresh interpreter without site, as at boot (this script's
    own imports must not count). Built-in modules map to ""."""
    probe = (f"import sys, os; sys.path[:0] = {search_path!r}\n"
             f"for n in {sorted(import_names)!r}:\n"
             "    try: __import__(n)\n"
             "    except ImportError as e: print(f'ignite-payload: note: {n} does not import here: {e}', file=sys.stderr)\n"
             "for n, m in list(sys.modules.items()):\n"
             "    if '.' in n: continue\n"
             "    f = getattr(m, '__file__', None) or ''\n"
             "    if f and os.path.basename(f).startswith('__init__.'): f = os.path.dirname(f)\n"
             "    elif not f and getattr(m, '__path__', None): f = list(m.__path__)[0]\n"
             "    print(n + '\\t' + f)")
    out = subprocess.run([sys.executable, "-S", "-c", probe], check=True, stdout=subprocess.PIPE, text=True)
    return dict(line.split("\t", 1) for line in out.stdout.splitlines())


def site_dirs() -> list[str]:
    """Where this (build) Python finds third-party packages: a venv's site-packages, or
    Debian's dist-packages when ignite and its dependencies are installed system-wide
    (whose egg-info metadata lists no files, so the origins of the imported modules,
    not the distributions' metadata, say what to copy)."""
    return [p for p in sys.path if p.endswith(("site-packages", "dist-packages")) and os.path.isdir(p)]


def third_party(found: dict[str, str], sites: list[str]) -> dict[str, Path]:
    """The imported top-level modules that live in a site directory, ignite excepted."""
    return {name: Path(origin) for name, origin in sorted(found.items())
            if name != "ignite" and origin and any(origin.startswith(s + "/") for s in sites)}


def stdlib_modules(build_stdlib: Path, found: set[str]) -> set[str]:
    builtin = set(sys.builtin_module_names)
    used = set()
    for name in found | ALWAYS_STDLIB:
        if name in builtin or name in EXCLUDED_STDLIB:
            continue
        if (build_stdlib / name).is_dir() or (build_stdlib / f"{name}.py").exists() or \
                list((build_stdlib / "lib-dynload").glob(f"{name}.cpython-*.so")):
            used.add(name)
    return used


def copy_stdlib(names: set[str], target_stdlib: Path, dest: Path) -> list[Path]:
    out = dest / target_stdlib.relative_to("/")
    sos = []
    for name in sorted(names):
        src = target_stdlib / name
        if src.is_dir():
            shutil.copytree(src, out / name, dirs_exist_ok=True,
                            ignore=shutil.ignore_patterns("test", "tests", "idle_test"))
        elif src.with_suffix(".py").exists():
            (out / "__pycache__").mkdir(parents=True, exist_ok=True)
            shutil.copy2(src.with_suffix(".py"), out / f"{name}.py")
        for so in (target_stdlib / "lib-dynload").glob(f"{name}.cpython-*.so"):
            (out / "lib-dynload").mkdir(parents=True, exist_ok=True)
            shutil.copy2(so, out / "lib-dynload" / so.name)
            sos.append(out / "lib-dynload" / so.name)
    return sos


def copy_site(modules: dict[str, Path], dest: Path, site: str) -> list[Path]:
    out = dest / site.lstrip("/")
    out.mkdir(parents=True, exist_ok=True)
    for name, src in modules.items():
        if src.is_dir():
            shutil.copytree(src, out / name, dirs_exist_ok=True, symlinks=False,
                            ignore=shutil.ignore_patterns("__pycache__", "tests", "test"))
        else:
            shutil.copy2(src, out / src.name)
    return list(out.rglob("*.so"))


def ignite_source_files(package_dir: Path) -> list[Path]:
    return sorted(p for p in package_dir.rglob("*.py") if "__pycache__" not in p.parts)


def copy_ignite(package_dir: Path, dest: Path, site: str) -> None:
    out = dest / site.lstrip("/") / "ignite"
    shutil.copytree(package_dir, out, dirs_exist_ok=True,
                    ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))


def compile_tree(target_python: str, tree: Path, strip_prefix: Path, sourceless: bool) -> None:
    """Compile with the target interpreter, hash-based and unchecked: valid whatever the
    file times in the initramfs are, and never rewritten at boot. Sourceless: the .pyc
    takes the place of its .py (legacy layout, which Python imports without the source)
    and the sources go; tracebacks then show no source lines."""
    argv = [target_python, "-m", "compileall", "-q", "-j", "0", "--invalidation-mode", "unchecked-hash",
            "-s", str(strip_prefix), "-p", "/"]
    subprocess.run(argv + (["-b"] if sourceless else []) + [str(tree)], check=True)
    if sourceless:
        for py in tree.rglob("*.py"):
            if py.with_suffix(".pyc").exists():
                py.unlink()
        for cache in sorted(tree.rglob("__pycache__"), reverse=True):
            shutil.rmtree(cache)


def drop_exec_bits(tree: Path) -> None:
    # Some stdlib scripts carry #!/usr/local/bin/python: dracut would chase that interpreter.
    for p in tree.rglob("*.py"):
        mode = p.stat().st_mode
        if mode & 0o111:
            p.chmod(mode & ~0o111)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dest", type=Path, required=True, help="the initramfs tree ($initdir)")
    ap.add_argument("--target-python", default="/usr/bin/python3.11")
    ap.add_argument("--site", default="/usr/lib/ignite/site")
    ap.add_argument("--manifest", type=Path, help="write the stdlib module list here")
    ap.add_argument("--with-sources", action="store_true",
                    help="keep the .py files (tracebacks with source lines; ~40%% larger)")
    args = ap.parse_args()

    target_stdlib = Path(subprocess.run(
        [args.target_python, "-IS", "-c", "import sysconfig; print(sysconfig.get_paths()['stdlib'])"],
        check=True, capture_output=True, text=True).stdout.strip())
    build_stdlib = Path(sysconfig.get_paths()["stdlib"])

    import ignite

    package_dir = Path(ignite.__file__).parent
    own_modules = sorted(m.name for m in pkgutil.walk_packages(ignite.__path__, prefix="ignite.")
                         if m.name != "ignite.__main__")
    sites = site_dirs()
    search_path = [str(package_dir.parent)] + sites
    wanted = {"ignite", *own_modules, *imported_names(ignite_source_files(package_dir))}
    found = loaded_modules(sorted(wanted), search_path)
    names = stdlib_modules(build_stdlib, set(found))
    # Only the third-party modules something actually imports.
    deps = third_party(found, sites)

    sos = copy_stdlib(names, target_stdlib, args.dest)
    sos += copy_site(deps, args.dest, args.site)
    copy_ignite(package_dir, args.dest, args.site)
    for tree in (args.dest / target_stdlib.relative_to("/"), args.dest / args.site.lstrip("/")):
        drop_exec_bits(tree)
        compile_tree(args.target_python, tree, args.dest, sourceless=not args.with_sources)
    if args.manifest:
        args.manifest.write_text("".join(f"{n}\n" for n in sorted(names)))
    for so in sos:
        print(so)
    return 0


if __name__ == "__main__":
    os.umask(0o022)
    sys.exit(main())
