#!/usr/bin/python3
"""The ctest test "sanitize": configures an ASan + UBSan tree (-DCKPT_SANITIZE=ON, GUI, LibTorch and CUDA off),
builds the CLI and the core and cli test executables, and runs the core and cli ctests in it.

The generated fixtures of the calling tree are linked in rather than generated again (the generator skips work
when its manifest matches). Any sanitizer report aborts the test process, so it shows as a failed ctest.
"""

import argparse
import os
import subprocess
import sys
import time


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--source", required=True)
    ap.add_argument("--tree", required=True)
    ap.add_argument("--fixtures", required=True, help="fixtures folder of the calling tree")
    ap.add_argument("--cxx", default="c++")
    ap.add_argument("--c", default="cc")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--labels", default="core|cli")
    ap.add_argument("--targets", nargs="*", default=["ckpt", "tests/core/all", "tests/cli/all"],
                    help="what to build (default: the CLI and every core and cli test)")
    ap.add_argument("--regex", default="", help="run only the ctests matching this (ctest -R)")
    args = ap.parse_args()

    t0 = time.time()
    # -O1 with minimal line tables: compile time is what bounds this test, and ASan stack traces need only lines.
    subprocess.run(["cmake", "-S", args.source, "-B", args.tree, "-G", "Ninja", "-DCMAKE_BUILD_TYPE=Sanitize",
                    "-DCMAKE_CXX_FLAGS=-O1 -g1", "-DCMAKE_C_FLAGS=-O1 -g1",
                    "-DCMAKE_CXX_COMPILER=" + args.cxx, "-DCMAKE_C_COMPILER=" + args.c, "-DCKPT_SANITIZE=ON",
                    "-DCKPT_BUILD_GUI=OFF", "-DCKPT_BUILD_TENSOR=OFF", "-DCKPT_WITH_CUDA=OFF"],
                   check=True, stdout=subprocess.DEVNULL)
    # Only what the core and cli tests need: the per-folder "all" targets of the Ninja generator.
    subprocess.run(["cmake", "--build", args.tree, "-j", str(args.jobs), "--target"] + args.targets, check=True)
    build_s = time.time() - t0

    fixtures = os.path.join(args.tree, "fixtures")
    if not os.path.lexists(fixtures) and os.path.isdir(args.fixtures):
        os.symlink(os.path.abspath(args.fixtures), fixtures)

    env = dict(os.environ)
    env["ASAN_OPTIONS"] = "detect_leaks=1:abort_on_error=1:strict_string_checks=1:detect_stack_use_after_return=1"
    env["UBSAN_OPTIONS"] = "print_stacktrace=1:halt_on_error=1"
    t1 = time.time()
    ctest = ["ctest", "--test-dir", args.tree, "-L", args.labels, "--output-on-failure", "-j", str(args.jobs),
             "--timeout", "900"] + (["-R", args.regex] if args.regex else [])
    r = subprocess.run(ctest, env=env)
    print("sanitized tree: build %.0f s, tests %.0f s" % (build_s, time.time() - t1))
    return r.returncode


if __name__ == "__main__":
    sys.exit(main())
