"""A decoded Butane config -> an Ignition config dict of the spec's Ignition version.

Plain fields are renamed (snake_case -> Ignition's camelCase); the sugar (inline/local
resources, contents_local, ssh_authorized_keys_local, trees, with_mount_unit) becomes the
fields Ignition has. Diagnostics are (kind, message, Butane path) triples.
"""
from __future__ import annotations

import base64
import os
import re
from collections.abc import Callable
from typing import Any

Diag = tuple[str, str, tuple[Any, ...]]
ERR_NO_FILES_DIR = ("local file paths are relative to a files directory that must be specified with -d/--files-dir")
ERR_FILES_DIR_ESCAPE = "local file path traverses outside the files directory"
ERR_TOO_MANY_SOURCES = "only one of the following can be set: inline, local, source"
ERR_TOO_MANY_SYSTEMD = "only one of the following can be set: contents, contents_local"
ERR_DECIMAL_MODE = "unreasonable mode would be reasonable if specified in octal; remember to add a leading zero"
ERR_NODE_EXISTS = "matching filesystem node has existing contents or different type"
ERR_TREE_NOT_DIR = "root of tree must be a directory"
ERR_TREE_NO_LOCAL = "local is required"
ERR_FILE_TYPE = "trees may only contain files, directories, and symlinks"
ERR_MOUNT_NO_PATH = "path is required if with_mount_unit is true and format is not swap"
ERR_MOUNT_NO_FORMAT = "format is required if with_mount_unit is true"
ERR_MOUNT_FORBIDDEN = "path must be under /etc or /var if with_mount_unit is true"

ERR_QUADLET_EXTENSION = ("unsupported file extension for quadlet: must be one of .container, .volume, .network, "
                         ".kube, .image, .build, .pod, or .artifact")
ERR_TEMPLATE_CONTENTS = "template instances cannot have contents or contents_local"
QUADLET_EXTENSIONS = (".container", ".volume", ".network", ".kube", ".image", ".build", ".pod", ".artifact")


def quadlet_template(name: str) -> str | None:
    """The template a quadlet instance name (`web@80.container`) stands for, else None."""
    at, dot = name.find("@"), name.rfind(".")
    if at == -1 or dot == -1 or at + 1 == dot:
        return None
    return f"{name[:at]}@.{name[dot + 1:]}"


RESOURCE_STRUCTS = ("Resource", "FileContents", "CaReference", "ConfigReference")
NODE_FIRST = ("group", "overwrite", "path", "user")  # Ignition's embedded Node comes first
_UNRESERVED = frozenset(b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.!~*'()")
_ESCAPED = [chr(b) if b in _UNRESERVED else f"%{b:02X}" for b in range(256)]


def url_escape(contents: bytes) -> str:
    """RFC 2396 escaping, as Go's dataurl package does it (uppercase hex)."""
    return "".join(map(_ESCAPED.__getitem__, contents))
_LOCAL_SUGAR = {("Unit", "contents_local"), ("Dropin", "contents_local"), ("PasswdUser", "ssh_authorized_keys_local")}
_DROPPED = {("Filesystem", "with_mount_unit"), ("Storage", "trees"), ("Systemd", "quadlets")}


def camel(name: str) -> str:
    if name.endswith("_mib"):
        name = name[:-4] + "MiB"
    head, *rest = name.split("_")
    return head + "".join(p[:1].upper() + p[1:] for p in rest)


def data_url(contents: bytes, compression: str | None, auto_compress: bool = True) -> tuple[str, str | None]:
    """Butane's smallest data URL for `contents`, and the compression to record ("" when the
    config named none, None when it named one: the user compressed it)."""
    out_compression: str | None = "" if not compression else None
    opaque = "," + url_escape(contents)
    b64 = ";base64," + base64.b64encode(contents).decode()
    if len(b64) < len(opaque):
        opaque = b64
    if not compression and auto_compress:
        import gzip  # only when there is something to compress

        gz = ";base64," + base64.b64encode(gzip.compress(contents, 9, mtime=0)).decode()
        if len(gz) + len("gzip") < len(opaque):
            opaque = gz
            out_compression = "gzip"
    return "data:" + opaque, out_compression


def read_local(name: str, files_dir: str | None) -> bytes:
    if not files_dir:
        raise LocalError(ERR_NO_FILES_DIR)
    path = within_files_dir(files_dir, name)
    try:
        with open(path, "rb") as f:
            return f.read()
    except OSError as e:
        raise LocalError(f"open {path}: {(e.strerror or str(e)).lower()}") from None


def within_files_dir(files_dir: str, name: str) -> str:
    base = os.path.abspath(files_dir)
    path = os.path.abspath(os.path.join(files_dir, name))
    if path != base and not path.startswith(base + os.sep):
        raise LocalError(ERR_FILES_DIR_ESCAPE)
    return path


class LocalError(Exception):
    pass


def typical_mode(mode: int, directory: bool) -> bool:
    if mode == 0:
        return True
    had_r = had_w = had_x = False
    for perm in (mode & 0o7, (mode & 0o70) >> 3, (mode & 0o700) >> 6):
        r, w, x = perm & 4 != 0, perm & 2 != 0, perm & 1 != 0
        if (not r and had_r) or (not w and had_w) or (not x and had_x):
            return False
        if x and had_r and not had_x:
            return False
        if (w or x) and not r:
            return False
        had_r, had_w, had_x = had_r or r, had_w or w, had_x or x
    if not had_r:
        return False
    if directory:
        if not had_x or mode & 0o4000 or (mode & 0o3000 and not had_w):
            return False
    else:
        if mode & 0o6000 and (not had_x or mode & 2):
            return False
        if mode & 0o1000:
            return False
    return True


def decimal_mode_warning(mode: int, directory: bool) -> bool:
    if mode < 0 or mode > 7777:
        return False
    corrected = 0
    for divisor in (1000, 100, 10, 1):
        digit = (mode // divisor) % 10
        if digit > 7:
            return False
        corrected = (corrected << 3) | digit
    return not typical_mode(mode, directory) and typical_mode(corrected, directory)


class Translator:
    """Walks the decoded config with its schema (`fields(struct)` -> [(key, type)])."""

    def __init__(self, fields: Callable[[str], list[tuple[str, str]]], named: dict[str, str],
                 files_dir: str | None, validate_child: Callable[[tuple[Any, ...], bytes], list[Diag]]):
        self.fields = fields
        self.named = named
        self.files_dir = files_dir
        self.validate_child = validate_child
        self.diags: list[Diag] = []
        self.plain_inline = False

    def error(self, message: str, path: tuple[Any, ...]) -> None:
        self.diags.append(("error", message, path))

    def warning(self, message: str, path: tuple[Any, ...]) -> None:
        self.diags.append(("warning", message, path))

    # --- source validation (Butane's own rules on its structs) ---------------------------

    def validate(self, value: Any, typ: str, path: tuple[Any, ...]) -> None:
        if value is None:
            return
        if typ.startswith("[]"):
            for i, item in enumerate(value):
                self.validate(item, typ[2:], path + (i,))
            return
        struct = typ.lstrip("*")
        if struct not in self.named or not isinstance(value, dict):
            return
        check = getattr(self, f"_check_{struct}", None)
        if check is not None:
            check(value, path)
        if struct in RESOURCE_STRUCTS:
            self._check_resource(value, path)
        for key, ftype in self.fields(struct):
            if key in value:
                self.validate(value[key], ftype, path + (key,))

    def _check_resource(self, res: dict[str, Any], path: tuple[Any, ...]) -> None:
        given = [k for k in ("local", "inline", "source") if k in res]
        if len(given) > 1:
            self.error(ERR_TOO_MANY_SOURCES, path + (given[-1],))
            return
        if path[:2] == ("ignition", "config") and given == ["inline"]:
            self.diags.extend(self.validate_child(path, res["inline"].encode()))

    def _check_Filesystem(self, fs: dict[str, Any], path: tuple[Any, ...]) -> None:
        if fs.get("with_mount_unit") is not True:
            return
        if not fs.get("format"):
            self.error(ERR_MOUNT_NO_FORMAT, path + ("format",))
        elif fs["format"] != "swap" and not fs.get("path"):
            self.error(ERR_MOUNT_NO_PATH, path + ("path",))

    def _check_Directory(self, d: dict[str, Any], path: tuple[Any, ...]) -> None:
        if "mode" in d and decimal_mode_warning(d["mode"], True):
            self.warning(ERR_DECIMAL_MODE, path + ("mode",))

    def _check_File(self, f: dict[str, Any], path: tuple[Any, ...]) -> None:
        if "mode" in f and decimal_mode_warning(f["mode"], False):
            self.warning(ERR_DECIMAL_MODE, path + ("mode",))

    def _check_Tree(self, t: dict[str, Any], path: tuple[Any, ...]) -> None:
        if not t.get("local"):
            self.error(ERR_TREE_NO_LOCAL, path)

    def _check_Unit(self, u: dict[str, Any], path: tuple[Any, ...]) -> None:
        if "contents_local" in u and "contents" in u:
            self.error(ERR_TOO_MANY_SYSTEMD, path + ("contents_local",))

    _check_Dropin = _check_Unit

    def _check_Quadlet(self, q: dict[str, Any], path: tuple[Any, ...]) -> None:
        name = q.get("name", "")
        if not name.endswith(QUADLET_EXTENSIONS):
            self.error(ERR_QUADLET_EXTENSION, path + ("name",))
            return
        if quadlet_template(name) is not None:
            for key in ("contents", "contents_local"):
                if key in q:
                    self.error(ERR_TEMPLATE_CONTENTS, path + (key,))
        else:
            self._check_Unit(q, path)

    # --- translation ----------------------------------------------------------------------

    def translate(self, value: Any, typ: str, path: tuple[Any, ...]) -> Any:
        if typ.startswith("[]"):
            return [self.translate(item, typ[2:], path + (i,)) for i, item in enumerate(value)]
        struct = typ.lstrip("*")
        if struct not in self.named or not isinstance(value, dict):
            return value
        out: dict[str, Any] = {}
        for key, ftype in self.fields(struct):
            if (struct, key) in _DROPPED:
                continue
            if struct in RESOURCE_STRUCTS and key in ("inline", "local"):
                continue
            if (struct, key) in _LOCAL_SUGAR:
                continue
            if key in value:
                out[camel(key)] = self.translate(value[key], ftype, path + (key,))
            elif ftype == "string":
                out[camel(key)] = ""
        if struct in RESOURCE_STRUCTS:
            self._resource(value, out, path)
        elif struct in ("Unit", "Dropin") and value.get("contents_local"):
            try:
                out["contents"] = read_local(value["contents_local"], self.files_dir).decode("utf-8", "replace")
            except LocalError as e:
                self.error(str(e), path + ("contents_local",))
        elif struct == "PasswdUser" and value.get("ssh_authorized_keys_local"):
            self._ssh_keys_local(value["ssh_authorized_keys_local"], out, path + ("ssh_authorized_keys_local",))
        return _prune(out, struct)

    def _resource(self, res: dict[str, Any], out: dict[str, Any], path: tuple[Any, ...]) -> None:
        for key in ("local", "inline"):
            if key not in res:
                continue
            if key == "local":
                try:
                    contents = read_local(res["local"], self.files_dir)
                except LocalError as e:
                    self.error(str(e), path + ("local",))
                    return
                if path[:2] == ("ignition", "config"):
                    self.diags.extend(self.validate_child(path, contents))
            else:
                contents = res["inline"].encode("utf-8", "surrogatepass")
            if self.plain_inline:  # fcos 1.0: URL-escaped, never compressed
                out["source"] = "data:," + url_escape(contents)
                continue
            source, compression = data_url(contents, res.get("compression"))
            out["source"] = source
            if compression is not None:
                out["compression"] = compression

    def _ssh_keys_local(self, names: list[str], out: dict[str, Any], path: tuple[Any, ...]) -> None:
        if not self.files_dir:
            self.error(ERR_NO_FILES_DIR, path)
            return
        keys = out.setdefault("sshAuthorizedKeys", [])
        for i, name in enumerate(names):
            try:
                text = read_local(name, self.files_dir).decode("utf-8", "replace")
            except LocalError as e:
                self.error(str(e), path + (i,))
                continue
            keys.extend(line for line in re.split(r"\r?\n", text) if line)


def _prune(out: dict[str, Any], struct: str) -> dict[str, Any]:
    """Go's omitempty: empty lists and structs go; "" and false stay (set pointers)."""
    pruned = {k: v for k, v in out.items() if not (isinstance(v, (list, dict)) and not v)}
    return order(pruned, struct)


# Ignition's Go field names where they are not the JSON key capitalized: Go orders a
# struct's fields by these names (SSHAuthorizedKeys before Shell).
_GO_NAMES = {"guid": "GUID", "httpHeaders": "HTTPHeaders", "httpProxy": "HTTPProxy",
             "httpResponseHeaders": "HTTPResponseHeaders", "httpsProxy": "HTTPSProxy", "httpTotal": "HTTPTotal",
             "id": "ID", "sshAuthorizedKeys": "SSHAuthorizedKeys", "tls": "TLS", "typeGuid": "TypeGUID",
             "uid": "UID", "url": "URL", "uuid": "UUID"}


def _go_name(key: str) -> str:
    return _GO_NAMES.get(key) or key[:1].upper() + key[1:]


def order(obj: dict[str, Any], struct: str = "") -> dict[str, Any]:
    """Ignition's field order (its Go structs': by field name), a node's own fields first."""
    keys = sorted(obj, key=_go_name)
    if struct in ("File", "Directory", "Link"):
        keys = [k for k in keys if k in NODE_FIRST] + [k for k in keys if k not in NODE_FIRST]
    return {k: obj[k] for k in keys}


_NODE_LISTS = {"files": "File", "directories": "Directory", "links": "Link"}


def deep_order(obj: Any, owner: str = "") -> Any:
    """The whole config in Ignition's field order (what sugar merged in included)."""
    if isinstance(obj, dict):
        return order({k: deep_order(v, k) for k, v in obj.items()}, _NODE_LISTS.get(owner, ""))
    if isinstance(obj, list):
        return [deep_order(v, owner) for v in obj]
    return obj
