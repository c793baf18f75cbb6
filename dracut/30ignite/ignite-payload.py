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
import importlib.metadata as metadata
import os
import pkgutil
import re
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
# Always needed by the interpreter itself or by ignite's error paths.
ALWAYS_STDLIB = {"encodings", "codecs", "io", "abc", "os", "stat", "posixpath", "genericpath",
                 "_collections_abc", "traceback", "linecache", "tokenize", "token"}


def distribution_closure(names: list[str]) -> list[metadata.Distribution]:
    """The installed distributions `names` need at run time (no extras, markers honoured).
    Only the standard library is used: `pip install .` is all a build needs."""
    seen: dict[str, metadata.Distribution] = {}
    todo = list(names)
    env = marker_environment()
    while todo:
        name = re.sub(r"[-_.]+", "-", todo.pop()).lower()
        if name in seen:
            continue
        dist = metadata.distribution(name)
        seen[name] = dist
        for spec in dist.requires or []:
            req_name, _, marker = spec.partition(";")
            if marker.strip() and not evaluate_marker(marker, env):
                continue
            todo.append(re.match(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)", req_name).group(1))  # type: ignore[union-attr]
    return list(seen.values())


# --- environment markers (PEP 508), enough for dependency metadata ----------------------

_MARKER_TOKEN = re.compile(r"""\s*(?:(?P<str>'[^']*'|"[^"]*")|(?P<op>===|==|!=|<=|>=|~=|<|>|\(|\))|(?P<word>[A-Za-z_][A-Za-z0-9_.]*))""")
_VERSION_VARS = {"python_version", "python_full_version", "implementation_version", "platform_release"}


def marker_environment() -> dict[str, str]:
    import platform

    impl = sys.implementation
    version = f"{impl.version.major}.{impl.version.minor}.{impl.version.micro}"
    return {
        "python_version": "%d.%d" % sys.version_info[:2],
        "python_full_version": platform.python_version(),
        "implementation_name": impl.name,
        "implementation_version": version,
        "platform_python_implementation": platform.python_implementation(),
        "sys_platform": sys.platform,
        "os_name": os.name,
        "platform_system": platform.system(),
        "platform_machine": platform.machine(),
        "platform_release": platform.release(),
        "platform_version": platform.version(),
        "extra": "",
    }


def evaluate_marker(text: str, env: dict[str, str]) -> bool:
    """`text` (`python_version < "3.8" and extra == 'x'`) in `env`; ValueError if malformed."""
    tokens: list[tuple[str, str]] = []
    pos = 0
    text = text.strip()
    while pos < len(text):
        m = _MARKER_TOKEN.match(text, pos)
        if m is None:
            raise ValueError(f"bad marker {text!r} at {pos}")
        kind = m.lastgroup or ""
        tokens.append((kind, m.group(kind)))
        pos = m.end()
    result, rest = _marker_or(tokens, env)
    if rest:
        raise ValueError(f"bad marker {text!r}: trailing {rest}")
    return result


def _marker_or(tokens: list[tuple[str, str]], env: dict[str, str]) -> tuple[bool, list[tuple[str, str]]]:
    value, tokens = _marker_and(tokens, env)
    while tokens and tokens[0] == ("word", "or"):
        right, tokens = _marker_and(tokens[1:], env)
        value = value or right
    return value, tokens


def _marker_and(tokens: list[tuple[str, str]], env: dict[str, str]) -> tuple[bool, list[tuple[str, str]]]:
    value, tokens = _marker_atom(tokens, env)
    while tokens and tokens[0] == ("word", "and"):
        right, tokens = _marker_atom(tokens[1:], env)
        value = value and right
    return value, tokens


def _marker_atom(tokens: list[tuple[str, str]], env: dict[str, str]) -> tuple[bool, list[tuple[str, str]]]:
    if tokens and tokens[0] == ("op", "("):
        value, tokens = _marker_or(tokens[1:], env)
        if not tokens or tokens[0] != ("op", ")"):
            raise ValueError("unbalanced parenthesis in marker")
        return value, tokens[1:]
    if len(tokens) < 3:
        raise ValueError("incomplete marker")
    left, tokens = tokens[0], tokens[1:]
    if tokens[0] == ("word", "not") and len(tokens) > 1 and tokens[1] == ("word", "in"):
        op, tokens = "not in", tokens[2:]
    else:
        op, tokens = tokens[0][1], tokens[1:]
    right, tokens = tokens[0], tokens[1:]
    var = left[1] if left[0] == "word" else right[1] if right[0] == "word" else ""
    lv, rv = (_marker_value(t, env) for t in (left, right))
    if var == "extra":
        lv, rv = (re.sub(r"[-_.]+", "-", v).lower() for v in (lv, rv))
    return _compare(lv, op, rv, var in _VERSION_VARS), tokens


def _marker_value(token: tuple[str, str], env: dict[str, str]) -> str:
    kind, text = token
    if kind == "str":
        return text[1:-1]
    if kind == "word" and text in env:
        return env[text]
    raise ValueError(f"unknown marker value {text!r}")


def _compare(left: str, op: str, right: str, versions: bool) -> bool:
    if op == "in":
        return left in right
    if op == "not in":
        return left not in right
    if op == "===":
        return left == right
    key = _version_key if versions and _version_key(left) and _version_key(right) else None
    a, b = (key(left), key(right)) if key else (left, right)
    if op == "~=" and key:
        prefix = tuple(int(p) for p in re.findall(r"\d+", right.split("*")[0]))[:-1]
        return a >= b and a[:len(prefix)] == prefix
    ops = {"==": a == b, "!=": a != b, "<": a < b, "<=": a <= b, ">": a > b, ">=": a >= b}
    if op not in ops or (not key and op not in ("==", "!=")):
        raise ValueError(f"cannot compare {left!r} {op} {right!r}")
    return ops[op]


def _version_key(text: str) -> tuple[int, ...]:
    """Release numbers of a version (`3.11.7` -> (3, 11, 7)); trailing zeros dropped."""
    m = re.match(r"\d+(?:\.\d+)*", text.strip())
    if m is None:
        return ()
    parts = [int(p) for p in m.group(0).split(".")]
    while len(parts) > 1 and parts[-1] == 0:
        parts.pop()
    return tuple(parts)


def top_level_names(dist: metadata.Distribution) -> set[str]:
    names = set()
    for f in dist.files or []:
        part = f.parts[0]
        if part.endswith((".dist-info", ".egg-info", ".pth")) or part in {"..", "__pycache__", "bin"}:
            continue
        names.add(part[:-3] if part.endswith(".py") else part)
    return names


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


def loaded_modules(import_names: list[str], search_path: list[str]) -> set[str]:
    """Top-level names of every module that importing `import_names` loads, in a fresh
    interpreter without site, as at boot (this script's own imports must not count)."""
    probe = (f"import sys; sys.path[:0] = {search_path!r}\n"
             f"for n in {sorted(import_names)!r}:\n"
             "    try: __import__(n)\n"
             "    except ImportError as e: print(f'ignite-payload: note: {n} does not import here: {e}', file=sys.stderr)\n"
             "print(' '.join(sys.modules))")
    out = subprocess.run([sys.executable, "-S", "-c", probe], check=True, stdout=subprocess.PIPE, text=True)
    return {m.split(".")[0] for m in out.stdout.split()}


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


def copy_site(dists: list[metadata.Distribution], dest: Path, site: str) -> list[Path]:
    out = dest / site.lstrip("/")
    out.mkdir(parents=True, exist_ok=True)
    sos = []
    for dist in dists:
        base = Path(dist.locate_file(""))
        for name in top_level_names(dist):
            src = base / name
            if not src.exists():
                src = base / f"{name}.py"
            if src.is_dir():
                shutil.copytree(src, out / name, dirs_exist_ok=True, symlinks=False,
                                ignore=shutil.ignore_patterns("__pycache__", "tests", "test"))
            elif src.exists():
                shutil.copy2(src, out / src.name)
    sos += list(out.rglob("*.so"))
    return sos


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
    dists = distribution_closure(["ignite"])
    dists = [d for d in dists if d.metadata["Name"].lower() != "ignite"]
    own_modules = sorted(m.name for m in pkgutil.walk_packages(ignite.__path__, prefix="ignite.")
                         if m.name != "ignite.__main__")
    search_path = [str(package_dir.parent)] + sorted({str(Path(d.locate_file(""))) for d in dists})
    wanted = {"ignite", *own_modules, *imported_names(ignite_source_files(package_dir))}
    found = loaded_modules(sorted(wanted), search_path)
    names = stdlib_modules(build_stdlib, found)
    # Only the dependencies something actually imports (the metadata may list more).
    dists = [d for d in dists if top_level_names(d) & found]

    sos = copy_stdlib(names, target_stdlib, args.dest)
    sos += copy_site(dists, args.dest, args.site)
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
