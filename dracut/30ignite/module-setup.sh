#!/bin/bash
# dracut module for ignite: the program (Python, precompiled), the tools its stages run,
# the first-boot generator, one unit per stage and the targets that gate them.
#
# Build-time settings (environment):
#   IGNITE_BUILD_PYTHON   a Python that can import ignite and its dependencies
#                         (default: the target Python, i.e. ignite installed system-wide)
#   IGNITE_TARGET_PYTHON  the interpreter installed in the initramfs (default: what
#                         /usr/bin/python3 points to, e.g. /usr/bin/python3.11; never the
#                         `python3` on PATH, which may be a pyenv shim)
#   IGNITE_PY_SOURCES=1   keep the .py files next to the bytecode (tracebacks with source
#                         lines; about 8 MB more unpacked)

# Tools every initramfs with ignite needs, and tools only some configs need (a config
# asking for xfs fails at boot without mkfs.xfs). Each missing one is named.
_IGNITE_REQUIRED="bash basename lsblk blkid blockdev mount umount modprobe udevadm systemctl
    journalctl sgdisk partx wipefs mkfs.ext4 mke2fs awk grep sed cut tr install mktemp readlink
    rmdir sync touch mv rm mkdir ln chmod cp cat sleep"
_IGNITE_FOR_SOME_CONFIGS="mkfs.fat mkfs.vfat mkfs.xfs mkfs.btrfs mkswap mdadm cryptsetup dmsetup
    useradd usermod userdel groupadd groupmod groupdel chpasswd chroot setfiles"

_ignite_target_python() {
    printf '%s' "${IGNITE_TARGET_PYTHON:-$(readlink -f /usr/bin/python3)}"
}

# Names each missing required tool; returns how many are missing.
_ignite_missing_tools() {
    local tool missing=0
    for tool in $_IGNITE_REQUIRED; do
        if ! find_binary "$tool" &> /dev/null; then
            derror "dracut module 'ignite' needs the command '$tool', which is not installed"
            missing=$((missing + 1))
        fi
    done
    return "$missing"
}

_ignite_python_usable() {
    local target_python build_python
    target_python=$(_ignite_target_python)
    build_python=${IGNITE_BUILD_PYTHON:-$target_python}
    if [ ! -x "$target_python" ]; then
        derror "dracut module 'ignite' needs the Python interpreter '${target_python:-/usr/bin/python3}', which is not installed"
        return 1
    fi
    if ! "$build_python" -c 'import ignite' &> /dev/null; then
        derror "dracut module 'ignite': '$build_python' cannot import ignite (install the ignite package, or set IGNITE_BUILD_PYTHON to a Python that has it)"
        return 1
    fi
}

check() {
    # Only when asked for (dracut -a ignite, or a distribution module depending on it);
    # every other dracut run (a kernel update) hears nothing from this module.
    case " ${add_dracutmodules-} ${force_add_dracutmodules-} ${dracutmodules-} " in
        *" ignite "*) ;;
        *) return 255 ;;
    esac
    local ok=0
    _ignite_missing_tools || ok=1
    _ignite_python_usable || ok=1
    [ "$ok" = 0 ] || return 1
    return 255
}

depends() {
    echo systemd-initrd dracut-systemd udev-rules
}

installkernel() {
    # fw_cfg for platform qemu; the block and filesystem drivers the disks stage may need.
    instmods -o qemu_fw_cfg virtio_pci virtio_blk virtio_scsi sr_mod iso9660 \
        ext4 xfs btrfs vfat nls_cp437 nls_iso8859-1 nls_utf8 nls_ascii \
        md_mod raid0 raid1 raid10 raid456 dm_mod dm_crypt \
        =crypto
    _ignite_platform_modules || return 1
    # NIC drivers for a first boot over the network (loaded by udev only where such a
    # NIC exists; the network itself starts only when the config needs it).
    instmods -o virtio_net e1000 e1000e af_packet
    [ -n "${IGNITE_NET_DRIVERS_ALL:-}" ] && instmods -o =drivers/net/ethernet
    return 0
}

_ignite_python_payload() {
    local target_python build_python
    target_python=$(_ignite_target_python)
    build_python=${IGNITE_BUILD_PYTHON:-$target_python}
    local sos
    inst_binary "$target_python" || return 1
    sos=$("$build_python" "$moddir/ignite-payload.py" --dest "$initdir" \
        --target-python "$target_python" --site /usr/lib/ignite/site \
        --manifest "${DRACUT_TMPDIR:-/tmp}/ignite-stdlib.txt" \
        ${IGNITE_PY_SOURCES:+--with-sources}) || return 1
    # dracut resolves library dependencies only for executables; extension modules are 0644.
    local lib
    for lib in $(for so in $sos; do ldd "$so"; done | awk '/=> \//{print $3}' | sort -u); do
        inst_library "$lib"
    done
    # pyudev finds libudev through ctypes.util.find_library, i.e. `ldconfig -p`.
    inst_library /lib/x86_64-linux-gnu/libudev.so.1 2>/dev/null || inst_libdir_file 'libudev.so.*'
    inst_multiple ldconfig
    sed "s|@PYTHON@|$target_python|" "$moddir/ignite.py.in" > "$initdir/usr/bin/ignite"
    chmod 0755 "$initdir/usr/bin/ignite"
}

install() {
    _ignite_python_payload || { dfatal "ignite: cannot install Python and ignite"; exit 1; }

    # A missing tool stops the build (dracut ignores install()'s status) rather than
    # making an initramfs that fails at the first boot.
    _ignite_missing_tools || { dfatal "ignite: the commands named above are missing"; exit 1; }
    # shellcheck disable=SC2086
    inst_multiple $_IGNITE_REQUIRED || { dfatal "ignite: cannot install its tools"; exit 1; }
    local tool
    for tool in $_IGNITE_FOR_SOME_CONFIGS; do
        find_binary "$tool" &> /dev/null || dwarn "ignite: '$tool' is not installed: configs that need it will fail at boot"
    done
    # shellcheck disable=SC2086
    inst_multiple -o $_IGNITE_FOR_SOME_CONFIGS
    # Only where the build host has them: clevis binding, and platform tools
    # (VirtualBox, VMware, s390x z/VM).
    inst_multiple -o clevis clevis-encrypt-sss clevis-encrypt-tang clevis-encrypt-tpm2 \
        clevis-luks-bind clevis-luks-common-functions clevis-luks-unlock pwmake tpm2_create \
        VBoxControl vmware-rpctool vmur chccwdev cio_ignore
    # Config drives (OpenStack, CloudStack) are CD-ROMs: their by-label links need this.
    inst_rules 60-cdrom_id.rules
    # The udev rules for the volumes the disks stage makes, without dracut's dm, crypt and
    # mdraid modules: their cmdline, pre-udev, pre-trigger and initqueue hooks start four
    # more dracut services on the critical path (about 4 s of a TCG boot). dm: links and
    # by-label for mappings, and the cookie notification cryptsetup waits for. md: /dev/md/
    # links and by-label for arrays (not the incremental assembly: the stage assembles).
    inst_rules 10-dm.rules 13-dm-disk.rules 55-dm.rules 60-persistent-storage-dm.rules \
        64-device-mapper.rules 95-dm-notify.rules 63-md-raid-arrays.rules 64-md-raid.rules
    [ -e /etc/mke2fs.conf ] && inst_simple /etc/mke2fs.conf

    inst_script "$moddir/ignite-generator" "$systemdutildir/system-generators/ignite-generator"
    inst_script "$moddir/ignite-kargs-helper" /usr/sbin/ignite-kargs-helper
    inst_script "$moddir/ignite-failure" /usr/libexec/ignite-failure
    inst_script "$moddir/ignite-firstboot-complete" /usr/libexec/ignite-firstboot-complete
    inst_simple "$moddir/99-xx-ignite-systemd-cryptsetup.rules" \
        /usr/lib/udev/rules.d/99-xx-ignite-systemd-cryptsetup.rules
    # No cracklib dictionaries in the initramfs: do not reject generated LUKS keys.
    inst_simple "$moddir/ignite-luks.conf" /etc/security/pwquality.conf.d/ignite-luks.conf

    local unit
    for unit in ignite-complete.target ignite-subsequent.target ignite-diskful.target \
        ignite-diskful-subsequent.target ignite-fetch-offline.service \
        ignite-fetch.service ignite-fetch-early.service ignite-kargs.service \
        ignite-disks.service ignite-mount.service ignite-files.service \
        ignite-remount-sysroot.service ignite-firstboot-complete.service ignite-failure.service; do
        inst_simple "$moddir/$unit" "$systemdsystemunitdir/$unit" || return 1
    done
    for unit in ignite-fetch-offline ignite-fetch ignite-kargs ignite-disks \
        ignite-mount ignite-files; do
        $SYSTEMCTL -q --root "$initdir" add-requires ignite-complete.target "$unit.service" || return 1
    done
    $SYSTEMCTL -q --root "$initdir" add-requires ignite-diskful.target ignite-remount-sysroot.service || return 1
    $SYSTEMCTL -q --root "$initdir" add-wants emergency.target ignite-failure.service || return 1
    _ignite_platform_tools || return 1
    # An image with an OEM partition says so: fetch-offline's set-up then waits for it by name
    # instead of settling udev (IGNITE_OEM_DEVICE=/dev/disk/by-label/OEM at build time).
    if [ -n "${IGNITE_OEM_DEVICE:-}" ]; then
        mkdir -p "$initdir/etc/ignite"
        echo "$IGNITE_OEM_DEVICE" > "$initdir/etc/ignite/oem-device"
    fi
    _ignite_network
    _ignite_aliases
}

# systemd-networkd, installed but not enabled: ignite-network starts it only on a first
# boot whose config needs the network. Not dracut's systemd-networkd module, which enables
# networkd, its socket, its generator and wait-online on every boot and pulls in dbus and
# sysusers. Without networkd on the build host the module still builds (offline only).
_ignite_network() {
    inst_script "$moddir/ignite-network" /usr/libexec/ignite-network
    inst_simple "$moddir/ignite-network.service" "$systemdsystemunitdir/ignite-network.service"
    inst_simple "$moddir/ignite-network-early.service" "$systemdsystemunitdir/ignite-network-early.service"
    inst_simple "$moddir/ignite-networkd.conf" "$systemdsystemunitdir/systemd-networkd.service.d/ignite.conf"
    $SYSTEMCTL -q --root "$initdir" add-requires ignite-complete.target ignite-network.service
    inst_multiple -o ip networkctl \
        "$systemdutildir"/systemd-networkd "$systemdutildir"/systemd-network-generator \
        "$systemdutildir"/networkd.conf \
        "$systemdsystemunitdir"/systemd-networkd.service "$systemdsystemunitdir"/systemd-networkd.socket
    # networkd drops to this user (sysusers does not run in the initramfs).
    grep -q '^systemd-network:' "$initdir/etc/passwd" 2> /dev/null ||
        echo 'systemd-network:x:998:998:systemd Network Management:/:/sbin/nologin' >> "$initdir/etc/passwd"
    grep -q '^systemd-network:' "$initdir/etc/group" 2> /dev/null ||
        echo 'systemd-network:x:998:' >> "$initdir/etc/group"
    # The system's CA bundle, where OpenSSL (Python's ssl) looks by default; the resolver
    # is glibc's, reading the /etc/resolv.conf that ignite-network writes.
    local bundle=${IGNITE_CA_BUNDLE:-/etc/ssl/certs/ca-certificates.crt}
    if [ -f "$bundle" ]; then
        inst_simple "$bundle" /etc/ssl/certs/ca-certificates.crt
        mkdir -p "$initdir/usr/lib/ssl"
        ln -sfn /etc/ssl/certs/ca-certificates.crt "$initdir/usr/lib/ssl/cert.pem"
        ln -sfn /etc/ssl/certs "$initdir/usr/lib/ssl/certs"
    else
        dwarn "ignite: no CA bundle at $bundle: https:// fetches will fail certificate checks"
    fi
    inst_multiple -o /etc/host.conf /etc/gai.conf
}

# Ignition's unit and target names, so modules written for Ignition (afterburn's, the
# distributions' hooks on ignition-complete.target) attach to ignite unchanged.
_ignite_aliases() {
    local unit
    for unit in complete.target subsequent.target diskful.target diskful-subsequent.target \
        fetch-offline.service fetch.service kargs.service disks.service \
        mount.service files.service remount-sysroot.service; do
        [ -e "$initdir$systemdsystemunitdir/ignition-$unit" ] ||
            ln -s "ignite-$unit" "$initdir$systemdsystemunitdir/ignition-$unit"
    done
}

# --- platform pieces ---------------------------------------------------------------------
# What each platform's provider needs in the initramfs besides ignite: kernel modules and
# host tools (see docs/platforms.md). Each missing piece is named at build time: an error
# for a platform listed in IGNITE_PLATFORMS (space-separated ids), a warning otherwise, so
# that no image silently lacks what its platform's provider will ask for at boot.

_ignite_platform_listed() {
    [[ " ${IGNITE_PLATFORMS:-} " == *" $1 "* ]]
}

_ignite_platform_missing() {  # platform, what is missing
    if _ignite_platform_listed "$1"; then
        derror "ignite: platform $1 needs $2, which this build host does not have"
        return 1
    fi
    dwarn "ignite: $2 not found: platform $1 will not work with this initramfs"
}

# platform:kernel-module pairs for this architecture.
_ignite_platform_module_list() {
    local arch=${DRACUT_ARCH:-$(uname -m)}
    echo hyperv:hv_utils applehv:vsock applehv:vmw_vsock_virtio_transport_common \
        applehv:vmw_vsock_virtio_transport
    case $arch in
        s390x) echo qemu:virtio_blk zvm:vmur s390x-cex:zcrypt_cex4 s390x-cex:pkey_cca ;;
        ppc64le) echo qemu:virtio_blk ;;
        aarch64) echo qemu:qemu_fw_cfg nvidiabluefield:mlxbf_bootctl ;;
        *) echo qemu:qemu_fw_cfg ;;
    esac
}

# platform:tool pairs for this architecture.
_ignite_platform_tool_list() {
    local arch=${DRACUT_ARCH:-$(uname -m)}
    echo virtualbox:VBoxControl
    case $arch in
        x86_64) echo vmware:vmware-rpctool ;;
        s390x) echo zvm:vmur zvm:chccwdev zvm:cio_ignore ;;
    esac
}

_ignite_platform_modules() {
    local entry rc=0
    for entry in $(_ignite_platform_module_list); do
        instmods -c -s "${entry#*:}" 2>/dev/null ||
            _ignite_platform_missing "${entry%%:*}" "kernel module ${entry#*:}" || rc=1
    done
    return $rc
}

_ignite_platform_tools() {
    local entry rc=0
    for entry in $(_ignite_platform_tool_list); do
        if find_binary "${entry#*:}" >/dev/null 2>&1; then
            inst_multiple "${entry#*:}" || rc=1
        else
            _ignite_platform_missing "${entry%%:*}" "tool ${entry#*:}" || rc=1
        fi
    done
    return $rc
}
