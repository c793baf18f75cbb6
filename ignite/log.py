"""Log set-up that costs nothing until something really needs the logging module.

ignite logs through the standard `logging` module, whose import costs a boot stage 7-8 ms
(traceback, threading, string, a handful of regexes). The modules every files stage loads,
even with nothing to do but the result file, take their logger from `get_logger` instead:
while `logging` is not loaded, it writes the very line logging would ("ignite: message",
to stderr, if the level is enabled) itself; once anything has loaded `logging`, it hands
every message over to it. `setup` configures `logging` at once if it is loaded, otherwise
the moment something imports it, so that no module's messages are lost either way.
"""
from __future__ import annotations

import sys

TYPE_CHECKING = False  # not typing's: every files stage loads this module
if TYPE_CHECKING:
    from collections.abc import Sequence
    from importlib.machinery import ModuleSpec
    from types import ModuleType

DEBUG, INFO, WARNING = 10, 20, 30
FORMAT = "ignite: %(message)s"
_level = WARNING


def setup(verbose: bool, debug: bool) -> None:
    global _level
    _level = DEBUG if debug else INFO if verbose else WARNING
    logging = sys.modules.get("logging")
    if logging is not None:
        _configure()
    elif _ConfigureOnImport not in sys.meta_path:
        sys.meta_path.insert(0, _ConfigureOnImport)


def _configure() -> None:
    # Only called once `logging` is in sys.modules (loaded, or being executed by the finder
    # below): this import costs a dict look-up and gives the checker the real module.
    import logging

    logging.basicConfig(stream=sys.stderr, level=_level, format=FORMAT)

    class _ToRecord(logging.Handler):
        def emit(self, entry: logging.LogRecord) -> None:
            to_record(entry.levelno, entry.getMessage())

    logging.getLogger().addHandler(_ToRecord(WARNING))


def to_record(level: int, text: str) -> None:
    """Warnings and errors also go to the boot record (the report lists them), once a stage
    has opened it."""
    record = sys.modules.get("ignite.record")
    if level >= WARNING and record is not None and record.active():
        record.warning(record.current_stage(), text)


class _ConfigureOnImport:
    """A meta path finder for `logging` only: finds it as usual, configures it once loaded."""

    @classmethod
    def find_spec(cls, name: str, path: Sequence[str] | None = None,
                  target: ModuleType | None = None) -> ModuleSpec | None:
        if name != "logging":
            return None
        sys.meta_path.remove(cls)
        import importlib.util

        spec = importlib.util.find_spec(name)
        if spec is None or spec.loader is None:
            return spec
        execute = spec.loader.exec_module

        def exec_module(module: ModuleType) -> None:
            execute(module)
            _configure()

        spec.loader.exec_module = exec_module  # type: ignore[method-assign]  # this one loader instance only
        return spec


class Logger:
    """The part of logging.Logger that ignite's cheap modules use."""

    def __init__(self, name: str) -> None:
        self.name = name

    def _log(self, level: int, msg: str, args: tuple[object, ...]) -> None:
        logging = sys.modules.get("logging")
        if logging is not None:
            logging.getLogger(self.name).log(level, msg, *args, stacklevel=3)
        else:
            text = msg % args if args else msg
            if level >= _level:
                sys.stderr.write(f"ignite: {text}\n")
            to_record(level, text)

    def debug(self, msg: str, *args: object) -> None:
        self._log(DEBUG, msg, args)

    def info(self, msg: str, *args: object) -> None:
        self._log(INFO, msg, args)

    def warning(self, msg: str, *args: object) -> None:
        self._log(WARNING, msg, args)

    def error(self, msg: str, *args: object) -> None:
        self._log(40, msg, args)


def get_logger(name: str) -> Logger:
    return Logger(name)
