#!/usr/bin/python3
"""Runs every libFuzzer target of a CKPT_FUZZ=ON tree for a bounded time.

1. The tree is configured and built by tests/sanitize/run_instrumented.py (the one instrumented tree that the
   sanitizer run shares), or by hand with -DCKPT_FUZZ=ON and clang.
2. Replays every committed regression input (tests/fuzz/regressions/<target>/*) through its target: a crash that
   was fixed once must stay fixed.
3. Seeds each target from the generated fixtures and tests/hostile (files up to --max-seed bytes; the data.pkl of
   every zip becomes an unpickler seed), then fuzzes each for --seconds with a persistent corpus in the tree,
   --jobs targets at a time.
4. Prints executions per target; any crash, leak, timeout or out-of-memory fails the run and names the artifact.
"""

import argparse
import concurrent.futures
import glob
import os
import random
import re
import shutil
import subprocess
import sys
import time
import zipfile

TARGETS = ["fuzz_unpickler", "fuzz_zip", "fuzz_legacy", "fuzz_safetensors", "fuzz_sharded", "fuzz_checkpoint",
           "fuzz_structured"]


def kind_of(path, head):
    if head.startswith(b"PK\x03\x04"):
        return "zip"
    if head.startswith(bytes.fromhex("80028a0a6cfc9c46f920")):
        return "legacy"
    if path.endswith(".json"):
        return "index"
    if path.endswith(".safetensors"):
        return "safetensors"
    if head[:1] == b"\x80":
        return "pickle"
    return "other"


def gather_seeds(source, fixtures, out, max_seed):
    """Copies candidate inputs into out/<target>/ by what each target parses."""
    wanted = {
        "fuzz_unpickler": {"pickle", "legacy"},
        "fuzz_zip": {"zip"},
        "fuzz_legacy": {"legacy"},
        "fuzz_safetensors": {"safetensors"},
        "fuzz_sharded": {"index"},
        "fuzz_checkpoint": {"zip", "legacy", "pickle", "safetensors"},
        "fuzz_structured": {"zip", "legacy", "pickle"},
    }
    shutil.rmtree(out, ignore_errors=True)
    for t in TARGETS:
        os.makedirs(os.path.join(out, t))
    files = []
    # Real-world files from ../shared (absent on a plain clone: then only the generated and hostile seeds).
    wild = os.path.join(source, "..", "shared", "corpus", "wild", "files")
    for root in (fixtures, os.path.join(source, "tests", "hostile"), wild):
        if root and os.path.isdir(root):
            for dirpath, _, names in os.walk(root):
                files += [os.path.join(dirpath, n) for n in names]
    counts = dict.fromkeys(TARGETS, 0)
    # fuzz_structured reads any other input as generator choices: a few fixed ones start it off.
    rng = random.Random(12)
    for i in range(16):
        with open(os.path.join(out, "fuzz_structured", "choices_%02d" % i), "wb") as f:
            f.write(bytes(rng.randrange(256) for _ in range(64 * (i + 1))).lstrip(b"PK\x80"))
        counts["fuzz_structured"] += 1
    for i, path in enumerate(sorted(files)):
        if path.endswith(("truth.json", "manifest.json", ".py", ".md")):
            continue
        size = os.path.getsize(path)
        with open(path, "rb") as f:
            head = f.read(16)
        kind = kind_of(path, head)
        if kind == "zip":  # the zip's pickle is an unpickler seed even when the zip is too big
            try:
                with zipfile.ZipFile(path) as z:
                    for name in z.namelist():
                        if name.endswith(".pkl") and z.getinfo(name).file_size <= max_seed:
                            dst = os.path.join(out, "fuzz_unpickler", "%04d_%s" % (i, os.path.basename(name)))
                            with open(dst, "wb") as f:
                                f.write(z.read(name))
                            counts["fuzz_unpickler"] += 1
            # Damaged and hostile zips (bad CRC, encrypted entries, ...) still seed the zip targets whole.
            except (zipfile.BadZipFile, OSError, EOFError, NotImplementedError, RuntimeError, ValueError):
                pass
        if size > max_seed:
            continue
        for t in TARGETS:
            if kind in wanted[t]:
                shutil.copy(path, os.path.join(out, t, "%04d_%s" % (i, os.path.basename(path))))
                counts[t] += 1
    return counts


def find_exe(tree, target):
    hits = glob.glob(os.path.join(tree, "**", target), recursive=True)
    hits = [h for h in hits if os.path.isfile(h) and os.access(h, os.X_OK)]
    return hits[0] if hits else None


def replay_regressions(source, tree, exes):
    failures = []
    base = os.path.join(source, "tests", "fuzz", "regressions")
    total = 0
    for t in TARGETS:
        inputs = sorted(glob.glob(os.path.join(base, t, "*")))
        if not inputs or not exes.get(t):
            continue
        total += len(inputs)
        r = subprocess.run([exes[t], "-timeout=10", "-rss_limit_mb=2048"] + inputs, capture_output=True, text=True)
        if r.returncode != 0:
            failures.append(t)
            log = r.stdout + r.stderr
            report = [line for line in log.splitlines() if "ERROR:" in line or "SUMMARY:" in line or "Running:" in line]
            print("\n".join(report[-12:]))
            print(log[-3000:])
            print("REGRESSION %s: a committed crash input fails again" % t)
    print("replayed %d regression inputs" % total)
    return failures


def fuzz_one(t, exe, tree, seeds, seconds, max_len):
    if not exe:
        return (t, None, None, 0, "-", "not built")
    corpus = os.path.join(tree, "fuzz-corpus", t)
    artifacts = os.path.join(tree, "fuzz-artifacts")
    os.makedirs(corpus, exist_ok=True)
    os.makedirs(artifacts, exist_ok=True)
    cmd = [exe, "-max_total_time=%d" % seconds, "-timeout=10", "-rss_limit_mb=2048", "-max_len=%d" % max_len,
           "-print_final_stats=1", "-artifact_prefix=%s/%s-" % (artifacts, t), corpus, os.path.join(seeds, t)]
    start = time.time()
    r = subprocess.run(cmd, capture_output=True, text=True)
    wall = time.time() - start
    log = r.stdout + r.stderr
    with open(os.path.join(tree, "fuzz-%s.log" % t), "w") as f:
        f.write(log)
    execs = re.search(r"stat::number_of_executed_units:\s*(\d+)", log)
    execs = int(execs.group(1)) if execs else None
    # The last status line ("#N ... cov: C ft: F corp: ...") gives the coverage reached.
    cov = re.findall(r"cov: (\d+) ft: (\d+)", log)
    cov = "%s/%s" % cov[-1] if cov else "-"
    status = "ok" if r.returncode == 0 else "FAILED (exit %d)" % r.returncode
    if r.returncode != 0:
        crash = re.findall(r"Test unit written to (\S+)", log)
        status += " artifact: " + (crash[-1] if crash else "none")
        summary = [line for line in log.splitlines() if "ERROR:" in line or "SUMMARY:" in line]
        print("\n".join(summary[:6]) + "\n" + log[-4000:], flush=True)
    return (t, execs, wall, len(os.listdir(corpus)), cov, status)


def fuzz(exes, tree, seeds, seconds, max_len, jobs):
    # Targets run side by side, `jobs` at a time (each libFuzzer process uses one core): the smoke run of
    # `make test` and the 10-minute runs of `make fuzz` take 1/jobs of the time they took one after another.
    with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        runs = [pool.submit(fuzz_one, t, exes.get(t), tree, seeds, seconds, max_len) for t in TARGETS]
        return [run.result() for run in runs]


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tree", required=True, help="CKPT_FUZZ=ON build tree")
    ap.add_argument("--source", required=True)
    ap.add_argument("--fixtures", default="", help="generated fixtures folder (seeds)")
    ap.add_argument("--seconds", type=int, default=25, help="fuzzing time per target")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--max-seed", type=int, default=256 * 1024)
    ap.add_argument("--max-len", type=int, default=256 * 1024)
    args = ap.parse_args(argv)

    exes = {t: find_exe(args.tree, t) for t in TARGETS}
    missing = [t for t, e in exes.items() if not e]
    seeds = os.path.join(args.tree, "fuzz-seeds")
    counts = gather_seeds(args.source, args.fixtures, seeds, args.max_seed)
    failures = replay_regressions(args.source, args.tree, exes)
    results = fuzz(exes, args.tree, seeds, args.seconds, args.max_len, args.jobs)
    print("\nfuzzing %d s per target" % args.seconds)
    print("%-18s %6s %8s %12s %10s %8s %13s  %s" % ("target", "seeds", "seconds", "executions", "exec/s", "corpus",
                                                      "cov/ft", "result"))
    for t, execs, wall, corpus, cov, status in results:
        rate = "%.0f" % (execs / wall) if execs and wall else "-"
        print("%-18s %6d %8.0f %12s %10s %8d %13s  %s" % (t, counts[t], wall or 0, execs if execs is not None else "-",
                                                         rate, corpus, cov, status))
        if not status.startswith("ok"):
            failures.append(t)
    if missing:
        print("targets not built: " + ", ".join(missing))
        failures += missing
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
