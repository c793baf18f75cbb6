"""3.x validation of systemd units and drop-ins (docs/spec/config.md#validation, #duplicates)."""
from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from v3_validate_helpers import Case, E, W, rule_tests

U = "$.systemd.units.0"
GOOD = "[Unit]\nDescription=x\n[Service]\nExecStart=/bin/true\n[Install]\nWantedBy=multi-user.target\n"


def units(*entries):
    return {"systemd": {"units": list(entries)}}


CASES = [
    Case("unit-ok", "3.0.0", units({"name": "a.service", "enabled": True, "contents": GOOD})),
    *[Case(f"unit-ext{ext}", "3.3.0", units({"name": "a" + ext})) for ext in
      (".service", ".socket", ".device", ".mount", ".automount", ".swap", ".target", ".path", ".timer",
       ".snapshot", ".slice", ".scope")],
    Case("unit-ext-bad", "3.3.0", units({"name": "a.conf"}), [E(U + ".name", "invalid systemd unit extension")]),
    Case("unit-ext-missing", "3.0.0", units({"name": "a"}), [E(U + ".name", "invalid systemd unit extension")]),
    Case("unit-contents-no-equals", "3.3.0", units({"name": "a.service", "contents": "[Unit]\nfoo\n"}),
         [E(U + ".contents", "invalid unit content: unexpected newline encountered while parsing option name")]),
    Case("unit-contents-eof-in-name", "3.1.0", units({"name": "a.service", "contents": "[Unit]\nfoo"}),
         [E(U + ".contents", "invalid unit content: EOF")]),
    Case("unit-contents-unclosed-section", "3.3.0", units({"name": "a.service", "contents": "[Unit\nA=b\n"}),
         [E(U + ".contents", "invalid unit content: unable to find end of section")]),
    Case("unit-contents-garbage", "3.2.0", units({"name": "a.service", "contents": "[Unit] trailing\n"}),
         [E(U + ".contents", 'invalid unit content: found garbage after section name : "trailing"')]),
    Case("unit-contents-line-too-long", "3.3.0", units({"name": "a.service", "contents": "[Unit]\nA=" + "x" * 3000 + "\n"}),
         [E(U + ".contents", "invalid unit content: line too long (max 2048 bytes)")]),
    Case("unit-contents-text-before-section-ok", "3.3.0", units({"name": "a.service", "contents": "hello\n[Unit]\nA=b\n"})),
    Case("unit-contents-comments-continuations-ok", "3.3.0", units({"name": "a.service",
                                                                    "contents": "# c \\\n more\n[Unit]\n; x\nA=b \\\n  c\n"})),
    Case("unit-contents-empty-ok", "3.3.0", units({"name": "a.service", "contents": ""})),
    Case("enabled-without-install-warns", "3.3.0", units({"name": "a.service", "enabled": True, "contents": "[Service]\nExecStart=/x\n"}),
         [W(U + ".contents", 'unit "a.service" is enabled, but has no install section so enable does nothing')]),
    Case("empty-install-header-warns", "3.3.0", units({"name": "a.service", "enabled": True, "contents": "[Service]\nA=b\n[Install]\n"}),
         [W(U + ".contents", 'unit "a.service" is enabled, but has no install section so enable does nothing')]),
    Case("disabled-without-install-ok", "3.3.0", units({"name": "a.service", "enabled": False, "contents": "[Service]\nA=b\n"})),
    Case("enabled-without-contents-ok", "3.3.0", units({"name": "a.service", "enabled": True})),
    Case("template-without-install-warns", "3.3.0", units(
        {"name": "x@.service", "contents": "[Service]\nExecStart=/x\n"}, {"name": "x@a.service", "enabled": True}),
         [W("$.systemd.units.1.contents", 'template unit "x@.service" for "x@a.service" doesn\'t have Install section')]),
    Case("template-with-install-ok", "3.6.0", units(
        {"name": "x@.service", "contents": GOOD}, {"name": "x@a.service", "enabled": True})),
    Case("dropin-ok", "3.0.0", units({"name": "a.service", "dropins": [{"name": "10-x.conf", "contents": "[Service]\nA=b\n"}]})),
    Case("dropin-ext-bad", "3.3.0", units({"name": "a.service", "dropins": [{"name": "x.service"}]}),
         [E(U + ".dropins.0.name", "invalid systemd drop-in extension")]),
    Case("dropin-contents-bad", "3.3.0", units({"name": "a.service", "dropins": [{"name": "x.conf", "contents": "[Service]\nnope"}]}),
         [E(U + ".dropins.0.contents", "invalid unit content: EOF")]),
    Case("dropin-dup", "3.3.0", units({"name": "a.service", "dropins": [{"name": "x.conf"}, {"name": "x.conf"}]}),
         [E(U + ".dropins.1", "duplicate entry defined")]),
    Case("unit-dup", "3.1.0", units({"name": "a.service"}, {"name": "a.service"}),
         [E("$.systemd.units.1", "duplicate entry defined")]),
]


test_rule, test_rule_agrees_with_ignition_validate = rule_tests(CASES)
