#!/usr/bin/python3
"""One instrumented tree for the sanitizer run and the fuzz smoke run (the ctest test "instrumented").

The tree is built once with clang, AddressSanitizer + UndefinedBehaviorSanitizer (-DCKPT_SANITIZE=ON) and the
libFuzzer targets (-DCKPT_FUZZ=ON, which also gives the engine coverage instrumentation); GUI, LibTorch and CUDA are
off (tests/sanitize/README.md says why). Then, in that one tree:
  1. the core and cli ctests run under the sanitizers (any report aborts a test process: a failed ctest);
  2. every committed fuzz regression input is replayed, and each fuzz target runs for --fuzz-seconds
     (tests/fuzz/run_fuzzers.py does both; `make fuzz` runs the same targets for 10 minutes each).
Before, the sanitizer run and the fuzz run each configured and built their own instrumented tree.

The generated fixtures of the calling tree are linked in rather than generated again. Phase times are printed at
the end, also when a phase fails.
"""

import argparse
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fuzz"))
import run_fuzzers  # noqa: E402  (the fuzz driver next door: seeds, regression replay, bounded fuzzing)


def configure(source, tree, cxx, c):
    # -O1 with line tables only: compile time bounds this test; ASan and libFuzzer reports need only lines.
    # The same flags as `make fuzz`, so both share this tree and ccache entries.
    subprocess.run(["cmake", "-S", source, "-B", tree, "-G", "Ninja", "-DCMAKE_BUILD_TYPE=Instrumented",
                    "-DCMAKE_CXX_FLAGS=-O1 -gline-tables-only", "-DCMAKE_C_FLAGS=-O1 -gline-tables-only",
                    "-DCMAKE_CXX_COMPILER=" + cxx, "-DCMAKE_C_COMPILER=" + c, "-DCKPT_SANITIZE=ON",
                    "-DCKPT_FUZZ=ON", "-DCKPT_BUILD_GUI=OFF", "-DCKPT_BUILD_TENSOR=OFF", "-DCKPT_WITH_CUDA=OFF"],
                   check=True, stdout=subprocess.DEVNULL)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--source", required=True)
    ap.add_argument("--tree", required=True)
    ap.add_argument("--fixtures", required=True, help="fixtures folder of the calling tree")
    ap.add_argument("--cxx", default="clang++")
    ap.add_argument("--c", default="clang")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--labels", default="core|cli")
    ap.add_argument("--regex", default="", help="run only the sanitized ctests matching this (ctest -R)")
    ap.add_argument("--fuzz-seconds", type=int, default=10, help="fuzzing time per target (0: no fuzzing)")
    ap.add_argument("--no-tests", action="store_true", help="build and fuzz only (make fuzz)")
    args = ap.parse_args()

    phases = []
    failed = []
    t = time.time()
    configure(args.source, args.tree, args.cxx, args.c)
    targets = ["fuzz-all"] + ([] if args.no_tests else ["ckpt", "tests/core/all", "tests/cli/all"])
    r = subprocess.run(["cmake", "--build", args.tree, "-j", str(args.jobs), "--target"] + targets)
    phases.append(("instrumented build", time.time() - t))
    if r.returncode != 0:
        print("instrumented tree: build failed")
        return 1

    fixtures = os.path.join(args.tree, "fixtures")
    if not os.path.lexists(fixtures) and os.path.isdir(args.fixtures):
        os.symlink(os.path.abspath(args.fixtures), fixtures)

    if not args.no_tests:
        env = dict(os.environ)
        env["ASAN_OPTIONS"] = "detect_leaks=1:abort_on_error=1:strict_string_checks=1:detect_stack_use_after_return=1"
        env["UBSAN_OPTIONS"] = "print_stacktrace=1:halt_on_error=1"
        t = time.time()
        ctest = ["ctest", "--test-dir", args.tree, "-L", args.labels, "--output-on-failure", "-j", str(args.jobs),
                 "--timeout", "900"] + (["-R", args.regex] if args.regex else [])
        if subprocess.run(ctest, env=env).returncode != 0:
            failed.append("sanitized tests")
        phases.append(("sanitized tests", time.time() - t))

    if args.fuzz_seconds > 0:
        t = time.time()
        fuzz_args = ["--tree", args.tree, "--source", args.source, "--fixtures", args.fixtures,
                     "--seconds", str(args.fuzz_seconds), "--jobs", str(args.jobs)]
        if run_fuzzers.main(fuzz_args) != 0:
            failed.append("fuzz")
        phases.append(("fuzz (%d s per target)" % args.fuzz_seconds, time.time() - t))

    print("\ninstrumented tree %s:" % args.tree)
    for name, seconds in phases:
        print("  %-28s %6.0f s" % (name, seconds))
    if failed:
        print("FAILED: " + ", ".join(failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
