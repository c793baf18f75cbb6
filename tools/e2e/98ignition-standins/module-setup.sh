#!/bin/bash
# Test-only: what Debian's Ignition 2.14 module needs in this e2e initramfs and does not
# bring itself (a setfiles that succeeds: its files stage relabels when the root has an
# SELinux config).
check() {
    return 255
}

install() {
    inst_multiple basename lsblk useradd usermod userdel groupadd groupdel awk cut grep sed tr
    # (the text tools serve the e2e report, which the ignite module otherwise brings)
    printf '#!/bin/sh\nexit 0\n' > "$initdir/usr/sbin/setfiles"
    chmod 0755 "$initdir/usr/sbin/setfiles"
}
