"""The libc calls ignite makes without a process: syncfs(2) and umount2(2).

Through _ctypes, the C core of ctypes, with the one type the calls need declared here:
the ctypes package itself builds some sixty types and imports struct when loaded, ~2.5 ms
of the start-up of every files and umount stage (both run at every first boot). Where
_ctypes lacks what is used here (another Python), the ctypes package does the same.
"""
from __future__ import annotations

import os

TYPE_CHECKING = False  # not typing's: the files and umount stages run at every boot
if TYPE_CHECKING:
    from collections.abc import Callable


def function(name: str) -> Callable[..., int]:
    """libc's `name`, returning a C int, errno kept for errno(); OSError if libc has none."""
    try:
        import _ctypes

        class CInt(_ctypes._SimpleCData):  # ctypes.c_int
            _type_ = "i"

        class CFunction(_ctypes.CFuncPtr):  # what ctypes.CDLL(None, use_errno=True) gives
            _restype_ = CInt
            _flags_ = _ctypes.FUNCFLAG_CDECL | _ctypes.FUNCFLAG_USE_ERRNO

        address = _ctypes.dlsym(_ctypes.dlopen(None, 0), name)  # type: ignore[arg-type]  # None: the process itself
        found: Callable[..., int] = CFunction(address)
        return found
    except (ImportError, AttributeError, TypeError):
        import ctypes

        try:
            found = getattr(ctypes.CDLL(None, use_errno=True), name)
        except AttributeError as exc:
            raise OSError(f"libc has no {name}") from exc
        return found


def errno() -> int:
    """errno as the last call through function() left it."""
    try:
        from _ctypes import get_errno
    except ImportError:
        from ctypes import get_errno
    value: int = get_errno()
    return value


def check(result: int, what: str | None = None) -> None:
    """OSError (errno, strerror, `what`) for a call that returned -1."""
    if result != 0:
        code = errno()
        raise OSError(code, os.strerror(code), what)
