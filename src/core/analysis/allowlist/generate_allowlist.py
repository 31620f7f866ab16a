#!/usr/bin/python3
"""Generate the exact allowlist of library classes the security scan rates safe.

Run with the Python that has torch + torchvision (on Debian 12: /usr/bin/python3):

    /usr/bin/python3 src/core/analysis/allowlist/generate_allowlist.py [--check] [OUTPUT]

OUTPUT defaults to libraryclasses.inc next to this script: one `{"module", "name"},` line per class, sorted,
included by libraryclasses.cpp. With --check nothing is written; the exit status says whether OUTPUT is what
this script makes from the installed libraries (the ctest `allowlist_up_to_date`).

Why exact names: a pickle's GLOBAL resolves `getattr(import(module), name)`, so a module prefix such as
`torchvision.models` also allows every function those modules import or define (a re-exported
`load_state_dict_from_url` downloads a file and torch.loads it). Only classes are listed: calling a library
class builds an object from its arguments, while a library function may do anything.

What is listed, for every module under the library trees below (imported for real, never guessed):
  - each attribute that is a class whose own __module__ lies in the library trees (so a class another
    package defines and these modules merely import, e.g. typing or collections, is not listed under them);
  - a handful of standard-library classes that are plain data (enums such as signal.Signals, which a real
    Megatron-LM checkpoint pickles; pathlib paths, which Lightning hyper-parameters often hold). Each is
    checked here to be a class (enums: an enum.Enum subclass), so a typo or a function cannot slip in.
"""

import argparse
import enum
import importlib
import inspect
import os
import pkgutil
import sys
import warnings

# Module trees whose classes torch.save writes when a whole model (or a quantized one) is pickled.
LIBRARY_TREES = [
    "torch.nn.modules",
    "torch.nn.utils.parametrize",
    "torch.nn.quantized",
    "torch.nn.intrinsic",
    "torch.nn.qat",
    "torch.ao.nn",
    "torchvision.models",
    "torchvision.ops",
]

# A class found in one of those modules is listed only when it was defined in one of these trees.
DEFINING_TREES = ["torch.nn", "torch.ao.nn", "torchvision.models", "torchvision.ops"]

# Standard-library classes that hold plain data; calling one builds a value, touches no file, runs nothing.
STDLIB_DATA_CLASSES = [
    ("signal", "Signals"),  # enum of signal numbers (Megatron-LM saves its exit signal)
    ("signal", "Handlers"),  # enum SIG_DFL / SIG_IGN
    ("signal", "Sigmasks"),  # enum SIG_BLOCK / ...
    ("pathlib", "PosixPath"),  # a path value; constructing it reads nothing
    ("pathlib", "WindowsPath"),
    ("pathlib", "PurePosixPath"),
    ("pathlib", "PureWindowsPath"),
    ("pathlib", "PurePath"),
    ("pathlib", "Path"),
    ("types", "SimpleNamespace"),  # attribute bag (types.FunctionType/CodeType stay dangerous)
]

# Classes that the trees define but that are not data to rebuild. (Empty today; kept so a reviewer sees where
# an exception would go and why.)
EXCLUDED = set()


def in_tree(module, trees):
    return any(module == tree or module.startswith(tree + ".") for tree in trees)


def modules_under(tree):
    root = importlib.import_module(tree)
    yield tree, root
    if not hasattr(root, "__path__"):
        return
    for info in pkgutil.walk_packages(root.__path__, tree + "."):
        try:
            yield info.name, importlib.import_module(info.name)
        except Exception as error:  # an optional backend missing on this machine: say so, skip it
            print(f"skipping {info.name}: {error}", file=sys.stderr)


def library_classes():
    found = set()
    for tree in LIBRARY_TREES:
        for name, module in modules_under(tree):
            for attribute, value in vars(module).items():
                if not inspect.isclass(value) or not in_tree(getattr(value, "__module__", ""), DEFINING_TREES):
                    continue
                found.add((name, attribute))
                # The name pickle itself writes: the class's own module and qualified name.
                found.add((value.__module__, value.__qualname__))
    return found


def stdlib_classes():
    found = set()
    for module_name, name in STDLIB_DATA_CLASSES:
        value = getattr(importlib.import_module(module_name), name)
        if not inspect.isclass(value):
            raise SystemExit(f"{module_name}.{name} is not a class")
        if module_name == "signal" and not issubclass(value, enum.Enum):
            raise SystemExit(f"{module_name}.{name} is not an enum")
        found.add((module_name, name))
    return found


def render():
    import torch
    import torchvision

    entries = sorted((library_classes() | stdlib_classes()) - EXCLUDED)
    # A dotted qualified name (Outer.Inner) resolves attribute by attribute; the scanner rates every dotted
    # name dangerous, so such entries would never be consulted: leave them out.
    entries = [(m, n) for m, n in entries if "." not in n]
    lines = [
        "// Generated by generate_allowlist.py from torch " + torch.__version__ + " and torchvision " +
        torchvision.__version__ + ". Do not edit; rerun the script.",
        "// " + str(len(entries)) + " classes: {module, name}, sorted.",
    ]
    lines += ['{"%s", "%s"},' % entry for entry in entries]
    return "\n".join(lines) + "\n"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="compare with OUTPUT instead of writing it")
    parser.add_argument("output", nargs="?", default=os.path.join(os.path.dirname(__file__), "libraryclasses.inc"))
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    text = render()
    if args.check:
        with open(args.output) as existing:
            if existing.read() != text:
                print(f"{args.output} is out of date: rerun {__file__}", file=sys.stderr)
                return 1
        print(f"{args.output} is up to date")
        return 0
    with open(args.output, "w") as out:
        out.write(text)
    print(f"wrote {args.output}: {text.count(chr(10)) - 2} classes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
