"""Runs every bench_*.py in this folder and prints one table of results (ratios measured in this run)."""
import argparse
import glob
import importlib.util
import os
import sys


class Context:
    def __init__(self, args):
        self.build = args.build
        self.data = args.data
        self.source = args.source
        self.ckpt = os.path.join(args.build, "src", "cli", "ckpt")
        self.python = "/usr/bin/python3"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--build", required=True)
    parser.add_argument("--data", required=True)
    parser.add_argument("--source", required=True)
    parser.add_argument("--only", default="")
    args = parser.parse_args()
    ctx = Context(args)
    here = os.path.dirname(os.path.abspath(__file__))
    sys.path.insert(0, here)
    failures = 0
    print("machine: %d cores, load average %.2f %.2f %.2f at the start" % ((os.cpu_count(),) + os.getloadavg()))
    for script in sorted(glob.glob(os.path.join(here, "bench_*.py"))):
        name = os.path.splitext(os.path.basename(script))[0]
        if args.only and args.only not in name:
            continue
        spec = importlib.util.spec_from_file_location(name, script)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        print("== %s" % name, flush=True)
        for row in module.run(ctx):
            verdict = "" if row["ok"] is None else ("ok" if row["ok"] else "MISSED")
            goal = "" if row["goal"] is None else "goal %s" % row["goal"]
            print("  %-58s %12.4g %-8s %-18s %s" % (row["name"], row["value"], row["unit"], goal, verdict), flush=True)
            if row["ok"] is False:
                failures += 1
    print("benchmarks done: %d goal(s) missed; load average %.2f %.2f %.2f at the end"
          % ((failures,) + os.getloadavg()))


if __name__ == "__main__":
    main()
