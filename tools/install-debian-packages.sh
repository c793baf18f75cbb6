#!/usr/bin/env bash
# Installs the Debian packages listed in $1 that are missing. Does nothing unless root.
set -euo pipefail
list=${1:?usage: install-debian-packages.sh LIST}
if [ "$(id -u)" != 0 ]; then
    echo "not root: skipping Debian packages (tests that need them will be skipped)" >&2
    exit 0
fi
mapfile -t wanted < <(grep -Ev '^\s*(#|$)' "$list" | awk '{print $1}')
missing=()
for p in "${wanted[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
echo "installing Debian packages: ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
