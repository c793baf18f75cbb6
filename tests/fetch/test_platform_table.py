"""docs/platforms.md holds the platform table of ignite/providers/table.py verbatim, and
the table agrees with the providers: every platform has one row, the status and
deletion columns say what the providers do."""
from __future__ import annotations

from pathlib import Path

import pytest

from ignite import providers
from ignite.errors import UsageError
from ignite.providers import table
from ignite.stages import DELETE_CONFIG_PLATFORMS, STATUS_PLATFORMS

DOC = Path(__file__).resolve().parents[2] / "docs" / "platforms.md"


def test_the_doc_holds_the_table_verbatim() -> None:
    text = DOC.read_text()
    begin, end = text.index("<!-- table:begin"), text.index("<!-- table:end -->")
    rendered = text[text.index("\n", begin) + 1:end]
    assert rendered == table.markdown(), "regenerate the table in docs/platforms.md from ignite/providers/table.py"


def test_one_row_per_platform() -> None:
    assert [p.id for p in table.PLATFORMS] == sorted(providers.PLATFORMS)


def test_status_and_deletion_columns_match_the_providers() -> None:
    for row in table.PLATFORMS:
        assert (row.status != "none") == (row.id in STATUS_PLATFORMS), row.id
        deletes = not row.deletion.startswith("none")
        assert deletes == (row.id in DELETE_CONFIG_PLATFORMS), row.id


def test_platforms_said_to_need_the_network_ask_for_it_before_any_io(network_guard) -> None:
    from ignite.errors import FetchError
    from ignite.providers import ProviderContext
    from ignite.resource import FetchSettings

    for row in table.PLATFORMS:
        if row.network != "yes":
            continue
        offline = ProviderContext(row.id, FetchSettings(offline=True))
        try:
            providers.get(row.id).fetch(offline)
        except FetchError as exc:
            assert exc.kind == "neednet", row.id
        else:
            raise AssertionError(f"{row.id}: fetch-offline did not ask for the network")
    assert network_guard == []


def test_the_credential_platforms_are_those_whose_provider_lends_credentials() -> None:
    having = {p for p in providers.PLATFORMS if providers.credentials_hook(providers.get(p)) is not None}
    assert having == providers.CREDENTIAL_PLATFORMS


def test_credentials_of_an_unknown_platform_are_refused_by_name() -> None:
    with pytest.raises(UsageError, match="unknown platform 'nonesuch'"):
        providers.credentials_for("nonesuch")
    assert providers.credentials_for("qemu") is None or providers._on_gce()
