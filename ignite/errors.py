"""One error type per kind of failure, each carrying the context a person needs.

Every error ignite raises on purpose derives from IgniteError; the CLI turns them
into one readable message and an exit code, never a traceback.
"""
from __future__ import annotations

TYPE_CHECKING = False  # not typing's: every process imports this module, even a no-op stage
if TYPE_CHECKING:
    from collections.abc import Sequence

    from ignite.config.report import JsonPath, Report


class IgniteError(Exception):
    """Base of every expected failure. `exit_code` is what the CLI returns."""

    exit_code = 1


class UsageError(IgniteError):
    """The command line or the environment is wrong (exit 2)."""

    exit_code = 2


class ConfigError(IgniteError):
    """A config was rejected. `report` lists every error and warning found."""

    def __init__(self, message: str, report: Report | None = None, source: str = ""):
        self.message = message
        self.report = report
        self.source = source
        super().__init__(message)

    def __str__(self) -> str:
        where = f"{self.source}: " if self.source else ""
        if self.report is None or not self.report.errors():
            return f"{where}{self.message}"
        first = self.report.errors()[0]
        more = len(self.report.errors()) - 1
        tail = f" (and {more} more error{'s' if more > 1 else ''})" if more else ""
        return f"{where}{self.message}: {first.describe()}{tail}"


class FetchError(IgniteError):
    """A resource could not be fetched. `kind` classifies the failure:
    dns, connect, tls, http, timeout, hash, decompress, scheme, notfound, io, size."""

    def __init__(self, url: str, kind: str, detail: str):
        self.url = url
        self.kind = kind
        self.detail = detail
        super().__init__(f"{redact_url(url)}: {kind}: {detail}")


class CommandError(IgniteError):
    """An external command failed: its argv quoted as a shell would need it, how it ended
    (exit code, or the signal that killed it) and its error output."""

    def __init__(self, argv: Sequence[str], returncode: int, stderr: str) -> None:
        import shlex

        self.argv = list(argv)
        self.returncode = returncode
        self.stderr = stderr
        super().__init__(
            f"{self.argv[0]} {how_it_ended(returncode)}: {summarize_stderr(stderr)} (command: {shlex.join(self.argv)})"
        )


def how_it_ended(returncode: int) -> str:
    """How a command ended, from its return code: "failed with exit code N", or "was killed
    by SIGNAME" (subprocess gives -N for a process killed by signal N)."""
    if returncode >= 0:
        return f"failed with exit code {returncode}"
    import signal

    try:
        name = signal.Signals(-returncode).name
    except ValueError:
        name = f"signal {-returncode}"
    return f"was killed by {name}"


class ToolMissingError(IgniteError):
    """An external tool ignite needs is not installed."""

    def __init__(self, tool: str):
        self.tool = tool
        super().__init__(f"required tool {tool!r} is not installed or not on PATH")


class TargetError(IgniteError):
    """Base of the errors about one thing the config asks for on the machine (a device, a
    file, a unit, an account): what it is, what went wrong, and where the config says it,
    as a JSON path in the one notation of format_path (`json_path`, "" when unknown)."""

    def __init__(self, subject: str, detail: str, json_path: JsonPath | str = ()) -> None:
        self.subject = subject
        self.detail = detail
        self.json_path = format_path(json_path) if json_path else ""
        at = f" (at {self.json_path})" if self.json_path else ""
        super().__init__(f"{subject}: {detail}{at}")


class DeviceError(TargetError):
    """A block device is missing, busy, or cannot satisfy the config."""

    def __init__(self, device: str, detail: str, json_path: JsonPath | str = ()) -> None:
        self.device = device
        super().__init__(device, detail, json_path)


class MountError(DeviceError):
    """A filesystem would not mount: the device, and mount's stderr."""


class RootEscapeError(IgniteError):
    """A path in the target root would resolve outside of it."""

    def __init__(self, path: str, root: str, detail: str = "resolves outside the target root"):
        self.path = path
        self.root = root
        super().__init__(f"{path}: {detail} {root}")


class NodeError(TargetError):
    """A file, directory, link, unit or account could not be made as the config says."""

    def __init__(self, path: str, detail: str, json_path: JsonPath | str = ()) -> None:
        self.path = path
        super().__init__(path, detail, json_path)


class ProviderError(IgniteError):
    """A platform's config channel failed (as opposed to "there is no config")."""

    def __init__(self, platform: str, detail: str):
        self.platform = platform
        super().__init__(f"platform {platform}: {detail}")


class SetupError(IgniteError):
    """The initramfs's first-boot set-up cannot tell which device is this machine's, or a
    device it must read did not appear or cannot be mounted (`device`: the one or more
    devices concerned)."""

    def __init__(self, device: str, detail: str):
        self.device = device
        super().__init__(f"setup: {detail}")


class IdentityError(IgniteError):
    """A URL names an unknown identity variable (${mac}, …), or one this machine cannot tell."""


class StageError(IgniteError):
    """A stage failed; wraps the cause with the stage name for the boot console."""

    def __init__(self, stage: str, cause: BaseException):
        self.stage = stage
        self.cause = cause
        super().__init__(f"stage {stage} failed: {cause}")


def format_path(path: JsonPath | str) -> str:
    """A JSON path in Ignition's notation, `$.storage.files.0.path`: the one formatter, for
    report entries and runtime errors alike. A string is taken as dotted parts, with or
    without the leading `$`."""
    if isinstance(path, str):
        path = tuple(path.removeprefix("$").removeprefix(".").split(".")) if path.strip("$.") else ()
    return "$" + "".join(f".{p}" for p in path)


def summarize_stderr(stderr: str, limit: int = 400) -> str:
    """A command's error output on one line. All of it, not the last line: tools often end
    with a hint ("dmesg(1) may have more information ...") after the actual cause."""
    lines = [line.strip() for line in stderr.strip().splitlines() if line.strip()]
    if not lines:
        return "no error output"
    text = "; ".join(lines)
    return text if len(text) <= limit else text[: limit - 3] + "..."


# Query parameters whose values are credentials (presigned S3/GCS URLs, Azure SAS, API keys).
_SECRET_QUERY_WORDS = ("sig", "token", "credential", "password", "passwd", "secret", "key", "auth")
DATA_URL_SHOWN = 40  # characters of a data: URL's media type shown; its contents never are


def redact_url(url: str) -> str:
    """The URL as logs and errors may show it: no `user:password@` (the authority ends at its
    LAST `@`, as the password may hold one), no credential-like query values, and a data:
    URL without its contents (a file's contents or a whole config, password hashes included)."""
    scheme, colon, rest = url.partition(":")
    if colon and scheme.lower() == "data":
        media, comma, body = rest.partition(",")
        if not comma or len(media) > DATA_URL_SHOWN:
            return f"data:... ({len(url)} characters)"
        return f"data:{media},... ({len(body)} characters)"
    scheme, sep, rest = url.partition("://")
    if not sep:
        return url
    end = min((i for i in (rest.find(c) for c in "/?#") if i >= 0), default=len(rest))
    authority, tail = rest[:end], rest[end:]
    if "@" in authority:
        authority = "***@" + authority.rpartition("@")[2]
    return f"{scheme}://{authority}{_redact_query(tail)}"


def _redact_query(tail: str) -> str:
    path, question, query = tail.partition("?")
    if not question:
        return tail
    query, hashmark, fragment = query.partition("#")
    items = []
    for item in query.split("&"):
        name, eq, value = item.partition("=")
        if eq and value and any(word in name.lower() for word in _SECRET_QUERY_WORDS):
            item = f"{name}=***"
        items.append(item)
    return f"{path}?{'&'.join(items)}{hashmark}{fragment}"
