#!/usr/bin/python3
"""Writes the hostile-pickle corpus and the resource-limit inputs, byte by byte.

Nothing here ever unpickles anything: every file is assembled from raw opcodes, so running this script is safe.
The files are committed (tests/hostile/corpus, tests/hostile/limits); rerun this script to regenerate them and
commit the result. Output is deterministic.

corpus/   files that would run code if a real unpickler (or torch.load with weights_only=False) opened them.
          Every payload is harmless but observable: it creates a file named after the corpus entry inside the
          directory given by the environment variable CKPT_SENTINEL_DIR (shell payloads), or inside the current
          directory (payloads that can only take a literal path), or removes a directory named ckpt_victim_<name>
          from the current directory. Tests set both and check that nothing appears or disappears.
limits/   inputs that attack memory, time and integer arithmetic instead of executing code.

Each folder has a manifest.json describing what the tests expect (see the keys written below).
"""

import argparse
import io
import json
import os
import random
import struct
import sys
import zipfile
import zlib

# ---------------------------------------------------------------------------------------------------------------
# A tiny pickle assembler. Methods append one opcode each and return self, so payloads read like the opcode listing.


class P:
    def __init__(self, proto=2):
        self.b = bytearray()
        if proto is not None:
            self.op(b"\x80", bytes([proto]))

    def op(self, code, arg=b""):
        self.b += code + arg
        return self

    def raw(self, data):
        self.b += data
        return self

    # values
    def mark(self):
        return self.op(b"(")

    def none(self):
        return self.op(b"N")

    def true(self):
        return self.op(b"\x88")

    def false(self):
        return self.op(b"\x89")

    def int(self, v):
        if 0 <= v < 256:
            return self.op(b"K", bytes([v]))
        if 0 <= v < 65536:
            return self.op(b"M", struct.pack("<H", v))
        if -(2**31) <= v < 2**31:
            return self.op(b"J", struct.pack("<i", v))
        n = (v.bit_length() + 8) // 8
        return self.op(b"\x8a", bytes([n]) + v.to_bytes(n, "little", signed=True))

    def str(self, s):
        data = s.encode("utf-8")
        return self.op(b"X", struct.pack("<I", len(data)) + data)

    def sstr(self, s):  # SHORT_BINUNICODE (protocol 4)
        data = s.encode("utf-8")
        return self.op(b"\x8c", bytes([len(data)]) + data)

    def global_(self, module, name):
        return self.op(b"c", module.encode() + b"\n" + name.encode() + b"\n")

    def stack_global(self):
        return self.op(b"\x93")

    def memoize(self):
        return self.op(b"\x94")

    def put(self, i):
        return self.op(b"q", bytes([i])) if i < 256 else self.op(b"r", struct.pack("<I", i))

    def get(self, i):
        return self.op(b"h", bytes([i])) if i < 256 else self.op(b"j", struct.pack("<I", i))

    def dup(self):
        return self.op(b"2")

    def pop(self):
        return self.op(b"0")

    # containers
    def empty_tuple(self):
        return self.op(b")")

    def tuple(self):
        return self.op(b"t")

    def tuple1(self):
        return self.op(b"\x85")

    def tuple2(self):
        return self.op(b"\x86")

    def tuple3(self):
        return self.op(b"\x87")

    def empty_list(self):
        return self.op(b"]")

    def list(self):
        return self.op(b"l")

    def append(self):
        return self.op(b"a")

    def appends(self):
        return self.op(b"e")

    def empty_dict(self):
        return self.op(b"}")

    def setitem(self):
        return self.op(b"s")

    def setitems(self):
        return self.op(b"u")

    # calls
    def reduce(self):
        return self.op(b"R")

    def newobj(self):
        return self.op(b"\x81")

    def newobj_ex(self):
        return self.op(b"\x92")

    def inst(self, module, name):
        return self.op(b"i", module.encode() + b"\n" + name.encode() + b"\n")

    def obj(self):
        return self.op(b"o")

    def build(self):
        return self.op(b"b")

    def binpersid(self):
        return self.op(b"Q")

    def stop(self):
        return self.op(b".")

    def bytes(self):
        return bytes(self.b)


def str_list(p, items):
    """A list of strings: ] MARK X.. APPENDS."""
    p.empty_list().mark()
    for s in items:
        p.str(s)
    return p.appends()


# ---------------------------------------------------------------------------------------------------------------
# Payload commands. Shell and Python payloads resolve the sentinel directory from the environment at run time, so
# the committed bytes carry no machine-specific path; without the variable they aim at a directory that does not
# exist and do nothing.


def shell_cmd(name):
    return 'touch "${CKPT_SENTINEL_DIR:-/nonexistent-ckpt-sentinel}/%s"' % name


def py_code(name):  # an expression, so that eval() runs it as well as exec()
    return ("open(__import__('os').path.join(__import__('os').environ.get('CKPT_SENTINEL_DIR', "
            "'/nonexistent-ckpt-sentinel'), '%s'), 'w').close()" % name)


def local_name(name):  # payloads that take only a literal path: relative to the current directory
    return "ckpt_sentinel_" + name


def victim_name(name):
    return "ckpt_victim_" + name


# ---------------------------------------------------------------------------------------------------------------
# Torch containers around a payload.


def torch_zip(pickle_bytes, folder="archive", records=None, compress_pkl=False, extra_folders=None):
    """A torch.save-style zip: <folder>/data.pkl, data/<key> records, <folder>/version."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for f, pkl in (extra_folders or []):
            z.writestr(zipfile.ZipInfo(f + "/data.pkl"), pkl)
            z.writestr(zipfile.ZipInfo(f + "/version"), b"3\n")
        info = zipfile.ZipInfo(folder + "/data.pkl")
        info.compress_type = zipfile.ZIP_DEFLATED if compress_pkl else zipfile.ZIP_STORED
        z.writestr(info, pickle_bytes)
        for key, data in (records or {}).items():
            z.writestr(zipfile.ZipInfo(folder + "/data/" + key), data)
        z.writestr(zipfile.ZipInfo(folder + "/version"), b"3\n")
    return buf.getvalue()


LEGACY_MAGIC = bytes.fromhex("80028a0a6cfc9c46f9206aa850192e")
LEGACY_PROTOCOL = bytes.fromhex("80024de9032e")


def legacy_sys_info():
    p = P()
    p.empty_dict().mark()
    p.str("protocol_version").int(1001)
    p.str("little_endian").true()
    p.str("type_sizes").empty_dict().mark()
    p.str("short").int(2).str("int").int(4).str("long").int(4).setitems()
    p.setitems().stop()
    return p.bytes()


def legacy_storage_pid(p, key, numel, storage_class="FloatStorage", location="cpu"):
    """BINPERSID ('storage', torch.<X>Storage, key, location, numel, None) as the legacy writer emits it."""
    p.mark().str("storage").global_("torch", storage_class).str(key).str(location).int(numel).none().tuple()
    return p.binpersid()


def zip_storage_pid(p, key, numel, storage_class="FloatStorage", location="cpu"):
    p.mark().str("storage").global_("torch", storage_class).str(key).str(location).int(numel).tuple()
    return p.binpersid()


def ordered_dict(p):
    return p.global_("collections", "OrderedDict").empty_tuple().reduce()


def rebuild_tensor(p, key, numel, offset, shape, stride, legacy=False, storage_class="FloatStorage",
                   requires_grad=None):
    """_rebuild_tensor_v2(storage, offset, shape, stride, requires_grad, OrderedDict()). shape/stride are lists of
    ints; requires_grad is a callback that emits the argument (to hide payloads there) or None for False."""
    p.global_("torch._utils", "_rebuild_tensor_v2")
    p.mark()
    (legacy_storage_pid if legacy else zip_storage_pid)(p, key, numel, storage_class)
    p.int(offset)
    p.mark()
    for d in shape:
        p.int(d)
    p.tuple()
    p.mark()
    for d in stride:
        p.int(d)
    p.tuple()
    if requires_grad:
        requires_grad(p)
    else:
        p.false()
    ordered_dict(p)
    p.tuple().reduce()
    return p


def float_bytes(n):
    return struct.pack("<%df" % n, *[float(i) for i in range(n)])


def legacy_stream(main_pickle, keys_and_data, trailing=b"", magic=LEGACY_MAGIC, sys_info=None, keys_pickle=None):
    """magic, protocol, sys_info, main pickle, key list pickle, per key: int64 count + bytes."""
    out = bytearray(magic + LEGACY_PROTOCOL + (sys_info or legacy_sys_info()) + main_pickle)
    if keys_pickle is None:
        k = P()
        str_list(k, [key for key, _, _ in keys_and_data])
        keys_pickle = k.stop().bytes()
    out += keys_pickle
    for _, count, data in keys_and_data:
        out += struct.pack("<q", count) + data
    return bytes(out + trailing)


# ---------------------------------------------------------------------------------------------------------------
# The hostile corpus. Each entry: name -> (bytes, extension, manifest fields).

CORPUS = {}


def hostile(name, ext, data, dangerous, not_safe=(), sentinel=None, victim=None, fires=True, container="pickle",
            note="", may_refuse=False, has_weights=False):
    """dangerous: "module.name" globals the engine must report with Severity::Dangerous.
    not_safe: globals that must be reported as at least Unknown (never Safe).
    sentinel: what appears if the payload runs: {"env": name} (in $CKPT_SENTINEL_DIR), {"cwd": name} (current dir).
    victim: a directory (in the current directory) the payload would delete.
    fires: whether a real unpickler/torch.load would run the payload (checked by prove_payloads.py).
    may_refuse: the engine may refuse to open the file instead of reporting the payload (torch refuses it too).
    has_weights: the file holds a state dict, so an export refusal must be about the dangerous global."""
    CORPUS[name] = (data, ext, {
        "file": name + ext, "container": container, "dangerous": sorted(dangerous), "not_safe": sorted(not_safe),
        "sentinel": sentinel, "victim": victim, "fires": fires, "note": note,
        "may_refuse": may_refuse, "has_weights": has_weights})


def call_reduce(module, name, emit_args, proto=2):
    p = P(proto)
    p.global_(module, name)
    emit_args(p)
    return p.reduce().stop().bytes()


def args_str(s):
    return lambda p: p.str(s).tuple1()


def args_shell_list(name):
    return lambda p: str_list(p, ["sh", "-c", shell_cmd(name)]).tuple1()


def build_corpus():
    # --- REDUCE of the classic callables -------------------------------------------------------------------------
    for module, func in (("os", "system"), ("posix", "system")):
        n = "reduce_%s_%s" % (module, func)
        hostile(n, ".pkl", call_reduce(module, func, args_str(shell_cmd(n))), [module + "." + func],
                sentinel={"env": n})
    n = "reduce_nt_system"
    hostile(n, ".pkl", call_reduce("nt", "system", args_str(shell_cmd(n))), ["nt.system"], sentinel={"env": n},
            fires=False, note="nt exists only on Windows")
    for func in ("Popen", "check_output", "call", "run"):
        n = "reduce_subprocess_" + func.lower()
        hostile(n, ".pkl", call_reduce("subprocess", func, args_shell_list(n)), ["subprocess." + func],
                sentinel={"env": n})
    for func in ("eval", "exec"):
        n = "reduce_builtins_" + func
        hostile(n, ".pkl", call_reduce("builtins", func, args_str(py_code(n))), ["builtins." + func],
                sentinel={"env": n})
    # Python 2 spelling: the engine maps __builtin__ to builtins before judging.
    n = "reduce_py2_builtin_eval"
    hostile(n, ".pkl", call_reduce("__builtin__", "eval", args_str(py_code(n))), ["builtins.eval"],
            sentinel={"env": n})
    # exec(compile(src, '<ckpt>', 'exec'))
    n = "reduce_builtins_compile"
    p = P().global_("builtins", "exec")
    p.global_("builtins", "compile").str(py_code(n)).str("<ckpt>").str("exec").tuple3().reduce()
    p.tuple1().reduce().stop()
    hostile(n, ".pkl", p.bytes(), ["builtins.exec", "builtins.compile"], sentinel={"env": n})
    # getattr(__import__('os'), 'system')(cmd)
    n = "reduce_getattr_import"
    p = P().global_("builtins", "getattr")
    p.global_("builtins", "__import__").str("os").tuple1().reduce()
    p.str("system").tuple2().reduce()
    p.str(shell_cmd(n)).tuple1().reduce().stop()
    hostile(n, ".pkl", p.bytes(), ["builtins.getattr", "builtins.__import__"], sentinel={"env": n})
    # open('ckpt_sentinel_...', 'w'): creates the file in the current directory.
    n = "reduce_builtins_open"
    hostile(n, ".pkl", call_reduce("builtins", "open", lambda p: p.str(local_name(n)).str("w").tuple2()),
            ["builtins.open"], sentinel={"cwd": local_name(n)})
    # runpy._run_code(code, {}) runs exec(code, globals).
    n = "reduce_runpy_run_code"
    hostile(n, ".pkl", call_reduce("runpy", "_run_code", lambda p: p.str(py_code(n)).empty_dict().tuple2()),
            ["runpy._run_code"], sentinel={"env": n})
    n = "reduce_runpy_run_path"
    hostile(n, ".pkl", call_reduce("runpy", "run_path", args_str("/nonexistent-ckpt-sentinel/x.py")),
            ["runpy.run_path"], fires=False, note="imports a script path; harmless target")
    # webbrowser.open(url) and GenericBrowser([sh, -c, cmd]).open(url) through getattr.
    n = "reduce_webbrowser_open"
    hostile(n, ".pkl", call_reduce("webbrowser", "open", args_str("file:///nonexistent-ckpt-sentinel")),
            ["webbrowser.open"], fires=False, note="would start a browser; no observable sentinel")
    n = "reduce_webbrowser_genericbrowser"
    p = P().global_("builtins", "getattr")
    p.global_("webbrowser", "GenericBrowser")
    str_list(p, ["sh", "-c", shell_cmd(n) + " #"]).tuple1().reduce()
    p.str("open").tuple2().reduce()
    p.str("http://ckpt.invalid/").tuple1().reduce().stop()
    hostile(n, ".pkl", p.bytes(), ["builtins.getattr", "webbrowser.GenericBrowser"], sentinel={"env": n})
    n = "reduce_pty_spawn"
    hostile(n, ".pkl", call_reduce("pty", "spawn", args_shell_list(n)), ["pty.spawn"], sentinel={"env": n})
    n = "reduce_shutil_rmtree"
    hostile(n, ".pkl", call_reduce("shutil", "rmtree", args_str(victim_name(n))), ["shutil.rmtree"],
            victim=victim_name(n))

    # --- INST, OBJ: both call the class (any callable) with the marked arguments --------------------------------
    n = "inst_os_system"
    hostile(n, ".pkl", P().mark().str(shell_cmd(n)).inst("os", "system").stop().bytes(), ["os.system"],
            sentinel={"env": n})
    n = "inst_subprocess_check_output"
    p = P().mark()
    str_list(p, ["sh", "-c", shell_cmd(n)]).inst("subprocess", "check_output").stop()
    hostile(n, ".pkl", p.bytes(), ["subprocess.check_output"], sentinel={"env": n})
    n = "obj_posix_system"
    hostile(n, ".pkl", P().mark().global_("posix", "system").str(shell_cmd(n)).obj().stop().bytes(),
            ["posix.system"], sentinel={"env": n})
    n = "obj_builtins_exec"
    hostile(n, ".pkl", P().mark().global_("builtins", "exec").str(py_code(n)).obj().stop().bytes(),
            ["builtins.exec"], sentinel={"env": n})

    # --- NEWOBJ / NEWOBJ_EX: cls.__new__(cls, *args[, **kwargs]) --------------------------------------------------
    # __new__ alone runs nothing for these classes, but importing them is the danger a scanner must report.
    n = "newobj_subprocess_popen"
    p = P().global_("subprocess", "Popen")
    str_list(p, ["sh", "-c", shell_cmd(n)]).tuple1().newobj().stop()
    hostile(n, ".pkl", p.bytes(), ["subprocess.Popen"], fires=False, note="__new__ does not start the process")
    n = "newobj_ex_subprocess_popen"
    p = P(4).sstr("subprocess").sstr("Popen").stack_global()
    str_list(p, ["sh", "-c", shell_cmd(n)]).tuple1()
    p.empty_dict().sstr("shell").false().setitem().newobj_ex().stop()
    hostile(n, ".pkl", p.bytes(), ["subprocess.Popen"], fires=False, note="__new__ does not start the process")
    n = "newobj_ex_os_system"
    p = P(4).global_("os", "system").str(shell_cmd(n)).tuple1().empty_dict().newobj_ex().stop()
    hostile(n, ".pkl", p.bytes(), ["os.system"], fires=False, note="builtins have no __new__; fails, runs nothing")

    # --- BUILD with __setstate__: NEWOBJ a plain class, BUILD (None, {'__setstate__': os.system}) puts the
    # callable on the instance, and a second BUILD calls inst.__setstate__(cmd).
    for module, func in (("os", "system"), ("builtins", "exec")):
        n = "build_setstate_%s_%s" % (module, func)
        p = P().global_("argparse", "Namespace").empty_tuple().newobj()
        p.none().empty_dict().str("__setstate__").global_(module, func).setitem().tuple2().build()
        p.str(shell_cmd(n) if module == "os" else py_code(n)).build().stop()
        hostile(n, ".pkl", p.bytes(), [module + "." + func], sentinel={"env": n})

    # --- STACK_GLOBAL with names taken from the memo -------------------------------------------------------------
    n = "stack_global_memo_os_system"
    p = P(4).sstr("os").memoize().sstr("system").memoize().pop().pop()
    p.get(0).get(1).stack_global().str(shell_cmd(n)).tuple1().reduce().stop()
    hostile(n, ".pkl", p.bytes(), ["os.system"], sentinel={"env": n})
    # One memoised module string reused for two callables; a decoy benign global first.
    n = "stack_global_memo_subprocess"
    p = P(4).sstr("collections").sstr("OrderedDict").stack_global().empty_tuple().reduce().pop()
    p.sstr("subprocess").memoize().sstr("check_output").memoize().stack_global()
    str_list(p, ["sh", "-c", shell_cmd(n)]).tuple1().reduce().pop()
    p.get(0).sstr("Popen").stack_global()
    str_list(p, ["sh", "-c", shell_cmd(n)]).tuple1().reduce().stop()
    hostile(n, ".pkl", p.bytes(), ["subprocess.check_output", "subprocess.Popen"], not_safe=[],
            sentinel={"env": n})
    # Names produced by DUP and by BINPUT/BINGET with protocol 2 opcodes; STACK_GLOBAL is accepted by Python's
    # unpickler whatever the PROTO header says.
    n = "stack_global_dup_posix"
    p = P(2).str("posix").put(7).pop().str("system").put(9).pop()
    p.get(7).get(9).stack_global().str(shell_cmd(n)).tuple1().reduce().stop()
    hostile(n, ".pkl", p.bytes(), ["posix.system"], sentinel={"env": n})
    # A FRAMEd protocol 4 pickle, as pickle.dumps(protocol=4) writes them.
    n = "frame_stack_global_builtins_eval"
    body = P(None).sstr("builtins").memoize().sstr("eval").memoize().stack_global().memoize()
    body.str(py_code(n)).memoize().tuple1().memoize().reduce().memoize().stop()
    p = P(4).op(b"\x95", struct.pack("<Q", len(body.b))).raw(body.b)
    hostile(n, ".pkl", p.bytes(), ["builtins.eval"], sentinel={"env": n})

    # --- Dotted names: with protocol >= 4, find_class walks an attribute path from the module, so an allowlisted
    # module plus a name that merely starts like an allowlisted function reaches the builtins dict through the
    # function's __builtins__ (Python >= 3.10). Judging by prefix or substring calls these safe.
    n = "dotted_name_rebuild_builtins"
    p = P(4).sstr("torch._utils").sstr("_rebuild_tensor_v2.__builtins__.get").stack_global()
    p.sstr("exec").tuple1().reduce().str(py_code(n)).tuple1().reduce().stop()
    hostile(n, ".pkl", p.bytes(), ["torch._utils._rebuild_tensor_v2.__builtins__.get"], sentinel={"env": n},
            note="protocol 4 dotted attribute path out of an allowlisted function")
    n = "dotted_name_global_opcode"
    p = P(4).global_("argparse", "Namespace.__init__.__builtins__.get")
    p.sstr("eval").tuple1().reduce().str(py_code(n)).tuple1().reduce().stop()
    hostile(n, ".pkl", p.bytes(), ["argparse.Namespace.__init__.__builtins__.get"], sentinel={"env": n},
            note="GLOBAL (text) under PROTO 4 walks dotted paths too")
    n = "zip_dotted_name_storage"
    p = P(4).sstr("torch").sstr("FloatStorage.__init__.__builtins__.get").stack_global()
    p.sstr("exec").tuple1().reduce().str(py_code(n)).tuple1().reduce().stop()
    hostile(n, ".pth", torch_zip(p.bytes()), ["torch.FloatStorage.__init__.__builtins__.get"], sentinel={"env": n},
            container="torch-zip", note="a name containing 'Storage' that is not a storage class")

    # --- Payloads inside real-looking torch checkpoints ----------------------------------------------------------
    def rg_payload(name):
        return lambda p: p.global_("os", "system").str(shell_cmd(name)).tuple1().reduce()

    # A state dict whose second tensor's requires_grad argument is os.system(cmd) (returns 0: falsy, loads fine).
    n = "zip_payload_in_rebuild_args"
    p = P()
    ordered_dict(p).put(0).mark()
    p.str("a.weight")
    rebuild_tensor(p, "0", 4, 0, [2, 2], [2, 1])
    p.str("a.bias")
    rebuild_tensor(p, "1", 2, 0, [2], [1], requires_grad=rg_payload(n))
    p.setitems().stop()
    hostile(n, ".pth", torch_zip(p.bytes(), records={"0": float_bytes(4), "1": float_bytes(2)}), ["os.system"],
            sentinel={"env": n}, container="torch-zip", has_weights=True)
    # The storage itself replaced by a payload call inside _rebuild_tensor_v2's argument tuple.
    n = "zip_payload_as_storage"
    p = P()
    p.empty_dict().str("w").global_("torch._utils", "_rebuild_tensor_v2").mark()
    p.global_("subprocess", "check_output")
    str_list(p, ["sh", "-c", shell_cmd(n)]).tuple1().reduce()
    p.int(0).int(1).tuple1().int(1).tuple1().false()
    ordered_dict(p).tuple().reduce().setitem().stop()
    hostile(n, ".pth", torch_zip(p.bytes()), ["subprocess.check_output"], sentinel={"env": n},
            container="torch-zip", note="the payload runs before torch rejects the bad storage")
    # state_dict BUILD {'_metadata': OrderedDict('' -> {'version': os.system(cmd)})}.
    n = "zip_payload_in_metadata"
    p = P()
    ordered_dict(p).put(0).str("w")
    rebuild_tensor(p, "0", 4, 0, [4], [1])
    p.setitem()
    p.empty_dict().str("_metadata")
    ordered_dict(p).str("").empty_dict().str("version")
    p.global_("posix", "system").str(shell_cmd(n)).tuple1().reduce()
    p.setitem().setitem().setitem().build().stop()
    hostile(n, ".pth", torch_zip(p.bytes(), records={"0": float_bytes(4)}), ["posix.system"], sentinel={"env": n},
            container="torch-zip", has_weights=True)
    # A benign-looking state dict where the payload sits in a parameter wrapper's hooks argument.
    n = "zip_payload_in_parameter_hooks"
    p = P()
    ordered_dict(p).str("w").global_("torch._utils", "_rebuild_parameter").mark()
    rebuild_tensor(p, "0", 4, 0, [4], [1])
    p.true()
    p.global_("builtins", "eval").str(py_code(n)).tuple1().reduce()
    p.tuple().reduce().setitem().stop()
    hostile(n, ".pth", torch_zip(p.bytes(), records={"0": float_bytes(4)}), ["builtins.eval"], sentinel={"env": n},
            container="torch-zip", has_weights=True)
    # The data.pkl deflated, so its opcodes do not appear in the file's raw bytes.
    n = "zip_deflated_payload"
    hostile(n, ".pth", torch_zip(call_reduce("os", "system", args_str(shell_cmd(n))), compress_pkl=True),
            ["os.system"], sentinel={"env": n}, container="torch-zip")
    # Protocol 4 data.pkl (pickle_protocol=4) with a FRAME, inside a zip.
    n = "zip_protocol4_frame"
    body = P(None).sstr("os").sstr("system").stack_global().sstr(shell_cmd(n)).tuple1().reduce().stop()
    p = P(4).op(b"\x95", struct.pack("<Q", len(body.b))).raw(body.b)
    hostile(n, ".pth", torch_zip(p.bytes()), ["os.system"], sentinel={"env": n}, container="torch-zip")
    # A second top-level folder. torch reads the folder of the FIRST central-directory entry, so the hidden
    # payload first; a scanner looking for "archive/data.pkl" sees only the benign one. 1.13 refuses mixed folders
    # in getAllRecords, newer releases may not: the engine must report the payload or refuse the file.
    benign = P()
    ordered_dict(benign).stop()
    n = "zip_second_folder_first"
    payload = call_reduce("os", "system", args_str(shell_cmd(n)))
    hostile(n, ".pth", torch_zip(benign.bytes(), folder="archive", extra_folders=[("hidden", payload)]),
            ["os.system"], sentinel={"env": n}, container="torch-zip", fires=False,
            note="two top-level folders; refusing the file is also acceptable", may_refuse=True)
    n = "zip_second_folder_last"
    payload = call_reduce("os", "system", args_str(shell_cmd(n)))
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for name, data in (("archive/data.pkl", benign.bytes()), ("archive/version", b"3\n"),
                           ("zzz/data.pkl", payload), ("zzz/version", b"3\n")):
            z.writestr(zipfile.ZipInfo(name), data)  # ZipInfo: a fixed 1980 date, so output is reproducible
    hostile(n, ".pth", buf.getvalue(), ["os.system"], sentinel={"env": n}, container="torch-zip", fires=False,
            note="two top-level folders; refusing the file is also acceptable", may_refuse=True)

    # --- Legacy streams ------------------------------------------------------------------------------------------
    def legacy_state_dict(payload_name=None):
        p = P()
        ordered_dict(p).put(0).str("w")
        rebuild_tensor(p, "94000000", 4, 0, [4], [1], legacy=True)
        p.setitem()
        if payload_name:
            p.str("extra").global_("os", "system").str(shell_cmd(payload_name)).tuple1().reduce().setitem()
        return p.stop().bytes()

    storages = [("94000000", 4, float_bytes(4))]
    n = "legacy_payload_in_main"
    hostile(n, ".pt", legacy_stream(legacy_state_dict(n), storages), ["os.system"], sentinel={"env": n},
            container="torch-legacy", has_weights=True)
    # After the storages: torch never reads it, but a file that carries it is not clean.
    n = "legacy_payload_after_storages"
    hostile(n, ".pt", legacy_stream(legacy_state_dict(), storages,
                                    trailing=call_reduce("os", "system", args_str(shell_cmd(n)))),
            ["os.system"], sentinel={"env": n}, container="torch-legacy", fires=False,
            note="trailing pickle after the storage bytes", has_weights=True)
    # torch.load unpickles the sys_info and the key list with the full unpickler as well.
    n = "legacy_payload_in_sys_info"
    hostile(n, ".pt", legacy_stream(legacy_state_dict(), storages,
                                    sys_info=call_reduce("os", "system", args_str(shell_cmd(n)))),
            ["os.system"], sentinel={"env": n}, container="torch-legacy", has_weights=True)
    n = "legacy_payload_in_key_list"
    k = P().empty_list().mark().str("94000000").global_("posix", "system").str(shell_cmd(n)).tuple1().reduce()
    k.pop().appends().stop()
    hostile(n, ".pt", legacy_stream(legacy_state_dict(), storages, keys_pickle=k.bytes()), ["posix.system"],
            sentinel={"env": n}, container="torch-legacy", has_weights=True)


# ---------------------------------------------------------------------------------------------------------------
# Resource-limit inputs. expect:
#   "error": loadCheckpoint must fail; the error detail must match `limit` (a case-insensitive regex naming the
#            limit or the broken quantity: the limits.h constant, or the structure's own words with \b word
#            boundaries; never a bare common word such as "end", which matched "depends" and any truncation).
#            tst_limits checks every pattern against refusals for other causes.
#   "bounded": any outcome (a document or an error) is fine, as long as it comes in bounded time and memory and
#              walking the result (ckpt tree --json) terminates.
#   "error_or_unavailable": loading may fail naming `limit`, or succeed with the offending tensor's storage marked
#            unavailable / flagged by a finding; either way the bytes are never read past the file.

LIMITS = {}


def limit(name, ext, data, expect, regex, note, status=None):
    LIMITS[name] = (data, ext, {"file": name + ext, "expect": expect, "limit": regex, "note": note,
                                "status": status})


def tensor_zip(shape, stride, offset=0, numel=4, record_bytes=None, storage_class="FloatStorage"):
    p = P()
    ordered_dict(p).str("w")
    rebuild_tensor(p, "0", numel, offset, shape, stride, storage_class=storage_class)
    p.setitem().stop()
    return torch_zip(p.bytes(), records={"0": float_bytes(4) if record_bytes is None else record_bytes})


def build_limits():
    # --- tensor geometry -----------------------------------------------------------------------------------------
    limit("numel_overflow_64", ".pth", tensor_zip([2**40, 2**40, 2**40], [2**40, 2**20, 1]), "error_or_unavailable",
          "overflow|element|numel|exceed|storage|bounds", "element count 2**120 overflows 64 bits")
    limit("numel_overflow_wraps_to_small", ".pth", tensor_zip([2**32, 2**32], [1, 1]), "error_or_unavailable",
          "overflow|element|numel|exceed|storage|bounds", "2**64 wraps to 0 in unchecked uint64 arithmetic")
    limit("shape_exceeds_storage", ".pth", tensor_zip([1000, 1000], [1000, 1]), "error_or_unavailable",
          "exceed|storage|bounds|size|short", "1e6 elements viewed over a 4-element storage")
    limit("storage_numel_beyond_file", ".pth", tensor_zip([4], [1], numel=2**40), "error_or_unavailable",
          "exceed|storage|bounds|size|short|record", "pid numel 2**40, record holds 16 bytes")
    limit("storage_numel_overflow_bytes", ".pth", tensor_zip([4], [1], numel=2**62 + 1), "error_or_unavailable",
          "overflow|exceed|storage|bounds|size|short|record", "numel * 4 overflows 64 bits")
    limit("offset_past_end", ".pth", tensor_zip([4], [1], offset=2**62), "error_or_unavailable",
          "offset|exceed|storage|bounds|overflow", "storage offset 2**62 elements")
    limit("offset_negative", ".pth", tensor_zip([4], [1], offset=-8), "error_or_unavailable",
          "offset|negative|storage|bounds", "storage offset -8")
    limit("stride_negative", ".pth", tensor_zip([4], [-1], offset=3), "error_or_unavailable",
          "stride|negative", "negative stride (torch itself refuses them)")
    limit("stride_huge", ".pth", tensor_zip([2, 2], [2**62, 1]), "error_or_unavailable",
          "stride|overflow|exceed|storage|bounds", "last element index overflows")
    limit("shape_negative", ".pth", tensor_zip([-4], [1]), "error_or_unavailable",
          "shape|negative|size|dimension", "negative dimension")
    limit("rank_too_high", ".pth", tensor_zip([1] * 100, [1] * 100), "error_or_unavailable",
          "rank|dimension", "rank 100 > kMaxTensorRank 64")
    limit("shape_stride_rank_mismatch", ".pth", tensor_zip([2, 2], [1]), "error_or_unavailable",
          "stride|rank|dimension|shape", "two sizes, one stride")

    # --- pickle integers and literals ----------------------------------------------------------------------------
    p = P().op(b"\x8b", struct.pack("<i", 100000)).raw(b"\x01" * 100000).stop()
    limit("long4_100k", ".pkl", p.bytes(), "error", r"kMaxLongBytes", "LONG4 of 100000 bytes > kMaxLongBytes")
    p = P().op(b"\x8b", struct.pack("<i", 2**31 - 1)).raw(b"\x01" * 16)
    limit("long4_claims_2g", ".pkl", p.bytes(), "error", r"kMaxLongBytes|\bpickle data ends\b",
          "LONG4 announces 2 GB, file holds 16 bytes")
    p = P().op(b"\x8b", struct.pack("<i", -5)).stop()
    limit("long4_negative", ".pkl", p.bytes(), "error", r"\bnegative length\b", "LONG4 length -5")
    p = P().op(b"\x8d", struct.pack("<Q", 2**62)).raw(b"abc")
    limit("binunicode8_huge", ".pkl", p.bytes(), "error", r"kMaxPickleStringBytes|\bpickle data ends\b",
          "BINUNICODE8 length 2**62")
    p = P().op(b"\x8e", struct.pack("<Q", 2**64 - 1)).raw(b"abc")
    limit("binbytes8_max", ".pkl", p.bytes(), "error", r"kMaxPickleStringBytes|\bpickle data ends\b",
          "BINBYTES8 length 2**64-1 (offset + length wraps)")
    p = P().op(b"X", struct.pack("<I", 0xFFFFFFFF)).raw(b"abc")
    limit("binunicode_4g", ".pkl", p.bytes(), "error", r"kMaxPickleStringBytes|\bpickle data ends\b",
          "BINUNICODE length 4 GiB - 1")
    p = P(4).op(b"\x95", struct.pack("<Q", 2**63)).raw(b"N.")
    limit("frame_huge", ".pkl", p.bytes(), "bounded", r"\bframe\b|kMaxPickle\w+|\bpickle data ends\b",
          "FRAME length 2**63 (a reader may skip frames, but must not allocate or seek by them)")

    # --- nesting and stack depth (1e6) ---------------------------------------------------------------------------
    limit("mark_depth_1e6", ".pkl", P().raw(b"(" * 1000000).stop().bytes(), "error", r"kMaxPickleMarkDepth",
          "1e6 nested MARKs > kMaxPickleMarkDepth")
    limit("empty_list_depth_1e6", ".pkl", P().raw(b"]" * 1000000).stop().bytes(), "error",
          r"kMaxPickleStackDepth", "1e6 lists on the stack > kMaxPickleStackDepth")
    limit("mark_list_nesting_20k", ".pkl", P().raw(b"(" * 20000).raw(b"l" * 20000).stop().bytes(), "error",
          r"kMaxPickleMarkDepth", "MARK ... LIST nested 20000 deep, just over kMaxPickleMarkDepth")
    # A chain 200000 deep built with one memo slot: the stack never exceeds 2 values, so only the graph depth
    # limit (walking the value graph) can stop a recursive walk.
    p = P().empty_list().put(0).pop()
    p.raw(b"]h\x00aq\x000" * 200000)
    p.get(0).stop()
    limit("graph_depth_200k_memo_chain", ".pkl", p.bytes(), "bounded", r"kMaxGraphDepth|\b(depth|nest(ed|s|ing)?)\b",
          "200000-deep list chain through a single memo slot")
    limit("dup_stack_200k", ".pkl", P().none().raw(b"2" * 200000).stop().bytes(), "error",
          r"kMaxPickleStackDepth", "200k DUPs > kMaxPickleStackDepth")

    # 8 million values from 2-byte opcodes (NONE/EMPTY_LIST/... then POP): 16 MB of pickle, deflated to ~80 kB with
    # enough variety to stay far below the inflate-ratio limit. Each value costs the engine far more than 2 bytes, so
    # only a value budget that fits the memory cap keeps this bounded.
    rng = random.Random(1)
    parts = [b"N0" * 126 + rng.choice([b"]0", b")0", b"}0", b"N0"]) * 2 for _ in range(8000000 // 128)]
    limit("pickle_value_amplification", ".pth", torch_zip(P().raw(b"".join(parts)).none().stop().bytes(),
                                                         compress_pkl=True), "bounded", r"kMaxPickleValues|\bneeds more memory\b",
          "8e6 values from a 16 MB data.pkl deflated to 80 kB: must stay under the 1 GiB cap")

    # --- memo tricks -------------------------------------------------------------------------------------------
    limit("memo_self_list", ".pkl", P().empty_list().put(0).get(0).append().stop().bytes(), "bounded", "",
          "a list that contains itself")
    limit("memo_self_dict", ".pkl",
          P().empty_dict().put(0).str("self").get(0).setitem().stop().bytes(), "bounded", "",
          "a dict that contains itself")
    p = P().global_("collections", "OrderedDict").empty_tuple().reduce().put(0)
    p.get(0).build().stop()
    limit("memo_self_build_state", ".pkl", p.bytes(), "bounded", "", "an object whose BUILD state is itself")
    p = P().empty_list().put(0).mark().get(0).get(0).get(0).appends().stop()
    limit("memo_self_appends", ".pkl", p.bytes(), "bounded", "", "a list holding itself three times")
    limit("memo_get_undefined", ".pkl", P().get(5).stop().bytes(), "error", r"\bmemo\b", "BINGET of an empty slot")
    limit("memo_long_binput_huge_index", ".pkl", P().none().op(b"r", struct.pack("<I", 0xFFFFFFFF)).stop().bytes(),
          "bounded", r"\bmemo\b|kMaxPickleMemoSize", "LONG_BINPUT 4e9: a vector-backed memo must not resize to it")
    limit("memo_get_huge_index", ".pkl", P().op(b"j", struct.pack("<I", 0xFFFFFFF0)).stop().bytes(), "error",
          r"\bmemo\b", "LONG_BINGET 4e9")
    # Billion laughs: level k is a 10-item list of level k-1, through the memo; 10**12 leaves when expanded.
    p = P().str("lol").put(0).pop()
    for level in range(1, 13):
        p.mark()
        for _ in range(10):
            p.get(level - 1)
        p.list().put(level).pop()
    p.get(12).stop()
    limit("billion_laughs_binget", ".pkl", p.bytes(), "bounded", "",
          "12 levels x 10 references: 1e12 leaves if expanded")
    # The same through DUP: each level duplicates the previous list into a new list of two.
    p = P().str("lol")
    for _ in range(64):
        p.dup().tuple2()
    p.stop()
    limit("billion_laughs_dup", ".pkl", p.bytes(), "bounded", "", "64 levels of (x, x): 2**64 leaves if expanded")
    # A dict whose entries all share one huge nested value, inside a zip, as a state dict would be walked.
    p = P()
    p.str("lol").put(0).pop()
    for level in range(1, 9):
        p.empty_dict().mark()
        for i in range(10):
            p.str("k%d" % i).get(level - 1)
        p.setitems().put(level).pop()
    p.get(8).stop()
    limit("billion_laughs_zip_dicts", ".pth", torch_zip(p.bytes()), "bounded", "",
          "8 levels of 10-entry dicts in data.pkl: 1e8 paths if expanded")

    # --- zip structure -------------------------------------------------------------------------------------------
    # Honest deflate bomb: data.pkl holds one BINUNICODE of 1.2 GB of zero bytes; the record states its true size.
    # An unbounded reader runs out of memory under the 1 GB cap; the ratio limit (kMaxInflateRatio) stops it.
    size = 1200 * 1000 * 1000
    header = P().op(b"X", struct.pack("<I", size)).bytes()
    deflated, crc = deflate_zeros(header, size, b".")
    limit("zip_deflate_bomb", ".pth",
          raw_zip([("archive/data.pkl", deflated, len(header) + size + 1, crc, 8),
                   ("archive/version", b"3\n", 2, zlib.crc32(b"3\n"), 0)]),
          "error", r"kMaxInflateRatio|kMaxInflatedRecordBytes", "data.pkl deflates 1.2 MB into 1.2 GB")
    # Lying bomb: the directory says 100 bytes uncompressed, the stream inflates to 256 MB.
    deflated, _ = deflate_zeros(P().bytes(), 256 * 1000 * 1000, b"")
    limit("zip_deflate_lies_small", ".pth",
          raw_zip([("archive/data.pkl", bytes(deflated), 100, 0, 8), ("archive/version", b"3\n", 2,
                                                                     zlib.crc32(b"3\n"), 0)]),
          "error", r"\bdoes not inflate to its declared size\b|kMaxInflate\w*",
          "declared 100 bytes, inflates to 256 MB: the reader must stop at the declared size")
    # Declared 100 GB for a tiny stream (the ratio is visible before inflating anything).
    small = zlib.compressobj(9, zlib.DEFLATED, -15)
    tiny = small.compress(P().none().stop().bytes()) + small.flush()
    limit("zip_declares_100gb", ".pth",
          raw_zip([("archive/data.pkl", tiny, 100 * 10**9, 0, 8), ("archive/version", b"3\n", 2,
                                                                  zlib.crc32(b"3\n"), 0)], zip64=True),
          "error", r"kMaxInflatedRecordBytes|kMaxInflateRatio|\binflates? to\b", "uncompressed size 100 GB in zip64 extra")
    limit("zip_entry_count_huge", ".pth", eocd_only(entries=0xFFFF, cd_size=46 * 0xFFFF, cd_offset=0), "error",
          r"\bcentral directory\b|\bend-of-central-directory\b|kMaxZipEntries", "EOCD claims 65535 entries in a 22-byte file")
    limit("zip_cd_offset_past_end", ".pth", eocd_only(entries=1, cd_size=46, cd_offset=2**31), "error",
          r"\bcentral directory\b", "central directory offset 2 GiB in a tiny file")
    limit("zip64_eocd_huge", ".pth", zip64_eocd_only(), "error", r"kMaxZipEntries|\bzip64\b",
          "zip64 EOCD: 2**62 entries at offset 2**62")
    good = tensor_zip([4], [1])
    limit("zip_local_header_offset_past_end", ".pth", patch_cd_offsets(good, 0x7FFFFFF0), "error",
          r"\blocal header\b", "every central entry points past the end")
    limit("zip_name_length_huge", ".pth", patch_cd_name_len(good), "error",
          r"\bcentral directory entry\b", "first central entry name length 65535")

    # --- safetensors -------------------------------------------------------------------------------------------
    limit("safetensors_header_100gb", ".safetensors", struct.pack("<Q", 100 * 10**9) + b'{"a":1}' + b" ",
          "error", r"kMaxSafetensorsHeaderBytes|\bheader runs past the end\b", "header length 100 GB (> kMaxSafetensorsHeaderBytes)")
    limit("safetensors_header_len_max", ".safetensors", struct.pack("<Q", 2**64 - 1) + b"{}", "error",
          r"kMaxSafetensorsHeaderBytes|\bheader runs past the end\b", "header length 2**64-1 (8 + length wraps)")

    def st(header_obj, data=b"", raw_header=None):
        h = raw_header if raw_header is not None else json.dumps(header_obj).encode()
        h += b" " * ((8 - len(h) % 8) % 8)
        return struct.pack("<Q", len(h)) + h + data

    limit("safetensors_offsets_100gb", ".safetensors",
          st({"w": {"dtype": "F32", "shape": [25 * 10**9], "data_offsets": [0, 100 * 10**9]}}, b"\0" * 16),
          "error_or_unavailable", r"\boutside the data buffer\b|\bdata_offsets\b", "data_offsets end at 100 GB")
    limit("safetensors_shape_overflow", ".safetensors",
          st({"w": {"dtype": "F32", "shape": [2**40, 2**40, 2**40], "data_offsets": [0, 16]}}, b"\0" * 16),
          "error_or_unavailable", r"\boverflows?\b", "shape product overflows")
    limit("safetensors_offsets_reversed", ".safetensors",
          st({"w": {"dtype": "F32", "shape": [4], "data_offsets": [16, 0]}}, b"\0" * 16),
          "error_or_unavailable", r"\boutside the data buffer\b|\bdata_offsets\b", "begin > end")
    limit("safetensors_negative_shape", ".safetensors",
          st({"w": {"dtype": "F32", "shape": [-4], "data_offsets": [0, 16]}}, b"\0" * 16),
          "error_or_unavailable", r"\bnegative( or non-integer)? dimension\b|\bnegative\b.*\bshape\b", "negative dimension")
    limit("safetensors_deep_json", ".safetensors", st(None, raw_header=b'{"a":' + b"[" * 100000 + b"]" * 100000 + b"}"),
          "error",
          r"\bJSON\b|\blacks dtype, shape or data_offsets\b|kMax\w*Depth", "JSON header nested 1e5 deep")
    # --- sharded index -----------------------------------------------------------------------------------------
    limit("index_deep_json.safetensors.index", ".json",
          b'{"weight_map": ' + b"[" * 100000 + b"]" * 100000 + b"}", "error",
          r"\bJSON\b|kMax\w*Depth", "index nested 1e5 deep")
    limit("index_path_traversal.safetensors.index", ".json",
          json.dumps({"metadata": {"total_size": 16}, "weight_map": {
              "w": "../../../../../../etc/passwd", "v": "/etc/shadow"}}).encode(), "error",
          r"\boutside the index's folder\b|\btravers", "shards outside the index folder")
    limit("index_self_reference.safetensors.index", ".json",
          json.dumps({"weight_map": {"w": "index_self_reference.safetensors.index.json"}}).encode(), "error",
          r"\bis itself an index\b|\brecurs", "the index names itself as its shard")
    limit("index_weight_map_not_object.safetensors.index", ".json",
          json.dumps({"weight_map": [1, 2, 3]}).encode(), "error", r"\bweight_map\b",
          "weight_map is a list")


# ---------------------------------------------------------------------------------------------------------------
# Raw zip writers for structures zipfile refuses to produce.


def deflate_zeros(head, count, tail):
    """Raw deflate of head + count zero bytes + tail, and the CRC-32 of that content."""
    comp = zlib.compressobj(9, zlib.DEFLATED, -15)
    out = bytearray(comp.compress(head))
    crc = zlib.crc32(head)
    zero = bytes(1 << 24)
    left = count
    while left:
        chunk = zero if left >= len(zero) else bytes(left)
        out += comp.compress(chunk)
        crc = zlib.crc32(chunk, crc)
        left -= len(chunk)
    out += comp.compress(tail) + comp.flush()
    return bytes(out), zlib.crc32(tail, crc)


def raw_zip(entries, zip64=False):
    """entries: (name, stored bytes, declared uncompressed size, crc, method). Writes local headers, a central
    directory and an EOCD; with zip64 every central entry carries a zip64 extra holding the declared size."""
    out = bytearray()
    central = bytearray()
    for name, data, usize, crc, method in entries:
        nb = name.encode()
        offset = len(out)
        if zip64:
            extra = struct.pack("<HHQQ", 1, 16, usize, len(data))
            out += struct.pack("<IHHHHHIIIHH", 0x04034B50, 45, 0, method, 0, 0, crc, 0xFFFFFFFF, 0xFFFFFFFF,
                               len(nb), len(extra)) + nb + extra + data
            central += struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 45, 45, 0, method, 0, 0, crc, 0xFFFFFFFF,
                                   0xFFFFFFFF, len(nb), len(extra), 0, 0, 0, 0, offset) + nb + extra
        else:
            out += struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, method, 0, 0, crc, len(data), usize & 0xFFFFFFFF,
                               len(nb), 0) + nb + data
            central += struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, 0, method, 0, 0, crc, len(data),
                                   usize & 0xFFFFFFFF, len(nb), 0, 0, 0, 0, 0, offset) + nb
    cd_offset = len(out)
    out += central
    out += struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(entries), len(entries), len(central), cd_offset, 0)
    return bytes(out)


def eocd_only(entries, cd_size, cd_offset):
    return b"PK\x03\x04" + bytes(26) + struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, entries, entries, cd_size,
                                                   cd_offset, 0)


def zip64_eocd_only():
    body = b"PK\x03\x04" + bytes(26)
    z64 = struct.pack("<IQHHIIQQQQ", 0x06064B50, 44, 45, 45, 0, 0, 2**62, 2**62, 2**62, 2**62)
    loc = struct.pack("<IIQI", 0x07064B50, 0, len(body), 1)
    eocd = struct.pack("<IHHHHIIH", 0x06054B50, 0xFFFF, 0xFFFF, 0xFFFF, 0xFFFF, 0xFFFFFFFF, 0xFFFFFFFF, 0)
    return body + z64 + loc + eocd


def central_entries(data):
    eocd = data.rfind(b"PK\x05\x06")
    count, size, offset = struct.unpack_from("<HII", data, eocd + 10)
    pos = offset
    for _ in range(count):
        yield pos
        nlen, elen, clen = struct.unpack_from("<HHH", data, pos + 28)
        pos += 46 + nlen + elen + clen


def patch_cd_offsets(data, value):
    b = bytearray(data)
    for pos in central_entries(data):
        struct.pack_into("<I", b, pos + 42, value)
    return bytes(b)


def patch_cd_name_len(data):
    b = bytearray(data)
    pos = next(central_entries(data))
    struct.pack_into("<H", b, pos + 28, 0xFFFF)
    return bytes(b)


# ---------------------------------------------------------------------------------------------------------------


def write_folder(folder, entries, manifest_key):
    os.makedirs(folder, exist_ok=True)
    for old in os.listdir(folder):
        os.remove(os.path.join(folder, old))
    manifest = []
    for name in sorted(entries):
        data, ext, meta = entries[name]
        with open(os.path.join(folder, name + ext), "wb") as f:
            f.write(data)
        manifest.append(meta)
    with open(os.path.join(folder, "manifest.json"), "w") as f:
        json.dump({manifest_key: manifest}, f, indent=1, sort_keys=True)
        f.write("\n")
    return len(manifest)


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=here, help="root folder for corpus/ and limits/ (default: next to the script)")
    args = ap.parse_args()
    build_corpus()
    build_limits()
    n1 = write_folder(os.path.join(args.out, "corpus"), CORPUS, "hostile")
    n2 = write_folder(os.path.join(args.out, "limits"), LIMITS, "limits")
    print("wrote %d hostile files and %d limit inputs under %s" % (n1, n2, args.out))


if __name__ == "__main__":
    sys.exit(main())
