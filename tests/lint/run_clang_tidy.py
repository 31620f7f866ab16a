#!/usr/bin/python3
"""clang-tidy (Debian's) with the repository's .clang-tidy over every translation unit of src/, in parallel, with a
cache of clean results: a file is checked again only when its preprocessed text, its compile command, .clang-tidy or
clang-tidy itself changed. A fresh tree checks everything; after a one-file change, only the units that see it.

Exit 1 when any unit has a finding (.clang-tidy makes every enabled check an error); the findings are printed.
"""

import argparse
import hashlib
import json
import os
import shlex
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor


def preprocess_key(entry, salt):
    """Hash of what clang-tidy would see: the preprocessed unit, its flags, the config and the tool version."""
    args = shlex.split(entry["command"]) if "command" in entry else list(entry["arguments"])
    out = []
    skip = False
    for a in args:  # drop the object file; write the preprocessed text to stdout instead
        if skip:
            skip = False
            continue
        if a == "-o":
            skip = True
            continue
        out.append(a)
    r = subprocess.run(out + ["-E", "-P"], cwd=entry["directory"], capture_output=True)
    h = hashlib.sha256(salt)
    h.update(" ".join(args).encode())
    h.update(r.stdout if r.returncode == 0 else os.urandom(16))  # a unit that does not preprocess is never cached
    return h.hexdigest()


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--build", required=True, help="tree with compile_commands.json")
    ap.add_argument("--source", required=True)
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 2)
    ap.add_argument("--clang-tidy", default="clang-tidy")
    ap.add_argument("--no-cache", action="store_true")
    args = ap.parse_args()

    db = os.path.join(args.build, "compile_commands.json")
    if not os.path.exists(db):
        print("lint: %s is missing (configure with -DCMAKE_EXPORT_COMPILE_COMMANDS=ON)" % db)
        return 1
    src = os.path.join(os.path.realpath(args.source), "src") + os.sep
    entries = [e for e in json.load(open(db))
               if os.path.realpath(os.path.join(e["directory"], e["file"])).startswith(src)
               and e["file"].endswith(".cpp") and "_autogen" not in e["file"]]
    version = subprocess.run([args.clang_tidy, "--version"], capture_output=True).stdout
    config = open(os.path.join(args.source, ".clang-tidy"), "rb").read()
    salt = version + config
    cache = os.path.join(args.build, "lint-cache")
    os.makedirs(cache, exist_ok=True)

    def check(entry):
        key = preprocess_key(entry, salt)
        stamp = os.path.join(cache, key)
        if not args.no_cache and os.path.exists(stamp):
            return entry["file"], None, True
        r = subprocess.run([args.clang_tidy, "-p", args.build, "--quiet", entry["file"]], capture_output=True,
                           text=True)
        findings = [line for line in r.stdout.splitlines() if ": error:" in line or ": warning:" in line]
        if r.returncode == 0 and not findings:
            open(stamp, "w").close()
            return entry["file"], None, False
        return entry["file"], r.stdout + r.stderr[-2000:], False

    t0 = time.time()
    with ThreadPoolExecutor(max_workers=args.jobs) as pool:
        results = list(pool.map(check, entries))
    bad = [(f, log) for f, log, _ in results if log is not None]
    cached = sum(1 for _, _, hit in results if hit)
    for f, log in bad:
        print(log)
    print("clang-tidy: %d units (%d unchanged since a clean check), %d with findings, %.0f s with %d jobs"
          % (len(results), cached, len(bad), time.time() - t0, args.jobs))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
