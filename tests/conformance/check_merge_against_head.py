#!/usr/bin/env python3
"""By hand, not in CI: ignite's merge against Ignition HEAD's, on random config pairs.

    .venv/bin/python tests/conformance/check_merge_against_head.py /path/to/mergetool SEED COUNT

`mergetool` is head/mergetool.go built inside an Ignition checkout. The configs are 3.6.0,
drawn from small vocabularies (paths, device names, unit names, header names, kernel
arguments) so that parent and child keep colliding on keys: files/directories/links
sharing paths, partitions by number and label, headers with and without values, kernel
arguments moving between shouldExist and shouldNotExist, append-lists and keyed lists.
Each side is parsed by both tools; the merged results are compared field by field.
"""
import json
import random
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from ignite.config.codec import config_from_json, to_json  # noqa: E402
from ignite.config.merge import merge  # noqa: E402
from ignite.config.parse import parse  # noqa: E402

if len(sys.argv) != 4:
    sys.exit(__doc__)
TOOL = sys.argv[1]
R = random.Random(int(sys.argv[2]))


def maybe(p=0.5):
    return R.random() < p


def sub(xs, k=None):
    return R.sample(xs, R.randint(0, len(xs)) if k is None else k)


def resource(src=True):
    r = {}
    if src or maybe(): r["source"] = R.choice(["data:,x", "data:,y", "", "http://h/1", "http://h/2"])
    if r.get("source", "").startswith("http") and maybe():
        r["httpHeaders"] = [dict(name=n, **({"value": R.choice(["1", "2"])} if maybe(0.7) else {})) for n in sub(["A", "B", "C"])]
    if "source" in r and maybe(0.3): r["verification"] = {"hash": "sha512-" + R.choice("ab") * 128}
    if maybe(0.2): r["compression"] = R.choice(["", "gzip"])
    return r
def owner():
    o = {}
    if maybe(0.3): o["user"] = R.choice([{"id": 0}, {"name": "core"}, {"id": 5}])
    if maybe(0.3): o["group"] = R.choice([{"id": 0}, {"name": "core"}])
    return o
def config():
    c = {"ignition": {"version": "3.6.0"}}
    ign = c["ignition"]
    if maybe(0.3):
        ign["config"] = {"merge": [resource() | {"source": s} for s in sub(["http://a", "http://b", "http://c"])]}
        for m in ign["config"]["merge"]:
            if not m["source"].startswith("http"): m.pop("httpHeaders", None)
        if maybe(0.3): ign["config"]["replace"] = {k: v for k, v in resource().items() if k != "httpHeaders"} 
    if maybe(0.3): ign["timeouts"] = {k: R.randint(0, 9) for k in sub(["httpResponseHeaders", "httpTotal"])}
    if maybe(0.3): ign["proxy"] = {"noProxy": sub(["a", "b", "c"])} | ({"httpProxy": "http://p"} if maybe() else {})
    if maybe(0.2): ign["security"] = {"tls": {"certificateAuthorities": [{"source": s} for s in sub(["data:,ca1", "data:,ca2"])]}}
    paths = R.sample(["/a", "/b", "/c", "/d", "/e"], 5)
    kinds = [R.choice(["files", "directories", "links", None]) for _ in paths]
    st = {}
    for p, k in zip(paths, kinds):
        if k is None: continue
        n = {"path": p} | owner()
        if k == "files":
            if maybe(0.6): n["contents"] = resource()
            if maybe(0.3): n["append"] = [resource() for _ in range(R.randint(0, 2))]
            for r in [n.get("contents", {})] + n.get("append", []):
                if "httpHeaders" in r and not r.get("source", "").startswith("http"): r.pop("httpHeaders")
            if maybe(0.4): n["mode"] = R.choice([420, 493, 384])
            if maybe(0.3): n["overwrite"] = n.get("contents", {}).get("source") is not None and maybe()
        elif k == "directories":
            if maybe(0.4): n["mode"] = R.choice([493, 448])
            if maybe(0.2): n["overwrite"] = maybe()
        else:
            n["target"] = R.choice(["/t", "/u", "rel"])
            if maybe(0.2): n["hard"] = False
            if maybe(0.2): n["overwrite"] = maybe()
        st.setdefault(k, []).append(n)
    # links: no node under a link path in our flat namespace; fine.
    if maybe(0.4):
        disks = []
        for d in sub(["/dev/vda", "/dev/vdb"]):
            parts = []
            nums = sub([1, 2, 3]); labels = sub(["x", "y", "z"])
            for i, num in enumerate(nums):
                p = {"number": num}
                if i < len(labels) and maybe(): p["label"] = labels[i]
                if maybe(): p["sizeMiB"] = R.choice([0, 10, 100])
                if maybe(0.3): p["wipePartitionEntry"] = maybe()
                parts.append(p)
            used = {p.get("label") for p in parts}
            for l in labels:
                if l not in used and maybe(0.3): parts.append({"label": l, "startMiB": R.choice([0, 5])})
            disk = {"device": d, "partitions": parts}
            if maybe(0.3): disk["wipeTable"] = maybe()
            disks.append(disk)
        st["disks"] = disks
    if maybe(0.3):
        st["raid"] = [{"name": n, "level": R.choice(["raid1", "raid5"]), "devices": R.sample(["/dev/x", "/dev/y", "/dev/z"], R.randint(1, 3)),
                       "options": [R.choice(["--a", "--b"]) for _ in range(R.randint(0, 2))]} for n in sub(["md0", "md1"])]
    if maybe(0.4):
        st["filesystems"] = [{"device": d, "format": R.choice(["ext4", "xfs"]), **({"path": R.choice(["/var", "/srv"])} if maybe() else {}),
                              "options": [R.choice(["-F", "-m0"]) for _ in range(R.randint(0, 2))],
                              "mountOptions": [R.choice(["ro", "noatime"]) for _ in range(R.randint(0, 2))],
                              **({"wipeFilesystem": maybe()} if maybe(0.3) else {})} for d in sub(["/dev/vdb1", "/dev/vdb2"])]
    if maybe(0.3):
        st["luks"] = [{"name": n, "device": R.choice(["/dev/x", "/dev/y"]), "options": [R.choice(["--o", "--p"]) for _ in range(R.randint(0, 2))],
                       "openOptions": sub(["--q", "--r"]),
                       **({"clevis": {"tang": [{"url": u, "thumbprint": R.choice(["t1", "t2"])} for u in sub(["http://t1", "http://t2"])],
                                      **({"threshold": 1} if maybe() else {})}} if maybe() else {}),
                       **({"discard": maybe()} if maybe(0.3) else {})} for n in sub(["d", "e"])]
    if st: c["storage"] = st
    if maybe(0.5):
        units = []
        for n in sub(["a.service", "b.service", "c.timer"]):
            u = {"name": n}
            if maybe(): u["contents"] = R.choice(["[Service]\nExecStart=/bin/true\n", "[Unit]\nDescription=x\n[Install]\nWantedBy=multi-user.target\n"])
            if maybe(0.4): u["enabled"] = maybe()
            if maybe(0.2): u["mask"] = maybe()
            if maybe(0.4): u["dropins"] = [{"name": d, **({"contents": R.choice(["", "[Service]\nX=1\n"])} if maybe() else {})} for d in sub(["1.conf", "2.conf"])]
            units.append(u)
        c["systemd"] = {"units": units}
    if maybe(0.4):
        users = [{"name": n, **({"sshAuthorizedKeys": sub(["k1", "k2", "k3"])} if maybe() else {}), **({"groups": sub(["wheel", "docker"])} if maybe() else {}),
                  **({"uid": R.choice([1000, 1001])} if maybe(0.3) else {}), **({"shell": "/bin/sh"} if maybe(0.3) else {})} for n in sub(["core", "app"])]
        groups = [{"name": n, **({"gid": R.choice([10, 11])} if maybe() else {})} for n in sub(["g1", "g2"])]
        c["passwd"] = {"users": users, "groups": groups}
    if maybe(0.4):
        args = R.sample(["a", "b", "c", "d"], 4)
        k = R.randint(0, 4)
        c["kernelArguments"] = {"shouldExist": args[:k][:R.randint(0, k)], "shouldNotExist": args[k:]}
    return c
N = int(sys.argv[3])
pairs = [(config(), config()) for _ in range(N)]
inp = "\n".join(json.dumps([a, b]) for a, b in pairs) + "\n"
res = subprocess.run([TOOL], input=inp, capture_output=True, text=True).stdout.splitlines()
bad = errs = ok = 0
for (a, b), line in zip(pairs, res):
    if line.startswith("ERR"):
        errs += 1
        if errs <= 3: print(line[:300])
        continue
    go = to_json(config_from_json(json.loads(line)))
    try:
        ours = to_json(merge(parse(json.dumps(a).encode()), parse(json.dumps(b).encode())))
    except Exception as e:
        print("OURS EXC", e); continue
    ok += 1
    if go != ours:
        bad += 1
        if bad <= 3: print("DIFF\n a:", json.dumps(a), "\n b:", json.dumps(b), "\n go:", json.dumps(go), "\n us:", json.dumps(ours))
print(N, "pairs;", errs, "invalid;", ok, "compared;", bad, "differ")
sys.exit(1 if bad else 0)
