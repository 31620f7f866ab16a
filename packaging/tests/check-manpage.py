#!/usr/bin/env python3
"""check-manpage.py CKPT MANPAGE: the man page and `ckpt help` must describe the same subcommands and options.

For every subcommand that `ckpt --help` lists, the man page must have a `.SS "ckpt NAME ..."` section, and the long
options of `ckpt NAME --help` (with those of nested subcommands such as `arch list`) must be the ones that section
documents. Both directions are checked: an undocumented option and a documented option that the program lacks both
fail. `ckpt help NAME` must print exactly what `ckpt NAME --help` prints, as the man page says.
Needs only the standard library.
"""
import re
import subprocess
import sys

IGNORED_OPTIONS = {"--help"}  # every subcommand has it; the OPTIONS section documents it once


def run_help(ckpt, args):
    proc = subprocess.run([ckpt, *args], capture_output=True, text=True, timeout=30)
    if proc.returncode != 0:
        sys.exit(f"FAIL: {' '.join([ckpt, *args])} exited {proc.returncode}: {proc.stderr.strip()}")
    return proc.stdout


def sections(text):
    """Splits CLI11 help into {'Options': [lines], 'Subcommands': [lines], ...} by its 'Name:' headings."""
    result, current = {}, None
    for line in text.splitlines():
        heading = re.match(r"^([A-Z][A-Za-z ]*):\s*$", line)
        if heading:
            current = heading.group(1)
            result[current] = []
        elif current and line.strip():
            result[current].append(line)
    return result


def subcommands(help_text):
    names = []
    for line in sections(help_text).get("Subcommands", []):
        match = re.match(r"^\s+([a-z][a-z0-9-]*)(\s|$)", line)
        if match:
            names.append(match.group(1))
    return names


def long_options(help_text):
    found = set()
    for line in sections(help_text).get("Options", []):
        match = re.match(r"^\s+(?:-\w,\s*)?((?:--[a-z][a-z0-9-]*,?\s*)+)", line)
        if match:
            found.update(re.findall(r"--[a-z][a-z0-9-]*", match.group(1)))
    return found - IGNORED_OPTIONS


def man_sections(man_source):
    """{'ckpt info': text, ...} from the .SS headings, with roff escapes turned back into plain characters."""
    plain = man_source.replace("\\-", "-").replace("\\&", "")
    plain = re.sub(r"\\f[BIRP]", "", plain)
    result, name, body = {}, None, []
    for line in plain.splitlines():
        if line.startswith(".SS") or line.startswith(".SH"):
            if name:
                result[name] = "\n".join(body)
            heading = line[3:].strip().strip('"')
            words = heading.split()
            name = " ".join(w for w in words[:3] if re.fullmatch(r"[a-z][a-z0-9|-]*", w)) if line.startswith(
                ".SS") else None
            body = [heading]
        elif name:
            body.append(line)
    if name:
        result[name] = "\n".join(body)
    return result


def main():
    ckpt, man_path = sys.argv[1], sys.argv[2]
    man = man_sections(open(man_path, encoding="utf-8").read())
    problems = []

    def section_for(words):
        # "ckpt arch list" is documented in the "ckpt arch list|show" section.
        for key, body in man.items():
            parts = key.split()
            if parts[:1] == ["ckpt"] and len(parts) > len(words):
                if all(w in parts[i + 1].split("|") for i, w in enumerate(words)):
                    return body
        return None

    def options_of(words):
        """Long options of a subcommand together with those of its nested subcommands (`arch list`, `arch show`)."""
        help_text = run_help(ckpt, [*words, "--help"])
        found = long_options(help_text)
        for nested in subcommands(help_text):
            found |= options_of([*words, nested])
        return found

    def check(words):
        body = section_for(words)
        if body is None:
            problems.append(f"`ckpt {' '.join(words)}` has no .SS section in the man page")
            return
        program = options_of(words)
        documented = set(re.findall(r"(?<![\w-])--[a-z][a-z0-9-]*", body)) - IGNORED_OPTIONS
        for option in sorted(program - documented):
            problems.append(f"`ckpt {' '.join(words)}` has {option}, which the man page does not document")
        for option in sorted(documented - program):
            problems.append(f"the man page documents {option} for `ckpt {' '.join(words)}`, which it does not have")
        print(f"checked: ckpt {' '.join(words)}: {', '.join(sorted(program)) or 'no options'}")

    top = run_help(ckpt, ["--help"])
    names = [n for n in subcommands(top) if n != "help"]
    if not names:
        problems.append("`ckpt --help` lists no subcommands")
    for name in names:
        check([name])
    # `ckpt help NAME` must print what `ckpt NAME --help` prints (the man page promises it).
    for name in names:
        if run_help(ckpt, ["help", name]) != run_help(ckpt, [name, "--help"]):
            problems.append(f"`ckpt help {name}` differs from `ckpt {name} --help`")
    documented_commands = {key.split()[1] for key in man if key.startswith("ckpt ") and len(key.split()) > 1}
    for extra in sorted(documented_commands - set(names) - {"help"}):
        problems.append(f"the man page documents `ckpt {extra}`, which `ckpt --help` does not list")

    for problem in problems:
        print("FAIL:", problem)
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
