#!/bin/bash
# A clean Debian chroot as a tarball, cached on what is in it:
#   debian-chroot.sh CACHE_DIR PACKAGE...
# Prints the tarball's path. The chroot is an ordinary Debian system: the `important`
# variant (what debootstrap installs: priorities required and important, e.g. procps and
# iproute2, which dracut's network modules need) plus PACKAGE..., made by mmdebstrap from
# Debian's archive (no kernel: the test lends one), with their recommended packages, as
# `apt install` would bring them (dracut's network module needs systemd's dbus, a
# recommendation); translations and documentation are left out, as in Debian's container
# images (a quarter of the size to unpack at every test); the cache key hashes the
# suite, mirrors, variant and the sorted package list, so the same list reuses the tarball
# and a changed list (a new dependency of the .deb) builds a new one.
# Settings: IGNITE_CHROOT_SUITE (default bookworm), IGNITE_CHROOT_MIRROR.
set -euo pipefail
cache=${1:?usage: debian-chroot.sh CACHE_DIR PACKAGE...}
shift
suite=${IGNITE_CHROOT_SUITE:-bookworm}
mirror=${IGNITE_CHROOT_MIRROR:-http://deb.debian.org/debian}
variant=important
command -v mmdebstrap > /dev/null || {
    echo "debian-chroot.sh: mmdebstrap is missing (apt-get install mmdebstrap)" >&2
    exit 2
}
packages=$(printf '%s\n' "$@" | sort -u | paste -sd, -)
key=$(printf '%s\n' "$suite" "$mirror" "$variant" recommends no-locale-no-doc "$packages" | sha256sum | cut -c1-16)
mkdir -p "$cache"
tarball=$cache/debian-$suite-$key.tar
if [ ! -e "$tarball" ]; then
    start=$(date +%s.%N)
    mmdebstrap --quiet --format=tar --variant="$variant" --components=main --include="$packages" \
        --aptopt='APT::Install-Recommends "true"' \
        --dpkgopt='path-exclude=/usr/share/locale/*' --dpkgopt='path-exclude=/usr/share/doc/*' \
        --dpkgopt='path-include=/usr/share/doc/*/copyright' \
        "$suite" "$tarball.part" \
        "deb $mirror $suite main" "deb $mirror $suite-updates main" \
        "deb ${mirror%/debian}/debian-security $suite-security main" >&2
    mv "$tarball.part" "$tarball"
    echo "debian-chroot.sh: made $tarball in $(echo "$(date +%s.%N) - $start" | bc) s," \
        "$(du -h "$tarball" | cut -f1)" >&2
    # Keep the two newest.
    ls -t "$cache"/debian-*.tar | tail -n +3 | xargs -r rm -f
fi
echo "$tarball"
