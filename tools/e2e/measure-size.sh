#!/bin/bash
# What ignite adds to an initramfs: builds the same module set with and without
# dracut/30ignite (zstd, as a distribution would ship it) and prints both sizes and where
# ignite's part goes. Run tools/e2e/build.sh first (it provides the kernel and packages).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
out=${1:-$repo/.cache/e2e}
kdir=$(ls -d "$out"/kernel-* | tail -n 1)
kver=${kdir##*/kernel-}
base=$out/dracut-base
[ -d "$base/modules.d/30ignite" ] || { echo "run tools/e2e/build.sh first" >&2; exit 2; }
rm -rf "$base/modules.d/30ignite" && cp -a "$repo/dracut/30ignite" "$base/modules.d/30ignite"
common="base systemd-initrd dracut-systemd udev-rules"
build() {
    IGNITE_BUILD_PYTHON=${IGNITE_BUILD_PYTHON:-$repo/.venv/bin/python} dracutbasedir=$base dracut --force --quiet \
        --conf /dev/null --confdir "$out/conf.d" --no-hostonly --no-hostonly-cmdline \
        --no-early-microcode --kver "$kver" --kmoddir "$kdir/lib/modules/$kver" \
        --tmpdir "$out/tmp" --compress zstd -m "$1" "$2"
}
build "$common" "$out/size-without.img"
build "$common ignite" "$out/size-with.img"
without=$(stat -c %s "$out/size-without.img")
with=$(stat -c %s "$out/size-with.img")
printf 'initramfs (zstd) without ignite: %.1f MB\n' "$(echo "$without / 1000000" | bc -l)"
printf 'initramfs (zstd) with ignite:    %.1f MB\n' "$(echo "$with / 1000000" | bc -l)"
printf 'ignite adds:                     %.1f MB compressed\n' "$(echo "($with - $without) / 1000000" | bc -l)"
tmp=$(mktemp -d "$out/tmp/unpack.XXXXXX")
(cd "$tmp" && mkdir a b && (cd a && zstd -dc "$out/size-without.img" | cpio -idm --quiet) \
    && (cd b && zstd -dc "$out/size-with.img" | cpio -idm --quiet))
echo "unpacked: without $(du -sm "$tmp/a" | cut -f1) MB, with $(du -sm "$tmp/b" | cut -f1) MB"
echo "ignite's parts, unpacked (MB):"
du -sm "$tmp"/b/usr/lib/python3.11 "$tmp"/b/usr/lib/ignite/site "$tmp"/b/usr/lib/ignite/site/ignite \
    "$tmp"/b/usr/bin/python3.11 | sed "s|$tmp/b||"
echo "files only in the ignite image (largest 15, KB):"
(cd "$tmp/b" && find . -type f | sort) > "$tmp/b.list"
(cd "$tmp/a" && find . -type f | sort) > "$tmp/a.list"
comm -13 "$tmp/a.list" "$tmp/b.list" | grep -v -e '^./usr/lib/python3.11/' -e '^./usr/lib/ignite/' \
    | (cd "$tmp/b" && xargs -r du -k) | sort -rn | head -n 15
rm -rf "$tmp"
