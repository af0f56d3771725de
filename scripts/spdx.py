#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
# spdx.py — every source file of the repository names its licence in an SPDX line near its top.
# usage: scripts/spdx.py [--fix]   (ctest docs.spdx runs it without --fix: it lists the files
# that lack the line and exits 1)
import os
import subprocess
import sys

LICENSE = "Apache-2.0"
TAG = "SPDX-License-Identifier:"
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# Comment syntax by file name ending; files of other kinds (data, models, docs) carry no line.
STYLES = {
    ".c": "/* {} */", ".h": "/* {} */", ".def": "/* {} */", ".in.h": "/* {} */",
    ".py": "# {}", ".sh": "# {}", ".cmake": "# {}", "CMakeLists.txt": "# {}", ".js": "// {}",
    ".map": "/* {} */", ".supp": "# {}",
}
LOOK = 5  # the line must be among the first lines of the file


def style(path):
    name = os.path.basename(path)
    if name in STYLES:
        return STYLES[name]
    for end, st in STYLES.items():
        if name.endswith(end):
            return st
    if name == "run" and "/.ci/" in "/" + path:
        return "# {}"
    return None


def files():
    out = subprocess.run(["git", "-C", ROOT, "ls-files"], capture_output=True, text=True,
                         check=True).stdout.split("\n")
    return [f for f in out if f and style(f)]


def has_line(text):
    return any(TAG in line for line in text.split("\n")[:LOOK])


def fix(path, text):
    line = style(path).format(f"{TAG} {LICENSE}")
    lines = text.split("\n")
    # After a shebang or an encoding line, which must stay first.
    at = 1 if lines and lines[0].startswith("#!") else 0
    lines.insert(at, line)
    return "\n".join(lines)


def main():
    do_fix = "--fix" in sys.argv[1:]
    missing = []
    for f in files():
        p = os.path.join(ROOT, f)
        if not os.path.isfile(p):
            continue
        try:
            text = open(p, encoding="utf-8").read()
        except UnicodeDecodeError:
            continue
        if has_line(text):
            continue
        if do_fix:
            with open(p, "w", encoding="utf-8") as fh:
                fh.write(fix(f, text))
        else:
            missing.append(f)
    if missing:
        print(f"{len(missing)} source file(s) without '{TAG} {LICENSE}' in their first {LOOK} "
              "lines (scripts/spdx.py --fix adds it):")
        for f in missing:
            print("  " + f)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
