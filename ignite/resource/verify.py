"""Hash verification while streaming: `<function>-<hex>` as the spec writes it."""
from __future__ import annotations

from ignite.errors import FetchError

FUNCTIONS = {"sha512": 128, "sha256": 64}


class Verifier:
    """Feed it every chunk; `check()` raises FetchError(kind "hash") on a mismatch.

    `exact_case`: referenced configs compare the lowercase hex as a string (so an
    upper-case hash fails there), file contents decode the hex (any case), as upstream."""

    def __init__(self, spec: str, url: str, *, exact_case: bool = False):
        function, dash, expected = spec.partition("-")
        if not dash:
            raise FetchError(url, "hash", f"malformed hash specifier {spec!r}")
        if function not in FUNCTIONS:
            raise FetchError(url, "hash", f"unrecognized hash function {function!r}")
        if len(expected) != FUNCTIONS[function]:
            raise FetchError(url, "hash", f"incorrect size for hash sum {spec!r}")
        self.url = url
        self.expected = expected if exact_case else expected.lower()
        import hashlib  # only when a hash is verified: its OpenSSL load is 2-3 ms of start-up

        self._hash = hashlib.new(function)

    def update(self, chunk: bytes) -> None:
        self._hash.update(chunk)

    def check(self) -> None:
        calculated = self._hash.hexdigest()
        if calculated != self.expected:
            raise FetchError(
                self.url, "hash", f"hash verification failed (calculated {calculated} but expected {self.expected})"
            )
