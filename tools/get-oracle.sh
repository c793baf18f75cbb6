#!/usr/bin/env bash
# Unpacks Debian's ignition package (the reference implementation) into $1.
set -euo pipefail
dest=${1:?usage: get-oracle.sh DIR}
[ -x "$dest/usr/bin/ignition-validate" ] && exit 0
command -v apt-get >/dev/null || { echo "no apt-get: oracle tests will be skipped" >&2; exit 0; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
( cd "$tmp" && apt-get download ignition >/dev/null 2>&1 ) || {
    apt-get update -qq >/dev/null 2>&1 || true
    ( cd "$tmp" && apt-get download ignition >/dev/null )
}
mkdir -p "$dest"
dpkg -x "$tmp"/ignition_*.deb "$dest"
echo "oracle: $("$dest/usr/bin/ignition-validate" --version)" >&2
