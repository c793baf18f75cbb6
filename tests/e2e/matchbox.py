"""A stand-in for matchbox on the host's 127.0.0.1, serving examples/pxe as an operator
would deploy it: /boot.ipxe?mac=…&uuid=… renders the profile of the group whose selector
matches (MAC or SMBIOS UUID), /ignition?mac=…|uuid=… serves that profile's config,
/assets/… the kernel, initramfs and the config's resources. Every request is logged."""
from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from servers import HttpServer, Reply, Request

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "pxe"


def normalize(selector: str, value: str) -> str:
    value = value.lower()
    return value.replace("-", ":") if selector == "mac" else value


class Matchbox:
    def __init__(self, server: HttpServer, assets: dict[str, Path], extra_args: str = "",
                 examples: Path = EXAMPLES):
        self.server = server
        self.examples = examples
        self.assets = assets
        self.extra_args = extra_args
        self.profiles = {p["id"]: p for p in self._load("profiles")}
        self.groups = self._load("groups")
        server.routes["/boot.ipxe"] = self.boot_script
        server.routes["/ignition"] = self.ignition
        for name in assets:
            server.routes[f"/assets/{name}"] = self.asset

    def _load(self, kind: str) -> list[dict]:
        return [json.loads(p.read_text()) for p in sorted((self.examples / kind).glob("*.json"))]

    def profile_for(self, request: Request) -> dict | None:
        query = {k: v[0] for k, v in parse_qs(urlsplit(request.path).query).items()}
        for group in self.groups:
            selector = group.get("selector", {})
            if selector and all(normalize(k, query.get(k, "")) == normalize(k, v) for k, v in selector.items()):
                return self.profiles[group["profile"]]
        return None

    def boot_script(self, request: Request) -> Reply:
        profile = self.profile_for(request)
        if profile is None:
            return Reply(404, b"#!ipxe\necho no group matches this machine\nshell\n")
        boot = profile["boot"]
        host = "http://10.0.2.100"
        args = " ".join(boot["args"]) + (" " + self.extra_args if self.extra_args else "")
        lines = ["#!ipxe", f"kernel {host}{boot['kernel']} {args}"]
        lines += [f"initrd {host}{initrd}" for initrd in boot["initrd"]]
        lines.append("boot")
        return Reply(200, ("\n".join(lines) + "\n").encode())

    def ignition(self, request: Request) -> Reply:
        profile = self.profile_for(request)
        if profile is None:
            return Reply(404, b"no group matches this machine\n")
        return Reply(200, (self.examples / "ignition" / profile["ignition_id"]).read_bytes(),
                     {"Content-Type": "application/vnd.coreos.ignition+json"})

    def asset(self, request: Request) -> Reply:
        name = urlsplit(request.path).path.removeprefix("/assets/")
        return Reply(200, self.assets[name].read_bytes())
