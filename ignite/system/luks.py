"""cryptsetup and clevis for LUKS2 volumes, with Ignition's arguments.

The argv builders are pure so that the exact commands can be tested on kernels
without device-mapper."""
from __future__ import annotations

from collections.abc import Sequence

from ignite import jsonio
from ignite.errors import CommandError
from ignite.system.run import run


def is_luks(device: str, luks_type: str = "luks2") -> bool:
    return run("cryptsetup", "isLuks", device, "--type", luks_type, check=False).returncode == 0


def format_argv(device: str, key_file: str, label: str | None, uuid: str | None, options: Sequence[str]) -> list[str]:
    args = ["luksFormat", "--type", "luks2", "--key-file", key_file]
    if label:
        args += ["--label", label]
    if uuid:
        args += ["--uuid", uuid]
    return [*args, *options, device]


def open_argv(device: str, name: str, key_file: str, discard: bool, open_options: Sequence[str]) -> list[str]:
    args = ["luksOpen", device, name, "--key-file", key_file, "--persistent"]
    if discard:
        args.append("--allow-discards")
    return [*args, *open_options]


def luks_format(device: str, key_file: str, label: str | None, uuid: str | None, options: Sequence[str]) -> None:
    # batch mode: no interactive "Are you sure?" on a terminal
    run("cryptsetup", "--batch-mode", *format_argv(device, key_file, label, uuid, options))


def luks_open(device: str, name: str, key_file: str, discard: bool, open_options: Sequence[str]) -> None:
    run("cryptsetup", *open_argv(device, name, key_file, discard, open_options))


def luks_close(name: str) -> None:
    run("cryptsetup", "luksClose", name)


def luks_uuid(device: str) -> str:
    return run("cryptsetup", "luksUUID", device).stdout.strip()


def allows_discards(device: str) -> bool:
    meta = jsonio.loads(run("cryptsetup", "luksDump", "--dump-json-metadata", device).stdout)
    flags = (meta.get("config") or {}).get("flags") or []
    return "allow-discards" in flags


def remove_key(device: str, key_file: str) -> None:
    run("cryptsetup", "luksRemoveKey", device, key_file)


def clevis_bind_argv(device: str, key_file: str, pin: str, config: str) -> list[str]:
    return ["luks", "bind", "-f", "-k", key_file, "-d", device, pin, config]


def clevis_bind(device: str, key_file: str, pin: str, config: str) -> None:
    run("clevis", *clevis_bind_argv(device, key_file, pin, config))


def clevis_unlock(device: str, name: str) -> None:
    try:
        run("clevis", "luks", "unlock", "-d", device, "-n", name)
    except CommandError as exc:
        raise CommandError(exc.argv, exc.returncode, f"cannot unlock {device} with clevis: {exc.stderr}") from None
