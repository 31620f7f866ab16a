#!/usr/bin/python3
"""The test oracle's interpreter (real PyTorch), kept alive for the length of one test process.

A test sends it scripts; each runs as `python3 -c SCRIPT ARGS...` (or `python3 FILE ARGS...`) would: in a fresh
__main__ namespace, with sys.argv set, its stdout and stderr captured at the file-descriptor level (so output of
C++ code and child processes is caught too), SystemExit turned into the exit status and an uncaught exception into
a traceback on stderr and status 1. Starting Python and importing torch and torchvision takes 2-3 CPU-seconds; a
test process used to pay that for every one of its tens of oracle calls. What a script changes in the process that
a later script could notice (the warning filters, the working directory, the environment, sys.path, the default
dtype) is put back after it. Nothing here decides an answer: the scripts are the tests' own.

Protocol on stdin/stdout: a decimal byte count, a newline, then that many bytes of JSON. Request:
{"code": str} or {"file": str}, plus "args": [str]. Reply: {"status": int, "out": base64, "err": base64}.
End of input ends the process.
"""
import base64
import builtins
import gc
import json
import os
import runpy
import sys
import tempfile
import traceback
import warnings


def read_message(stream):
    header = stream.readline()
    if not header:
        return None
    size = int(header)
    body = stream.read(size)
    if len(body) != size:
        return None
    return json.loads(body)


def write_message(stream, message):
    body = json.dumps(message).encode()
    stream.write(b"%d\n" % len(body))
    stream.write(body)
    stream.flush()


def exit_status(code):
    # What the interpreter does with SystemExit's argument when the script ends the process with it.
    if code is None:
        return 0
    if isinstance(code, int):
        return code
    print(code, file=sys.stderr)
    return 1


class ProcessState:
    """What a script may change in the interpreter that a later script would see."""

    def __init__(self):
        self.filters = list(warnings.filters)
        self.cwd = os.getcwd()
        self.environ = dict(os.environ)
        self.path = list(sys.path)
        torch = sys.modules.get("torch")
        self.dtype = torch.get_default_dtype() if torch is not None else None

    def restore(self):
        warnings.filters[:] = self.filters
        warnings._filters_mutated()  # once-per-location registries start afresh, as in a new process
        os.chdir(self.cwd)
        os.environ.clear()
        os.environ.update(self.environ)
        sys.path[:] = self.path
        torch = sys.modules.get("torch")
        if torch is not None:
            torch.set_default_dtype(self.dtype if self.dtype is not None else torch.float32)


def run(request):
    sys.argv = [request["file"] if "file" in request else "-c"] + list(request.get("args", []))
    state = ProcessState()
    status = 0
    try:
        if "file" in request:
            sys.path.insert(0, os.path.dirname(os.path.abspath(request["file"])))  # as python3 FILE does
            runpy.run_path(request["file"], run_name="__main__")
        else:
            exec(compile(request["code"], "<string>", "exec"), {"__name__": "__main__", "__builtins__": builtins})
    except SystemExit as e:
        status = exit_status(e.code)
    except BaseException:  # an uncaught exception: the traceback and status 1, as python3 -c prints and returns
        traceback.print_exc()
        status = 1
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        state.restore()
        gc.collect()
    return status


def main():
    # The protocol keeps private copies of stdin and stdout; fds 0-2 are what scripts see.
    requests = os.fdopen(os.dup(0), "rb")
    replies = os.fdopen(os.dup(1), "wb")
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.close(null)
    while True:
        request = read_message(requests)
        if request is None:
            return 0
        with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
            sys.stdout.flush()
            sys.stderr.flush()
            saved = os.dup(1), os.dup(2)
            os.dup2(out.fileno(), 1)
            os.dup2(err.fileno(), 2)
            try:
                status = run(request)
            finally:
                os.dup2(saved[0], 1)
                os.dup2(saved[1], 2)
                os.close(saved[0])
                os.close(saved[1])
            out.seek(0)
            err.seek(0)
            write_message(replies, {"status": status, "out": base64.b64encode(out.read()).decode(),
                                    "err": base64.b64encode(err.read()).decode()})


if __name__ == "__main__":
    sys.exit(main())
