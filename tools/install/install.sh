#!/bin/bash
# `make install`: ignite for the target's own Python, the dracut module, the man pages.
#   install.sh [python] [dracut] [man]        (default: all three)
# Settings (environment, as make passes them):
#   DESTDIR        staging root (package builds); empty: this system
#   PREFIX         /usr/local by default; the Python package, the ignite command and the
#                  man pages go under it
#   TARGET_PYTHON  the Python ignite runs with (default /usr/bin/python3)
#   DRACUTMODDIR   dracut's modules directory (default: dracut's own, from pkg-config, else
#                  /usr/lib/dracut/modules.d); dracut reads no other, whatever PREFIX says
#   MANDIR         default PREFIX/share/man
# Nothing is written before every check passed: a read-only DESTDIR, or a system without
# dracut, gets one message saying which.
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
DESTDIR=${DESTDIR:-}
PREFIX=${PREFIX:-/usr/local}
TARGET_PYTHON=${TARGET_PYTHON:-/usr/bin/python3}
if [ -z "${DRACUTMODDIR:-}" ]; then
    DRACUTMODDIR=$(pkg-config --variable=dracutmodulesdir dracut 2> /dev/null || true)
    DRACUTMODDIR=${DRACUTMODDIR:-/usr/lib/dracut/modules.d}
fi
MANDIR=${MANDIR:-$PREFIX/share/man}
build=${IGNITE_INSTALL_BUILD:-$repo/build/install}
parts=("$@")
[ ${#parts[@]} -gt 0 ] || parts=(python dracut man)
want() { [[ " ${parts[*]} " == *" $1 "* ]]; }

fail() {
    echo "make install: $*" >&2
    exit 2
}

# The nearest existing directory at or above $1.
existing_ancestor() {
    local d=$1
    while [ ! -e "$d" ]; do d=$(dirname "$d"); done
    printf '%s' "$d"
}

# Fails with the system's own reason (read-only file system, permission denied) when
# $1 (or the directory that would hold it) cannot be written.
check_writable() {
    local target=$1 dir probe
    dir=$(existing_ancestor "$target")
    [ -d "$dir" ] || fail "$dir is not a directory, so $target cannot be created"
    if ! probe=$(mktemp -p "$dir" .ignite-install.XXXXXX 2>&1); then
        fail "cannot write to $dir (${probe##*: }), where $target goes${DESTDIR:+ (DESTDIR=$DESTDIR)}"
    fi
    rm -f "$probe"
}

# --- checks -------------------------------------------------------------------------
[ -x "$TARGET_PYTHON" ] || fail "no Python at $TARGET_PYTHON (set TARGET_PYTHON to the interpreter ignite should run with)"
if [ -n "$DESTDIR" ]; then
    [ -d "$DESTDIR" ] || mkdir -p "$DESTDIR" 2> /dev/null || check_writable "$DESTDIR"
fi
if want dracut && [ -z "$DESTDIR" ] && [ ! -d "$(dirname "$DRACUTMODDIR")" ]; then
    fail "dracut is not installed on this system ($(dirname "$DRACUTMODDIR") does not exist):" \
        "the ignite module needs it (Debian: apt-get install dracut-core), or set DRACUTMODDIR"
fi
targets=()
want python && targets+=("$DESTDIR$PREFIX")
want dracut && targets+=("$DESTDIR$DRACUTMODDIR")
want man && targets+=("$DESTDIR$MANDIR")
for t in "${targets[@]}"; do check_writable "$t"; done

# --- build --------------------------------------------------------------------------
rm -rf "$build"
mkdir -p "$build"
if want man; then
    # From the parser ignite.cli builds, with this tree's ignite.
    PYTHONPATH=$repo COLUMNS=80 "$TARGET_PYTHON" "$repo/tools/install/manpages.py" "$build/man" > /dev/null
fi
if want python; then
    (cd "$repo" && "$TARGET_PYTHON" -m pip wheel -q --no-deps --no-build-isolation --no-index \
        -w "$build/wheel" .) || fail "cannot build ignite's wheel with $TARGET_PYTHON (needs pip and setuptools)"
fi

# --- install ------------------------------------------------------------------------
if want python; then
    "$TARGET_PYTHON" "$repo/tools/install/python_install.py" "$build"/wheel/ignite-*.whl \
        --prefix "$PREFIX" --destdir "$DESTDIR"
fi
if want dracut; then
    moddir=$DESTDIR$DRACUTMODDIR/30ignite
    rm -rf "$moddir"
    install -d -m 0755 "$moddir"
    for f in "$repo"/dracut/30ignite/*; do
        mode=0644
        # module-setup.sh starts with #!, as dracut's own modules' do.
        [ -x "$f" ] || [ "${f##*/}" = module-setup.sh ] && mode=0755
        install -m "$mode" "$f" "$moddir/"
    done
    echo "make install: the dracut module in $moddir (dracut -a ignite)"
fi
if want man; then
    install -d -m 0755 "$DESTDIR$MANDIR/man1"
    install -m 0644 "$build"/man/*.1 "$DESTDIR$MANDIR/man1/"
    echo "make install: man pages in $DESTDIR$MANDIR/man1: $(cd "$build/man" && echo *.1)"
fi
