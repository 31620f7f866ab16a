#!/usr/bin/python3
"""Proves the corpus is real: opens every corpus file with Python's own unpickler (or torch.load with
weights_only=False) in a throwaway sandbox and reports which payloads fire.

THIS RUNS THE PAYLOADS. They only create files in a fresh temporary directory (and remove a directory they are
given there), but run it by hand, never from ctest. Every entry whose manifest says "fires": true must fire here;
entries with "fires": false are dangerous imports whose call fails or does nothing observable.
"""

import json
import os
import subprocess
import sys
import tempfile
import time


def main():
    corpus = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus")
    entries = json.load(open(os.path.join(corpus, "manifest.json")))["hostile"]
    bad = 0
    with tempfile.TemporaryDirectory(prefix="ckpt-prove-") as root:
        env_dir, cwd = os.path.join(root, "env"), os.path.join(root, "cwd")
        os.mkdir(env_dir)
        os.mkdir(cwd)
        for e in entries:
            if e["victim"]:
                os.mkdir(os.path.join(cwd, e["victim"]))
            path = os.path.join(corpus, e["file"])
            if e["container"] == "pickle":
                code = "import pickle, sys; pickle.load(open(sys.argv[1], 'rb'))"
            else:
                code = "import torch, sys; torch.load(sys.argv[1], weights_only=False)"
            try:
                subprocess.run(["/usr/bin/python3", "-c", code, path], cwd=cwd, stdin=subprocess.DEVNULL,
                               capture_output=True, timeout=60, env=dict(os.environ, CKPT_SENTINEL_DIR=env_dir))
            except subprocess.TimeoutExpired:
                pass
            time.sleep(0.3)  # Popen payloads finish asynchronously
            s = e["sentinel"] or {}
            fired = False
            if "env" in s:
                fired = os.path.exists(os.path.join(env_dir, s["env"]))
            if "cwd" in s:
                fired = os.path.exists(os.path.join(cwd, s["cwd"]))
            if e["victim"]:
                fired = not os.path.exists(os.path.join(cwd, e["victim"]))
            ok = fired == e["fires"]
            bad += not ok
            print("%-4s %-42s fires=%-5s observed=%s" % ("ok" if ok else "FAIL", e["file"], e["fires"], fired))
    print("%d entries, %d mismatches" % (len(entries), bad))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
