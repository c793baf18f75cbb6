#!/bin/bash
# Test-only dracut module for the QEMU end-to-end boots: before the initramfs switches
# root (or once a stage failed), it writes the verdict and the ignite journal to the serial
# console. The test root's init, or the emergency action, then powers the guest off.

check() {
    return 255
}

install() {
    inst_multiple journalctl cat date tail findmnt lsblk find sha256sum ip
    inst_script "$moddir/ignite-e2e-report" /usr/libexec/ignite-e2e-report
    inst_simple "$moddir/ignite-e2e-pass.service" "$systemdsystemunitdir/ignite-e2e-pass.service"
    inst_simple "$moddir/ignite-e2e-fail.service" "$systemdsystemunitdir/ignite-e2e-fail.service"
    $SYSTEMCTL -q --root "$initdir" add-wants initrd.target ignite-e2e-pass.service
    $SYSTEMCTL -q --root "$initdir" add-wants emergency.target ignite-e2e-fail.service
    # The test CA that signed the https boot's server certificate, trusted like a system CA.
    local bundle=$initdir/etc/ssl/certs/ca-certificates.crt
    if [ -n "${IGNITE_E2E_TEST_CA:-}" ] && [ -f "$bundle" ]; then
        cat "$bundle" "$IGNITE_E2E_TEST_CA" > "$bundle.e2e" && mv -f "$bundle.e2e" "$bundle"
    fi
}
