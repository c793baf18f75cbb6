#!/bin/bash
# Builds what the QEMU end-to-end boots need, cached under .cache/e2e (or $1):
#   vmlinuz          Debian's cloud kernel (resolved from linux-image-cloud-amd64 each time)
#   initrd-KEY.img   dracut + dracut/30ignite + the test-only 99ignite-e2e module, where KEY
#                    hashes every input, so a changed module or ignite source rebuilds it
# Installs the Debian packages it needs when run as root. Prints "KERNEL INITRD" at the end.
# Settings: IGNITE_E2E_COMPRESS (default cat: boots ~2 s faster than zstd and builds in ~3 s),
#           IGNITE_E2E_MODULES (extra dracut modules), IGNITE_BUILD_PYTHON.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)

# The files' part of the initramfs key: every file's mode and contents, so that a change
# that only makes a file executable (or not) rebuilds too. `build.sh --inputs-digest BASE
# PATH...` prints it for PATHs below BASE (tests use it).
inputs_digest() {
    local base=$1
    shift
    (cd "$base" && find "$@" -type f ! -name '*.pyc' -print0 | sort -z |
        xargs -0 -r stat --printf '%a %n\n' &&
     cd "$base" && find "$@" -type f ! -name '*.pyc' -print0 | sort -z | xargs -0 -r sha256sum)
}
if [ "${1:-}" = --inputs-digest ]; then
    shift
    inputs_digest "$@" | sha256sum | cut -c1-16
    exit 0
fi
out=${1:-$repo/.cache/e2e}
compress=${IGNITE_E2E_COMPRESS:-cat}
build_python=${IGNITE_BUILD_PYTHON:-$repo/.venv/bin/python}
mkdir -p "$out"
out=$(cd "$out" && pwd)

if [ "$(id -u)" = 0 ]; then
    "$repo/tools/install-debian-packages.sh" "$here/debian-packages.txt"
fi
for t in dracut qemu-system-x86_64 sgdisk; do
    command -v "$t" > /dev/null || { echo "build.sh: $t is missing (run as root to install)" >&2; exit 2; }
done

# Kernel: the newest cloud ABI, unpacked, never installed; /lib/modules is untouched.
pkg=$(apt-cache depends linux-image-cloud-amd64 | awk '/Depends: linux-image-/{print $2; exit}')
kver=${pkg#linux-image-}
kdir=$out/kernel-$kver
if [ ! -e "$kdir/.done" ]; then
    rm -rf "$kdir" "$out/debs"
    mkdir -p "$out/debs"
    (cd "$out/debs" && apt-get -q -o APT::Sandbox::User=root download "$pkg" > /dev/null)
    dpkg -x "$out"/debs/"${pkg}"_*.deb "$kdir"
    depmod -b "$kdir" "$kver"
    touch "$kdir/.done"
fi
cp -f "$kdir/boot/vmlinuz-$kver" "$out/vmlinuz"

# A test CA, appended to the initramfs's CA bundle by the test-only module, and a server
# certificate for the host name the https boot uses (made once, kept with the cache).
ca=$out/test-ca
if [ ! -e "$ca/server.pem" ]; then
    rm -rf "$ca" && mkdir -p "$ca"
    openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/CN=ignite e2e test CA" \
        -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign \
        -keyout "$ca/ca.key" -out "$ca/ca.pem" 2> /dev/null
    openssl req -newkey rsa:2048 -nodes -subj "/CN=config.ignite.test" \
        -keyout "$ca/server.key" -out "$ca/server.csr" 2> /dev/null
    printf 'subjectAltName=DNS:config.ignite.test\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n' > "$ca/ext"
    openssl x509 -req -in "$ca/server.csr" -CA "$ca/ca.pem" -CAkey "$ca/ca.key" -CAcreateserial \
        -days 3650 -extfile "$ca/ext" -out "$ca/server.pem" 2> /dev/null
fi

modules="base systemd-initrd dracut-systemd udev-rules ignite ignite-e2e ${IGNITE_E2E_MODULES:-}"
key=$( (echo "$kver $compress $modules"; "$build_python" -V; sha256sum "$ca/ca.pem";
        inputs_digest "$repo" dracut/30ignite tools/e2e/99ignite-e2e tools/e2e/build.sh tools/install/install.sh ignite) |
      sha256sum | cut -c1-16)
initrd=$out/initrd-$key.img
if [ ! -e "$initrd" ]; then
    base=$out/dracut-base
    rm -rf "$base" "$out/tmp"
    cp -a /usr/lib/dracut "$base"
    # The module as `make install` lays it out (what the Debian package ships).
    DESTDIR=$base DRACUTMODDIR=/modules.d IGNITE_INSTALL_BUILD=$out/install \
        "$repo/tools/install/install.sh" dracut > /dev/null
    cp -a "$here/99ignite-e2e" "$base/modules.d/99ignite-e2e"
    mkdir -p "$out/tmp" "$out/conf.d"
    start=$(date +%s.%N)
    IGNITE_E2E_TEST_CA=$ca/ca.pem IGNITE_BUILD_PYTHON=$build_python dracutbasedir=$base dracut --force --quiet \
        --conf /dev/null --confdir "$out/conf.d" \
        --no-hostonly --no-hostonly-cmdline --no-early-microcode \
        --kver "$kver" --kmoddir "$kdir/lib/modules/$kver" \
        --tmpdir "$out/tmp" --compress "$compress" \
        -m "$modules" "$initrd.part" >&2
    mv "$initrd.part" "$initrd"
    echo "build.sh: built $initrd in $(echo "$(date +%s.%N) - $start" | bc) s, $(du -h "$initrd" | cut -f1)" >&2
    # Keep the three newest: each test session may build one.
    ls -t "$out"/initrd-*.img | tail -n +4 | xargs -r rm -f
fi
echo "$out/vmlinuz $initrd"
