"""`ignition.security.tls.certificateAuthorities`: https against a server whose CA is
unknown fails as a TLS error, the config's CA makes it succeed; in the fetch stage the CAs
are fetched, used for the references and inlined into the cached config as data: URLs.
Also: the report push trusts the config's CA (test_report_push.py); proxies and CAs read
from the config (test_proxy_and_retries.py)."""
from __future__ import annotations

from pathlib import Path

import pytest

from ignite.config.model import Resource
from ignite.errors import FetchError
from ignite.resource import FetchSettings, fetch_bytes

from .conftest import Reply, Server
from .stage_boot import Boot, cfg, dump

FAST = FetchSettings(retry_initial=0.01, retry_max=0.05, http_total=5)


def res(url: str, **kw) -> Resource:
    return Resource(source=url, **kw)


def test_https_with_unknown_ca_fails_as_tls(https_server: Server) -> None:
    https_server.route("/c", Reply(200, b"secret"))
    with pytest.raises(FetchError) as err:
        fetch_bytes(res(https_server.url("/c")), FetchSettings(retry_initial=0.05, http_total=0.5))
    assert "tls: " in str(err.value) and "CERTIFICATE_VERIFY_FAILED" in str(err.value)


def test_https_with_the_config_ca_succeeds(https_server: Server, ca) -> None:
    https_server.route("/c", Reply(200, b"secret"))
    settings = FetchSettings(certificate_authorities=(ca.cert_pem.bytes(),), http_total=5)
    assert fetch_bytes(res(https_server.url("/c")), settings) == b"secret"
    assert fetch_bytes(res(https_server.url("/c", host="localhost")), settings) == b"secret"


def test_cas_are_fetched_used_and_inlined(
    tmp_path: Path, system, http_server: Server, https_server: Server, ca
) -> None:
    pem = ca.cert_pem.bytes()
    http_server.route("/ca.pem", Reply(200, pem))
    https_server.route("/secure.ign", Reply(200, dump(cfg(storage={"files": [{"path": "/tls"}]}))))
    boot = Boot(tmp_path, config=dump(cfg(ignition={
        "security": {"tls": {"certificateAuthorities": [{"source": http_server.url("/ca.pem")}]}},
        "config": {"merge": [{"source": https_server.url("/secure.ign")}]},
    })))
    boot.run("fetch")
    cas = boot.cache["ignition"]["security"]["tls"]["certificateAuthorities"]
    assert cas[0]["source"].startswith("data:;base64,")
    assert boot.cache["storage"]["files"][0]["path"] == "/tls"


def test_https_reference_with_an_unknown_ca_fails(tmp_path: Path, system, https_server: Server) -> None:
    https_server.route("/secure.ign", Reply(200, dump(cfg())))
    boot = Boot(tmp_path, config=dump(cfg(ignition={
        "timeouts": {"httpTotal": 1},
        "config": {"merge": [{"source": https_server.url("/secure.ign")}]},
    })))
    with pytest.raises(FetchError, match="tls: .*CERTIFICATE_VERIFY_FAILED"):
        boot.run("fetch")


@pytest.fixture
def trust_store_loads(monkeypatch: pytest.MonkeyPatch) -> list[tuple[bytes, ...]]:
    """Each TLS context the http reader makes (the system trust store is loaded for each)."""
    from ignite.resource import http

    made: list[tuple[bytes, ...]] = []
    make = http._ssl_context

    class Uncached(dict):  # each load is seen
        def __setitem__(self, key: object, value: object) -> None:
            pass

    def counted(extra_cas: tuple[bytes, ...]):  # type: ignore[no-untyped-def]
        made.append(extra_cas)
        return make(extra_cas)

    monkeypatch.setattr(http, "_SSL_CONTEXTS", Uncached())
    monkeypatch.setattr(http, "_ssl_context", counted)
    return made


def test_an_http_fetch_loads_no_trust_store(http_server: Server, trust_store_loads: list) -> None:
    """~40 ms here, over half a second of an emulated boot's network fetch stage."""
    http_server.route("/c", Reply(200, b"plain"))
    assert fetch_bytes(res(http_server.url("/c")), FAST) == b"plain"
    assert trust_store_loads == []


def test_https_and_a_redirect_to_https_load_the_trust_store(
    http_server: Server, https_server: Server, trust_store_loads: list
) -> None:
    https_server.route("/c", Reply(200, b"secret"))
    http_server.route("/up", Reply(302, headers={"Location": https_server.url("/c")}))
    for url in (https_server.url("/c"), http_server.url("/up")):
        trust_store_loads.clear()
        with pytest.raises(FetchError, match="CERTIFICATE_VERIFY_FAILED"):
            fetch_bytes(res(url), FetchSettings(retry_initial=0.05, http_total=0.5))
        assert trust_store_loads and set(trust_store_loads) == {()}  # once per attempt, uncached here


def test_the_configs_cas_are_loaded_even_for_http(http_server: Server, ca, trust_store_loads: list) -> None:
    """As before the trust store was made lazy: a CA bundle ssl refuses fails any fetch alike."""
    http_server.route("/c", Reply(200, b"plain"))
    settings = FetchSettings(certificate_authorities=(ca.cert_pem.bytes(),), http_total=5)
    assert fetch_bytes(res(http_server.url("/c")), settings) == b"plain"
    assert trust_store_loads == [(ca.cert_pem.bytes(),)]
