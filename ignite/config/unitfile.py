"""systemd unit-file syntax as go-systemd's `unit.DeserializeOptions` reads it.

Ignition validates unit and drop-in contents with that parser, so its quirks decide
whether a config is valid: text before the first section is skipped, a section name
runs to the next `]` (even across lines), a line of 2048 bytes without a newline is
refused, an option line without `=` is an error. Messages are the parser's own.
"""
from __future__ import annotations

from ignite.config.record import Record
from ignite.errors import ConfigError

TYPE_CHECKING = False  # not typing's, nor dataclasses: every fetch stage validates its units
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import TypeAlias

    # The lexer is a chain of states, as go-systemd's: each step returns the next (None at the end).
    _Step: TypeAlias = Callable[[], "_Step | None"]

LINE_MAX = 2048
_ASCII_SPACE = b" \t\n\v\f\r"
# Go's unicode.IsSpace (Python's str.isspace also counts \x1c-\x1f)
_GO_SPACE = (
    " \t\n\v\f\r\x85\xa0\u1680"
    "\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a"
    "\u2028\u2029\u202f\u205f\u3000"
)




class UnitOption(Record):
    section: str = ""
    name: str = ""
    value: str = ""


def go_quote(data: bytes | str) -> str:
    """Go's %q of a string (strconv.Quote)."""
    out = ['"']
    text = data.decode("utf-8", "surrogateescape") if isinstance(data, bytes) else data
    for ch in text:
        code = ord(ch)
        if 0xDC80 <= code <= 0xDCFF:
            out.append(f"\\x{code - 0xDC00:02x}")
        elif ch in '"\\':
            out.append("\\" + ch)
        elif ch.isprintable() or ch == " ":
            out.append(ch)
        else:
            escapes = {"\a": "\\a", "\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r", "\t": "\\t", "\v": "\\v"}
            if ch in escapes:
                out.append(escapes[ch])
            elif code < 0x80:
                out.append(f"\\x{code:02x}")
            elif code < 0x10000:
                out.append(f"\\u{code:04x}")
            else:
                out.append(f"\\U{code:08x}")
    out.append('"')
    return "".join(out)


class _Lexer:
    def __init__(self, data: bytes):
        self.data = data
        self.pos = 0
        self.options: list[UnitOption] = []
        self.sections: list[str] = []

    def _rune(self) -> tuple[int, bytes] | None:
        """The next UTF-8 character as (code, bytes), None at the end."""
        if self.pos >= len(self.data):
            return None
        lead = self.data[self.pos]
        size = 1 if lead < 0xC0 else 2 if lead < 0xE0 else 3 if lead < 0xF0 else 4
        chunk = self.data[self.pos : self.pos + size]
        try:
            code = ord(chunk.decode("utf-8"))
        except UnicodeDecodeError:
            chunk, code = self.data[self.pos : self.pos + 1], 0xFFFD
        self.pos += len(chunk)
        return code, chunk

    def _to_eol(self) -> tuple[bytes, bool]:
        end = self.data.find(b"\n", self.pos)
        if end < 0:
            line, self.pos, eof = self.data[self.pos :], len(self.data), True
        else:
            line, self.pos, eof = self.data[self.pos : end + 1], end + 1, False
        if line.endswith(b"\n"):
            line = line[:-1]
        if line.endswith(b"\r"):
            line = line[:-1]
        return line, eof

    def _check_line_length(self) -> None:
        # go-systemd peeks LINE_MAX bytes from its buffer before every lexing step
        ahead = self.data[self.pos : self.pos + LINE_MAX]
        if len(ahead) >= LINE_MAX and b"\n" not in ahead and b"\r" not in ahead:
            raise ConfigError(f"line too long (max {LINE_MAX} bytes)")

    def run(self) -> list[UnitOption]:
        step: _Step | None = self._next_section
        while step is not None:
            self._check_line_length()
            step = step()
        return self.options

    def _next_section(self) -> _Step | None:
        r = self._rune()
        if r is None:
            return None
        if r[0] == ord("["):
            return self._section_name
        if r[0] in (ord("#"), ord(";")):
            return self._ignore_line(self._next_section)
        return self._next_section

    def _section_name(self) -> _Step | None:
        end = self.data.find(b"]", self.pos)
        if end < 0:
            raise ConfigError("unable to find end of section")
        name = self.data[self.pos : end].decode("utf-8", "replace")
        self.pos = end + 1

        def suffix() -> _Step | None:
            garbage, _ = self._to_eol()
            garbage = garbage.strip(_ASCII_SPACE)
            if garbage:
                # upstream never sets the lexer's section, hence the empty name
                raise ConfigError(f"found garbage after section name : {go_quote(garbage)}")
            self.sections.append(name)
            return self._section_or_option(name)

        return suffix

    def _ignore_line(self, after: _Step | None) -> _Step:
        def step() -> _Step | None:
            while True:
                line, _ = self._to_eol()
                if line.endswith(b" "):
                    line = line[:-1]
                if not line.endswith(b"\\"):
                    return after
        return step

    def _section_or_option(self, section: str) -> _Step:
        def step() -> _Step | None:
            start = self.pos
            r = self._rune()
            if r is None:
                return None
            code = r[0]
            if chr(code) in _GO_SPACE:
                return self._section_or_option(section)
            if code == ord("["):
                return self._section_name
            if code in (ord("#"), ord(";")):
                return self._ignore_line(self._section_or_option(section))
            self.pos = start
            return self._option_name(section)
        return step

    def _option_name(self, section: str) -> _Step:
        def step() -> _Step | None:
            end = self.pos
            while True:
                if end >= len(self.data):
                    raise ConfigError("EOF")
                byte = self.data[end]
                if byte in (0x0A, 0x0D):
                    raise ConfigError("unexpected newline encountered while parsing option name")
                if byte == 0x3D:
                    break
                end += 1
            name = self.data[self.pos : end].decode("utf-8", "replace").strip(_GO_SPACE)
            self.pos = end + 1
            return self._option_value(section, name, [])
        return step

    def _option_value(self, section: str, name: str, parts: list[bytes]) -> _Step:
        """`parts`: the value's lines so far, joined once at its end (continuation lines
        appended one by one to a bytes value made this quadratic)."""
        def step() -> _Step | None:
            line, eof = self._to_eol()
            if line.strip(_ASCII_SPACE):
                parts.append(line)
                if line.endswith(b"\\"):
                    if not eof:
                        parts.append(b"\n")
                    return self._option_value(section, name, parts)
            text = b"".join(parts).decode("utf-8", "replace")
            text = text.strip(_GO_SPACE) + "\n" if text.endswith("\n") else text.strip(_GO_SPACE)
            self.options.append(UnitOption(section, name, text))
            return self._section_or_option(section)
        return step


def deserialize_options(contents: str) -> list[UnitOption]:
    """Every option of a unit file in order. Raises ConfigError with the parser's message."""
    return _Lexer(contents.encode("utf-8", "surrogatepass")).run()


def parse_unit_contents(contents: str | None) -> list[UnitOption]:
    """Ignition's ParseUnitContents: the options, or ConfigError `invalid unit content: …`."""
    if contents is None:
        return []
    try:
        return deserialize_options(contents)
    except ConfigError as err:
        raise ConfigError(f"invalid unit content: {err.message}") from None


def has_install_section(options: list[UnitOption]) -> bool:
    """Whether any option lives in [Install] (an empty [Install] header does not count)."""
    return any(opt.section == "Install" for opt in options)
