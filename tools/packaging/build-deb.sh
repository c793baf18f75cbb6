#!/bin/bash
# `make deb`: OUTDIR/ignite_VERSION_all.deb (and its .changes), built by dpkg-buildpackage
# (debhelper + pybuild, debian/) from a copy of this tree (committed or not; what git
# ignores stays out), so nothing is written next to the repository.
#   build-deb.sh OUTDIR
# tftpy is not in Debian: its wheel, pinned by hash, is fetched from the Python package
# index into .cache/vendor once and unpacked into the copy's vendor/.
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
out=${1:?usage: build-deb.sh OUTDIR}
TFTPY_WHEEL=tftpy-0.8.7-py3-none-any.whl
TFTPY_SHA256=59289b269ed6e0a7c8762301f99b56814026758b3137a90c9c3e677881efc853

for t in dpkg-buildpackage dh pybuild; do
    command -v "$t" > /dev/null || {
        echo "make deb: $t is missing (apt-get install dpkg-dev debhelper dh-python pybuild-plugin-pyproject)" >&2
        exit 2
    }
done
version=$(cd "$repo" && dpkg-parsechangelog -S Version)
pyversion=$(sed -n 's/^__version__ = "\(.*\)"/\1/p' "$repo/ignite/__init__.py")
[ "$version" = "$pyversion" ] || {
    echo "make deb: debian/changelog says $version but ignite/__init__.py says $pyversion" >&2
    exit 2
}

vendor=$repo/.cache/vendor
if ! echo "$TFTPY_SHA256  $vendor/$TFTPY_WHEEL" | sha256sum -c --quiet 2> /dev/null; then
    rm -f "$vendor/$TFTPY_WHEEL"
    /usr/bin/python3 -m pip download -q --no-deps --only-binary :all: "tftpy==0.8.7" -d "$vendor"
    echo "$TFTPY_SHA256  $vendor/$TFTPY_WHEEL" | sha256sum -c --quiet || {
        echo "make deb: $vendor/$TFTPY_WHEEL does not have the pinned sha256" >&2
        exit 2
    }
fi

stage=$repo/build/deb
src=$stage/ignite-$version
rm -rf "$stage"
mkdir -p "$src"
(cd "$repo" && git ls-files -z --cached --others --exclude-standard | xargs -0 -r sh -c \
    'for f; do [ -e "$f" ] && printf "%s\0" "$f"; done' sh | tar --null -T - -cf -) | tar -xf - -C "$src"
mkdir -p "$src/vendor"
(cd "$src/vendor" && /usr/bin/python3 -m zipfile -e "$vendor/$TFTPY_WHEEL" wheel &&
    mv wheel/tftpy tftpy && mv wheel/tftpy-*.dist-info/licenses/LICENSE LICENSE.tftpy && rm -rf wheel)

start=$(date +%s.%N)
# Debian's own tools and python3, whatever PATH says (a pyenv shim is not Debian's python3).
(cd "$src" && env PATH=/usr/sbin:/usr/bin:/sbin:/bin dpkg-buildpackage -b -us -uc --no-pre-clean) > "$stage/build.log" 2>&1 || {
    tail -n 40 "$stage/build.log" >&2
    echo "make deb: dpkg-buildpackage failed; the whole log is $stage/build.log" >&2
    exit 1
}
mkdir -p "$out"
cp "$stage/ignite_${version}_all.deb" "$stage/ignite_${version}"_*.changes "$stage/ignite_${version}"_*.buildinfo "$out/"
echo "make deb: built $out/ignite_${version}_all.deb in $(echo "$(date +%s.%N) - $start" | bc) s" >&2
