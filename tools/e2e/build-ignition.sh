#!/bin/bash
# The same e2e initramfs with Debian's packaged Ignition 2.14 module (30ignition from
# .cache/ignition, see tools/get-oracle.sh) instead of ignite, to compare boot-time cost.
# Its module-setup depends on dracut's network and url-lib modules (package dracut-network);
# for a boot with no network device the copy here depends on systemd only. With
# IGNITE_E2E_IGNITION_NETWORK=1 it keeps them (Debian's dracut-network, which picks
# systemd-networkd) and builds initrd-ignition-net.img, for the network boot comparison;
# with IGNITE_E2E_IGNITION_NETWORK=legacy, dracut's network-legacy instead (dhclient and
# the initqueue's shell hooks), initrd-ignition-net-legacy.img, to measure the two stacks.
# Run tools/e2e/build.sh first. Prints "KERNEL INITRD".
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
out=${1:-$repo/.cache/e2e}
module=$repo/.cache/ignition/usr/lib/dracut/modules.d/30ignition
[ -x "$module/ignition" ] || { echo "build-ignition.sh: no $module (run make oracle)" >&2; exit 2; }
kdir=$(ls -d "$out"/kernel-* | tail -n 1)
kver=${kdir##*/kernel-}
base=$out/dracut-base
[ -d "$base/modules.d" ] || { echo "build-ignition.sh: run tools/e2e/build.sh first" >&2; exit 2; }
rm -rf "$base/modules.d/30ignition" "$base/modules.d/99ignite-e2e" "$base/modules.d/98ignition-standins"
cp -a "$module" "$base/modules.d/30ignition"
net=${IGNITE_E2E_IGNITION_NETWORK:-}
[ -n "$net" ] || sed -i 's/^    echo qemu systemd url-lib network$/    echo systemd/' "$base/modules.d/30ignition/module-setup.sh"
cp -a "$here/99ignite-e2e" "$here/98ignition-standins" "$base/modules.d/"
initrd=$out/initrd-ignition${net:+-net}.img
extra=
if [ "$net" = legacy ]; then
    initrd=$out/initrd-ignition-net-legacy.img
    extra=network-legacy
fi
dracutbasedir=$base dracut --force --quiet --conf /dev/null --confdir "$out/conf.d" \
    --no-hostonly --no-hostonly-cmdline --no-early-microcode \
    --kver "$kver" --kmoddir "$kdir/lib/modules/$kver" --tmpdir "$out/tmp" --compress cat \
    -m "base systemd-initrd dracut-systemd udev-rules qemu ignition ignition-standins ignite-e2e $extra" \
    --add-drivers "qemu_fw_cfg virtio_blk virtio_pci" "$initrd" >&2
echo "$out/vmlinuz $initrd"
