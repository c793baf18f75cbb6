"""RFC 2397 `data:` URLs, decoded with the rules and error texts of the Go decoder
Ignition uses (vincent-petithory/dataurl): which media types and parameters it accepts
decides whether a config is valid, so this follows its lexer rather than a lenient one.
"""
from __future__ import annotations

import binascii

from ignite.errors import ConfigError

TYPE_CHECKING = False  # not typing's, nor collections': this module is on a boot stage's start-up path
if TYPE_CHECKING:
    from collections.abc import Callable

_HEX = frozenset("0123456789abcdefABCDEF")

_TSPECIALS = frozenset('()<>@,;:\\"/[]?=')
# What the data part may hold, checked with bytes.translate (in C: data URLs can be megabytes).
_URL_DATA_BYTES = bytes(c for c in range(0x21, 0x7F) if chr(c) not in '<>#"{}|\\^[]`')
_BASE64_DATA_BYTES = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=\n"
_BASE64_ALPHABET = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
_DISCRETE = ("text", "image", "audio", "video", "application", "message", "multipart")


class _Patterns:
    """The lexer's and the error paths' regexes. Compiled on first use (`_patterns()`):
    `re` costs every process ~7 ms of start-up, and the plain `data:,` and
    `data:;base64,` URLs the files stage decodes never need it."""

    def __init__(self) -> None:
        import re

        # A run of token characters (RFC 2045: printable ASCII but tspecials), skipped in C.
        token = "[" + re.escape("".join(c for c in map(chr, range(0x21, 0x7F)) if c not in _TSPECIALS)) + "]"
        self.token_run = re.compile(token + "*")
        # Plain `;attr=value` parameters, up to a thousand at a time: the lexer walks only
        # what this does not cover (quoted values, base64, errors).
        # Bounded: re keeps state per repeat.
        self.plain_params = re.compile(f"(?:;{token}+={token}+){{1,1000}}(?=[;,])")
        self.bad_escape = re.compile(r"%(?![0-9A-Fa-f]{2})[0-9A-Fa-f]?")


_compiled: list[_Patterns] = []


def _patterns() -> _Patterns:
    if not _compiled:
        _compiled.append(_Patterns())
    return _compiled[0]


def has_bad_data_char(data: str, base64: bool) -> bool:
    """Whether the data part holds a character Go's lexer refuses there (base64: any but
    the alphabet, `=` and newline; otherwise: any but printable ASCII, and `<>#"{}|\\^[]` and the backquote)."""
    if not data.isascii():
        return True
    return bool(data.encode().translate(None, _BASE64_DATA_BYTES if base64 else _URL_DATA_BYTES))


def is_plain_base64(s: str) -> bool:
    """`[A-Za-z0-9+/]*={0,2}` matches all of `s`."""
    body = s.rstrip("=")
    return len(s) - len(body) <= 2 and body.isascii() and not body.encode().translate(None, _BASE64_ALPHABET)


def _is_token(c: str) -> bool:
    return c < "\x80" and not c.isspace() and c >= " " and c != "\x7f" and c not in _TSPECIALS


class _DataURLLexer:
    """The lexer of Go's vincent-petithory/dataurl, handing each (kind, text) item to
    `consume` as it is found: a URL with millions of parameters is never held as a list."""

    def __init__(self, text: str, consume: Callable[[str, str], None]):
        self.s = text
        self.pos = 0
        self.start = 0
        self.consume = consume
        self.base64 = False

    def skip_tokens(self) -> None:
        run = _patterns().token_run.match(self.s, self.pos)  # always matches (possibly empty)
        if run is not None:
            self.pos = run.end()

    def next(self) -> str:
        if self.pos >= len(self.s):
            return ""
        c = self.s[self.pos]
        self.pos += 1
        return c

    def emit(self, kind: str) -> None:
        self.consume(kind, self.s[self.start : self.pos])
        self.start = self.pos

    def fail(self, message: str) -> None:
        self.consume("error", message)

    def run(self) -> None:
        if not self.s.startswith("data:"):
            return self.fail("missing data prefix")
        self.pos = 5
        self.emit("prefix")
        c = self.next()
        if c in (";", ","):
            self.pos -= 1
            return self._after_params() if c == ";" else self._data()
        if c == "":
            return self.fail("missing comma before data")
        if c in "xX" and self.next() == "-":
            discrete = False
        elif _is_token(c):
            discrete = True
        else:
            return self.fail("invalid character after data prefix")
        while True:
            self.skip_tokens()
            c = self.next()
            if c == "/":
                self.pos -= 1
                if discrete and not self.s[self.start : self.pos].startswith(_DISCRETE):
                    return self.fail("invalid media type")
                break
            if c == "":
                return self.fail("missing media type slash")
            if not _is_token(c):
                return self.fail("invalid character for media type")
        if self.pos > self.start:
            self.emit("type")
        self.next()
        self.emit("sep")
        while True:
            self.skip_tokens()
            c = self.next()
            if c in (";", ","):
                self.pos -= 1
                break
            if c == "":
                return self.fail("incomplete media type")
            if not _is_token(c):
                return self.fail("invalid character for media subtype")
        if self.pos > self.start:
            self.emit("subtype")
        c = self.next()
        if c == ";":
            self.pos -= 1
            return self._after_params()
        if c == ",":
            self.pos -= 1
            return self._data()
        if c == "":
            return self.fail("missing comma before data")
        return self.fail("expected semicolon or comma")

    def _after_params(self) -> None:
        # at a ';' (parameter sequence) until the data comma
        patterns = _patterns()
        while True:
            plain = patterns.plain_params.match(self.s, self.pos)
            if plain and not ("%" in plain.group() and patterns.bad_escape.search(plain.group())):
                # every value is ASCII with valid escapes: what the item checks would find
                self.pos = self.start = plain.end()
                if self.s[self.pos] == ",":
                    return self._data()
            self.next()
            self.emit("semicolon")
            c = self.next()
            if c in ("", "=", ","):
                return self.fail("unterminated parameter sequence")
            if not _is_token(c):
                return self.fail("invalid character for parameter attribute")
            self.pos -= 1
            while True:
                self.skip_tokens()
                c = self.next()
                if c == "=":
                    self.pos -= 1
                    break
                if c == ",":
                    self.pos -= 1
                    if self.pos > self.start:
                        value = self.s[self.start : self.pos]
                        if value != "base64":
                            return self.fail(f"expected base64, got {value}")
                        self.base64 = True
                        self.emit("base64")
                    return self._data()
                if c == "":
                    return self.fail("unterminated parameter sequence")
                if not _is_token(c):
                    return self.fail("invalid character for parameter attribute")
            if self.pos > self.start:
                self.emit("attr")
            self.next()
            self.emit("equal")
            c = self.next()
            if c == '"':
                self.emit("lquote")
                while True:
                    c = self.next()
                    if c == "":
                        return self.fail("unclosed quoted string")
                    if c == "\\":
                        c = self.next()
                        if c == "":
                            return self.fail("unclosed quoted string")
                        if c >= "\x80":
                            return self.fail("invalid escaped character")
                        continue
                    if c == '"':
                        self.pos -= 1
                        break
                    if c >= "\x80":
                        return self.fail("invalid character for parameter value")
                if self.pos > self.start:
                    self.emit("value")
                self.next()
                self.emit("rquote")
            elif c == "":
                return self.fail("missing comma before data")
            elif _is_token(c):
                while True:
                    self.skip_tokens()
                    c = self.next()
                    if c in (";", ","):
                        self.pos -= 1
                        break
                    if c == "":
                        return self.fail("missing comma before data")
                    if not _is_token(c):
                        return self.fail("invalid character for parameter value")
                if self.pos > self.start:
                    self.emit("value")
            else:
                return self.fail("invalid character for parameter value")
            c = self.next()
            if c == ",":
                self.pos -= 1
                return self._data()
            if c == "":
                return self.fail("missing comma before data")
            if c != ";":
                return self.fail("expected semicolon or comma")
            self.pos -= 1

    def _data(self) -> None:
        self.next()
        self.emit("comma")
        if has_bad_data_char(self.s[self.pos :], self.base64):
            return self.fail("invalid data character")
        self.pos = len(self.s)
        if self.pos > self.start:
            self.emit("data")
        self.emit("eof")


def _rfc2396_unescape(s: str) -> bytes:
    if not s.isascii():
        raise ConfigError("rfc2396: non-ASCII char detected")
    if "%" not in s:
        return s.encode()
    # Quoted-printable decoding runs in C; the only bytes it treats specially are '='
    # (escaped first) and CR/LF after one, which a data URL cannot contain.
    decoded = binascii.a2b_qp(s.replace("=", "=3D").replace("%", "=").encode())
    # Each valid escape (`%` and two hex digits) shrinks the text by two bytes, a broken one
    # by one at most: the length proves every escape valid, in C.
    if len(decoded) == len(s) - 2 * s.count("%") and "\n" not in s and "\r" not in s:
        return decoded
    bad = _patterns().bad_escape.search(s)
    if bad:
        if len(bad.group()) < 3 and bad.end() == len(s):
            raise ConfigError("rfc2396: unexpected end of unescape sequence")
        raise ConfigError("rfc2396: invalid char 0x25 in unescape sequence")
    return decoded


_GO_ESCAPES = frozenset("abfnrtv\\\"")


def _check_go_unquote(s: str) -> None:
    """strconv.Unquote of a double-quoted parameter value: only its failure matters."""
    if "\n" in s:
        raise ConfigError("invalid syntax")
    i = 0
    while i < len(s):
        if s[i] != "\\":
            i += 1
            continue
        c = s[i + 1] if i + 1 < len(s) else ""
        digits = {"x": 2, "u": 4, "U": 8}.get(c)
        if c in _GO_ESCAPES and c:
            i += 2
        elif digits:
            if not all(ch in _HEX for ch in s[i + 2 : i + 2 + digits]) or len(s) < i + 2 + digits:
                raise ConfigError("invalid syntax")
            i += 2 + digits
        elif c and c in "01234567":
            octal = s[i + 1 : i + 4]
            if len(octal) < 3 or any(ch not in "01234567" for ch in octal) or int(octal, 8) > 255:
                raise ConfigError("invalid syntax")
            i += 4
        else:
            raise ConfigError("invalid syntax")


def _go_base64_decode(s: str) -> bytes:
    """base64.StdEncoding.DecodeString: padding required, CR/LF skipped, Go's error offsets."""
    plain = s.replace("\n", "").replace("\r", "")
    if len(plain) % 4 == 0 and is_plain_base64(plain):
        return binascii.a2b_base64(plain)
    # Invalid input: the exact walk below finds Go's error offset.
    src = s.encode("latin-1")
    alphabet = _BASE64_ALPHABET
    out = bytearray()
    si = 0
    n = len(src)
    while si < n:
        quantum: list[int] = []
        j = 0
        while j < 4:
            if si == n:
                if j == 0:
                    return bytes(out)
                raise ConfigError(f"illegal base64 data at input byte {si - j}")
            ch = src[si]
            si += 1
            if ch in (0x0A, 0x0D):
                continue
            idx = alphabet.find(bytes([ch]))
            if idx >= 0:
                quantum.append(idx)
                j += 1
                continue
            if ch != 0x3D:
                raise ConfigError(f"illegal base64 data at input byte {si - 1}")
            if j in (0, 1):
                raise ConfigError(f"illegal base64 data at input byte {si - 1}")
            if j == 2:
                while si < n and src[si] in (0x0A, 0x0D):
                    si += 1
                if si == n:
                    raise ConfigError(f"illegal base64 data at input byte {n}")
                if src[si] != 0x3D:
                    raise ConfigError(f"illegal base64 data at input byte {si - 1}")
                si += 1
            while si < n and src[si] in (0x0A, 0x0D):
                si += 1
            value = 0
            for k in range(4):
                value = value << 6 | (quantum[k] if k < len(quantum) else 0)
            out.extend(value.to_bytes(3, "big")[: j - 1])
            if si < n:
                raise ConfigError(f"illegal base64 data at input byte {si}")
            return bytes(out)
        value = quantum[0] << 18 | quantum[1] << 12 | quantum[2] << 6 | quantum[3]
        out.extend(value.to_bytes(3, "big"))
    return bytes(out)


class _Decoded:
    """Checks each lexer item as it comes and keeps the decoded data."""

    __slots__ = ("data", "quoted", "base64")

    def __init__(self) -> None:
        self.data = b""
        self.quoted = False
        self.base64 = False

    def consume(self, kind: str, text: str) -> None:
        if kind == "error":
            raise ConfigError(text)
        if kind == "lquote":
            self.quoted = True
        elif kind == "value":
            if self.quoted:
                _check_go_unquote(text)
            else:
                _rfc2396_unescape(text)
            self.quoted = False
        elif kind == "base64":
            self.base64 = True
        elif kind == "data":
            self.data = _go_base64_decode(text) if self.base64 else _rfc2396_unescape(text)


def decode_data_url(url: str) -> bytes:
    """The bytes of an RFC 2397 `data:` URL, decoded as Ignition decodes them.

    Raises ConfigError carrying the decoder's own message (e.g. `missing comma before data`)."""
    # The two headers nearly every config uses skip the lexer (which would reach the same
    # data check): the files stage decodes one URL per file.
    if url.startswith("data:,"):
        data = url[6:]
        if has_bad_data_char(data, base64=False):
            raise ConfigError("invalid data character")
        return _rfc2396_unescape(data)
    if url.startswith("data:;base64,"):
        data = url[13:]
        if has_bad_data_char(data, base64=True):
            raise ConfigError("invalid data character")
        return _go_base64_decode(data)
    decoded = _Decoded()
    _DataURLLexer(url, decoded.consume).run()
    return decoded.data
