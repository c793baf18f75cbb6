"""3.x validation of RAID and LUKS (clevis, tang, cex) per version (docs/spec/config.md#validation, #duplicates)."""
from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from v3_validate_helpers import Case, E, rule_tests

R = "$.storage.raid.0"
K = "$.storage.luks.0"
TANG = {"url": "http://tang.example", "thumbprint": "abc"}


def raid(**fields):
    return {"storage": {"raid": [{"name": "md0", "level": "raid1", "devices": ["/dev/vdb", "/dev/vdc"], **fields}]}}


def luks(**fields):
    return {"storage": {"luks": [{"name": "data", "device": "/dev/vdb", **fields}]}}


CASES = [
    # --- raid ---
    Case("raid-ok", "3.0.0", raid()),
    *[Case(f"raid-level-{lvl}", "3.3.0", raid(level=lvl)) for lvl in
      ("linear", "raid0", "0", "stripe", "raid1", "1", "mirror", "raid4", "4", "raid5", "5", "raid6", "6", "raid10", "10")],
    Case("raid-level-bad", "3.1.0", raid(level="raid7"), [E(R + ".level", "unrecognized raid level")]),
    Case("raid-level-empty-32", "3.2.0", raid(level=""), [E(R + ".level", "unrecognized raid level")]),
    Case("raid-level-empty-33", "3.3.0", raid(level=""), [E(R + ".level", "raid level is required")]),
    Case("raid-level-missing-33", "3.3.0", {"storage": {"raid": [{"name": "md0", "devices": ["/dev/a"]}]}},
         [E(R + ".level", "raid level is required")]),
    Case("raid-spares-raid0", "3.3.0", raid(level="raid0", spares=1), [E(R + ".level", "spares unsupported for linear and raid0 arrays")]),
    Case("raid-spares-linear", "3.0.0", raid(level="linear", spares=2), [E(R + ".level", "spares unsupported for linear and raid0 arrays")]),
    Case("raid-spares-zero-ok", "3.3.0", raid(level="stripe", spares=0)),
    Case("raid-spares-raid5-ok", "3.3.0", raid(level="raid5", spares=1)),
    Case("raid-devices-required", "3.3.0", raid(devices=[]), [E(R + ".devices", "raid devices required")]),
    Case("raid-device-relative", "3.2.0", raid(devices=["/dev/a", "dev/b"]), [E(R + ".devices.1", "path not absolute")]),
    Case("raid-device-dup", "3.3.0", raid(devices=["/dev/a", "/dev/a"]), [E(R + ".devices.1", "duplicate entry defined")]),
    Case("raid-options-dups-allowed", "3.3.0", raid(options=["--x", "--x"])),
    Case("raid-name-dup", "3.3.0", {"storage": {"raid": [{"name": "a", "level": "1", "devices": ["/dev/x"]},
                                                         {"name": "a", "level": "1", "devices": ["/dev/y"]}]}},
         [E("$.storage.raid.1", "duplicate entry defined")]),
    # --- luks ---
    Case("luks-ok", "3.2.0", luks()),
    Case("luks-name-slash", "3.3.0", luks(name="a/b"), [E(K + ".name", "device names cannot contain slashes")]),
    Case("luks-label-too-long", "3.3.0", luks(label="l" * 48), [E(K + ".label", "luks device labels cannot be longer than 47 characters")]),
    Case("luks-label-47-ok", "3.3.0", luks(label="l" * 47)),
    Case("luks-device-required", "3.2.0", {"storage": {"luks": [{"name": "d"}]}}, [E(K + ".device", "disk device is required")]),
    Case("luks-device-relative", "3.3.0", luks(device="vdb"), [E(K + ".device", "path not absolute")]),
    Case("luks-keyfile-bad-url", "3.3.0", luks(keyFile={"source": "ftp://x"}),
         [E(K + ".keys", "invalid key-file source"), E(K + ".keyFile.source", "invalid url scheme")]),
    Case("luks-keyfile-ok", "3.3.0", luks(keyFile={"source": "data:,secret"})),
    Case("luks-tpm2-ok", "3.3.0", luks(clevis={"tpm2": True})),
    Case("luks-tang-ok", "3.2.0", luks(clevis={"tang": [TANG], "threshold": 1})),
    Case("luks-tang-bad-scheme", "3.3.0", luks(clevis={"tang": [{"url": "tftp://t", "thumbprint": "x"}]}),
         [E(K + ".clevis.tang.0.url", "invalid url scheme")]),
    Case("luks-tang-empty-url", "3.3.0", luks(clevis={"tang": [{"thumbprint": "x"}]}),
         [E(K + ".clevis.tang.0.url", "invalid url scheme")]),
    Case("luks-tang-thumbprint-required", "3.2.0", luks(clevis={"tang": [{"url": "http://t"}]}),
         [E(K + ".clevis.tang.0.thumbprint", "thumbprint is required")]),
    Case("luks-tang-dup", "3.3.0", luks(clevis={"tang": [TANG, TANG]}),
         [E(K + ".clevis.tang.1", "duplicate entry defined")]),
    Case("luks-advertisement-ok", "3.4.0", luks(clevis={"tang": [{**TANG, "advertisement": '{"payload": "x"}'}]})),
    Case("luks-advertisement-bad", "3.4.0", luks(clevis={"tang": [{**TANG, "advertisement": "{nope"}]}),
         [E(K + ".clevis.tang.0.advertisement", "advertisement is not valid JSON")]),
    Case("luks-custom-ok", "3.3.0", luks(clevis={"custom": {"pin": "sss", "config": "{}"}})),
    Case("luks-custom-with-tpm2", "3.3.0", luks(clevis={"tpm2": True, "custom": {"pin": "tpm2", "config": "{}"}}),
         [E(K + ".clevis", "cannot use custom clevis config with tpm2, tang, or threshold")]),
    Case("luks-custom-with-threshold", "3.6.0", luks(clevis={"threshold": 2, "custom": {"pin": "tpm2", "config": "{}"}}),
         [E(K + ".clevis", "cannot use custom clevis config with tpm2, tang, or threshold")]),
    Case("luks-custom-object-with-tang-32", "3.2.0", luks(clevis={"tang": [TANG], "custom": {}}),
         [E(K + ".clevis", "cannot use custom clevis config with tpm2, tang, or threshold")]),
    Case("luks-custom-empty-with-tang-33-ok", "3.3.0", luks(clevis={"tang": [TANG], "custom": {}})),
    Case("luks-custom-pin-required", "3.3.0", luks(clevis={"custom": {"config": "{}"}}),
         [E(K + ".clevis.custom.pin", "missing required custom clevis pin")]),
    Case("luks-custom-config-required", "3.3.0", luks(clevis={"custom": {"pin": "tang"}}),
         [E(K + ".clevis.custom.config", "missing required custom clevis config")]),
    Case("luks-custom-needs-network-alone-33", "3.3.0", luks(clevis={"custom": {"needsNetwork": True}}),
         [E(K + ".clevis.custom.pin", "missing required custom clevis pin"),
          E(K + ".clevis.custom.config", "missing required custom clevis config")]),
    Case("luks-custom-needs-network-alone-32-ok", "3.2.0", luks(clevis={"custom": {"needsNetwork": True}})),
    Case("luks-custom-config-alone-32", "3.2.0", luks(clevis={"custom": {"config": "{}"}}),
         [E(K + ".clevis.custom.pin", "unsupported clevis pin")]),
    Case("luks-custom-unknown-pin-33", "3.3.0", luks(clevis={"custom": {"pin": "yubikey", "config": "{}"}}),
         [E(K + ".clevis.custom.pin", "unsupported clevis pin")]),
    Case("luks-custom-unknown-pin-35", "3.5.0", luks(clevis={"custom": {"pin": "yubikey", "config": "{}"}}),
         [E(K + ".clevis.custom.pin", "unsupported clevis pin")]),
    Case("luks-custom-any-pin-36", "3.6.0", luks(clevis={"custom": {"pin": "yubikey", "config": "{}"}})),
    Case("luks-cex-ok", "3.5.0", luks(cex={"enabled": True})),
    Case("luks-cex-with-clevis", "3.5.0", luks(cex={"enabled": True}, clevis={"tpm2": True}),
         [E(K + ".cex", "cannot use cex with clevis")]),
    Case("luks-cex-with-keyfile", "3.6.0", luks(cex={"enabled": True}, keyFile={"source": "data:,k"}),
         [E(K + ".cex", "cannot use key file with cex")]),
    Case("luks-cex-disabled-with-clevis-ok", "3.6.0", luks(cex={"enabled": False}, clevis={"tpm2": True})),
    Case("luks-open-options-dup", "3.4.0", luks(openOptions=["--a", "--a"]), [E(K + ".openOptions.1", "duplicate entry defined")]),
    Case("luks-options-dups-allowed", "3.3.0", luks(options=["--a", "--a"])),
    Case("luks-name-dup", "3.3.0", {"storage": {"luks": [{"name": "d", "device": "/dev/a"}, {"name": "d", "device": "/dev/b"}]}},
         [E("$.storage.luks.1", "duplicate entry defined")]),
]


test_rule, test_rule_agrees_with_ignition_validate = rule_tests(CASES)
