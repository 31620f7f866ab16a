#!/usr/bin/python3
"""clang-tidy (Debian's) with the repository's .clang-tidy over every translation unit of src/, in parallel, with a
cache: a unit is checked again only when a file it includes (as ninja recorded it), its compile command, .clang-tidy
or clang-tidy itself changed. After a one-file change, only the units that see it are checked again.

A fresh tree would need every unit (several CPU-minutes: the LibTorch and Qt units are slow to parse), so a run stops
starting new units once --budget seconds have passed: units whose files changed (against the merge base with main,
plus uncommitted edits) go first, then the others, most recently committed first. Each run adds to the cache, so
coverage completes over runs; the summary says how many units this run left for later.

Findings that were in the tree when the check was introduced are listed in tests/lint/clang-tidy-baseline.txt
("path check count"). The run fails on a finding beyond that list in a file changed since main (merge base) or not
yet committed; findings in untouched files are listed without failing (so main cannot turn red by itself while the
cache fills), and a listed finding that is gone is reported so the baseline can shrink (--write-baseline rewrites it
from the current findings).
"""

import argparse
import collections
import hashlib
import json
import os
import re
import shlex
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor

FINDING = re.compile(r"^(/[^:]+):(\d+):\d+: (?:warning|error): (.*) \[([a-z0-9.-]+)(?:,[^\]]*)?\]$")


def ninja_deps(build):
    """object file -> the headers and source it was compiled from, as the build recorded them (ninja -t deps)."""
    r = subprocess.run(["ninja", "-C", build, "-t", "deps"], capture_output=True, text=True)
    deps, current = {}, None
    for line in r.stdout.splitlines():
        if line and not line[0].isspace():
            current = line.split(":", 1)[0]
            deps[current] = []
        elif line.strip() and current:
            deps[current].append(os.path.normpath(os.path.join(build, line.strip())))
    return deps


_file_hashes = {}


def file_hash(path):
    if path not in _file_hashes:
        try:
            _file_hashes[path] = hashlib.sha256(open(path, "rb").read()).digest()
        except OSError:
            _file_hashes[path] = os.urandom(16)  # a file that is gone: never a cache hit
    return _file_hashes[path]


def unit_key(entry, salt, deps):
    """Hash of what clang-tidy would see: every file the unit includes (as the build recorded them), its flags,
    the config and the tool version. Without recorded dependencies, the preprocessed text instead."""
    args = shlex.split(entry["command"]) if "command" in entry else list(entry["arguments"])
    output = entry.get("output") or (args[args.index("-o") + 1] if "-o" in args[:-1] else "")
    files = deps.get(output)
    if not files:
        return preprocess_key(entry, salt)
    h = hashlib.sha256(salt)
    h.update(entry.get("command", " ".join(entry.get("arguments", []))).encode())
    for f in sorted(set(files)):
        h.update(f.encode())
        h.update(file_hash(f))
    return h.hexdigest()


def preprocess_key(entry, salt):
    """Hash of what clang-tidy would see: the preprocessed unit, its flags, the config and the tool version."""
    args = shlex.split(entry["command"]) if "command" in entry else list(entry["arguments"])
    out, skip = [], False
    for a in args:  # drop the object file; the preprocessed text goes to stdout
        if skip:
            skip = False
        elif a == "-o":
            skip = True
        else:
            out.append(a)
    r = subprocess.run(out + ["-E", "-P"], cwd=entry["directory"], capture_output=True)
    h = hashlib.sha256(salt)
    h.update(" ".join(args).encode())
    h.update(r.stdout if r.returncode == 0 else os.urandom(16))  # a unit that does not preprocess is never cached
    return h.hexdigest()


def changed_files(source, _memo={}):
    """Paths (relative to the source) changed against the merge base with main, plus uncommitted edits."""
    if "files" not in _memo:
        git = ["git", "-C", source]
        names = set()
        base = subprocess.run(git + ["merge-base", "HEAD", "main"], capture_output=True, text=True).stdout.strip()
        for cmd in ([["diff", "--name-only", base]] if base else []) + [["diff", "--name-only", "HEAD"]]:
            names.update(subprocess.run(git + cmd, capture_output=True, text=True).stdout.split())
        _memo["files"] = names
    return _memo["files"]


def changed_rank(unit, changed):
    """0: the unit's own file changed; 1: a header with its name changed; 2: anything else."""
    rel = unit.split("/src/", 1)[-1]
    if "src/" + rel in changed:
        return 0
    return 1 if "src/" + rel[:-4] + ".h" in changed else 2


def expand_unity(entries):
    """A unity build (cmake/CkptHelpers.cmake) lists its generated unity_N_cxx.cxx batches in compile_commands.json,
    not the sources: each batch becomes one entry per source it includes, with the batch's flags."""
    out = []
    for e in entries:
        batch = os.path.join(e["directory"], e["file"])
        if not re.search(r"/Unity/unity_\d+_cxx\.cxx$", batch):
            out.append(e)
            continue
        with open(batch) as f:
            for line in f:
                m = re.match(r'#include "(.+\.cpp)"', line)
                if m:
                    unit = dict(e, file=m.group(1))
                    if "command" in unit:
                        unit["command"] = unit["command"].replace(e["file"], m.group(1))
                    else:
                        unit["arguments"] = [m.group(1) if a == e["file"] else a for a in unit["arguments"]]
                    out.append(unit)
    return out


def last_commit_times(source):
    """path (relative to the source) -> commit time of its newest change, from one pass over the history."""
    r = subprocess.run(["git", "-C", source, "log", "--format=%ct", "--name-only", "--", "src"], capture_output=True,
                       text=True)
    times, current = {}, 0
    for line in r.stdout.splitlines():
        if line.isdigit():
            current = int(line)
        elif line and line not in times:
            times[line] = current
    return times


def unit_order(unit, changed, times):
    """Changed units first (see changed_rank), then the most recently changed: a budget-limited run on a fresh
    clone (CI) checks the code the newest commits touched before older code."""
    rel = "src/" + unit.split("/src/", 1)[-1]
    newest = max(times.get(rel, 0), times.get(rel[:-4] + ".h", 0))
    return (changed_rank(unit, changed), -newest, unit)


def read_baseline(path):
    counts = collections.Counter()
    if os.path.exists(path):
        for line in open(path):
            line = line.strip()
            if line and not line.startswith("#"):
                file, check, count = line.split()
                counts[(file, check)] = int(count)
    return counts


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--build", required=True, help="tree with compile_commands.json")
    ap.add_argument("--source", required=True)
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 2)
    ap.add_argument("--clang-tidy", default="clang-tidy")
    ap.add_argument("--only", default="", help="regex: check only the units whose path matches")
    ap.add_argument("--write-baseline", action="store_true")
    ap.add_argument("--budget", type=float, default=150, help="seconds after which no new unit is started (0: none)")
    args = ap.parse_args()

    source = os.path.realpath(args.source)
    db = os.path.join(args.build, "compile_commands.json")
    if not os.path.exists(db):
        print("lint: %s is missing (configure with -DCMAKE_EXPORT_COMPILE_COMMANDS=ON)" % db)
        return 1
    src = os.path.join(source, "src") + os.sep
    all_units = expand_unity(json.load(open(db)))
    entries = [e for e in all_units
               if os.path.realpath(os.path.join(e["directory"], e["file"])).startswith(src)
               and e["file"].endswith(".cpp") and "_autogen" not in e["file"]
               and re.search(args.only, e["file"])]
    version = subprocess.run([args.clang_tidy, "--version"], capture_output=True).stdout
    salt = version + open(os.path.join(source, ".clang-tidy"), "rb").read()
    cache = os.path.join(args.build, "lint-cache")
    os.makedirs(cache, exist_ok=True)
    # clang-tidy finds a unit's flags in a compile_commands.json: one that names the sources of the unity batches.
    with open(os.path.join(cache, "compile_commands.json.tmp"), "w") as f:
        json.dump(all_units, f)
    os.replace(os.path.join(cache, "compile_commands.json.tmp"), os.path.join(cache, "compile_commands.json"))

    times = last_commit_times(source)
    entries.sort(key=lambda e: unit_order(e["file"], changed_files(source), times))
    deps = ninja_deps(args.build)
    started = time.time()

    def check(entry):
        """(unit, findings as [file, line, check, message], served from the cache?); findings None: skipped"""
        stamp = os.path.join(cache, unit_key(entry, salt, deps))
        if os.path.exists(stamp):
            return entry["file"], json.load(open(stamp)), True
        if args.budget and time.time() - started > args.budget:
            return entry["file"], None, False
        r = subprocess.run([args.clang_tidy, "-p", cache, "--quiet", entry["file"]], capture_output=True,
                           text=True)
        findings = []
        for line in r.stdout.splitlines():
            m = FINDING.match(line)
            if m:
                findings.append([os.path.relpath(os.path.realpath(m.group(1)), source), int(m.group(2)),
                                 m.group(4), m.group(3)])
        if r.returncode != 0 and not findings:  # the tool failed without a finding: never cache, always report
            return entry["file"], [[os.path.relpath(entry["file"], source), 0, "clang-tidy-failed",
                                    (r.stdout + r.stderr)[-1500:]]], False
        with open(stamp + ".tmp", "w") as f:
            json.dump(findings, f)
        os.replace(stamp + ".tmp", stamp)
        return entry["file"], findings, False

    t0 = time.time()
    with ThreadPoolExecutor(max_workers=args.jobs) as pool:
        results = list(pool.map(check, entries))
    skipped = [u for u, findings, _ in results if findings is None]
    results = [r for r in results if r[1] is not None]
    unique = {}
    for _, findings, _ in results:
        for file, line, name, message in findings:
            unique[(file, line, name)] = message  # a header's finding is reported by every unit that includes it
    counts = collections.Counter((file, name) for file, _, name in unique)
    baseline_path = os.path.join(source, "tests", "lint", "clang-tidy-baseline.txt")
    if args.write_baseline:
        # Entries of files this run did not look at (another --only) are kept.
        seen = {os.path.relpath(os.path.realpath(u), source) for u, _, _ in results} | {f for f, _, _ in unique}
        for (file, name), n in read_baseline(baseline_path).items():
            if file not in seen:
                counts[(file, name)] = n
        with open(baseline_path, "w") as f:
            f.write("# Findings present when the clang-tidy check was introduced: path, check, count. Fix them and\n"
                    "# lower the counts; tests/lint/run_clang_tidy.py fails on anything beyond this list.\n")
            for (file, name), n in sorted(counts.items()):
                f.write("%s %s %d\n" % (file, name, n))
        print("wrote %s (%d findings)" % (baseline_path, sum(counts.values())))
    baseline = read_baseline(baseline_path)
    checked = {os.path.relpath(os.path.realpath(u), source) for u, _, _ in results}
    beyond = [(k, n - baseline[k]) for k, n in sorted(counts.items()) if n > baseline[k]]
    # Only files changed since main (or uncommitted) fail the run: findings in untouched files predate the check
    # (or wait for the baseline) and are listed, so a tree that main already had never turns red by itself.
    changed = changed_files(source)
    new = [(k, n) for k, n in beyond if k[0] in changed]
    old = [(k, n) for k, n in beyond if k[0] not in changed]
    if old:
        print("clang-tidy: %d finding(s) in files unchanged since main (not failing; fix them or add them to the "
              "baseline): %s" % (sum(n for _, n in old), ", ".join("%s %s" % k for k, _ in old[:12])))
    for (file, name), extra in new:
        for (f, line, n), message in sorted(unique.items()):
            if f == file and n == name:
                print("%s:%d: %s [%s]" % (f, line, message, n))
        print("  -> %d new %s finding(s) in %s beyond the baseline" % (extra, name, file))
    gone = [k for k, n in baseline.items() if k[0] in checked and counts[k] < n]
    if gone:
        print("fixed since the baseline (lower tests/lint/clang-tidy-baseline.txt): " +
              ", ".join("%s %s" % k for k in gone))
    print("clang-tidy: %d units (%d from the cache), %d findings (%d in the baseline), %d new; %.0f s with %d jobs"
          % (len(results), sum(1 for r in results if r[2]), len(unique), sum(baseline.values()),
             sum(e for _, e in new), time.time() - t0, args.jobs))
    if skipped:
        print("clang-tidy: %d units left for a later run (--budget %g s): %s"
              % (len(skipped), args.budget, " ".join(os.path.relpath(u, source) for u in skipped[:8])))
    return 1 if new else 0


if __name__ == "__main__":
    sys.exit(main())
