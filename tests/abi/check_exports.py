#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
# check_exports.py — the shared library exports exactly the functions include/onnxbn.h declares:
# the header, the version script (runtime/onnxbn.map) and `nm -D --defined-only` must name one set.
import re
import subprocess
import sys


def header_functions(path):
    """Names of the functions the header declares, and the declarations not marked ONNXBN_API."""
    text = open(path).read()
    text = re.sub(r"/\*.*?\*/", " ", text, flags=re.S)
    text = re.sub(r"//[^\n]*", " ", text)
    text = re.sub(r"^\s*#(?:[^\n]*\\\n)*[^\n]*", " ", text, flags=re.M)  # preprocessor lines
    text = text.replace('extern "C" {', " ")
    names, unmarked = set(), []
    for stmt in re.split(r"[;{}]", text):
        m = re.search(r"\b(onnxbn_\w+)\s*\(", stmt)
        if not m:
            continue
        names.add(m.group(1))
        if not stmt.strip().startswith("ONNXBN_API "):
            unmarked.append(m.group(1))
    return names, unmarked


def map_globals(path):
    text = re.sub(r"/\*.*?\*/", " ", open(path).read(), flags=re.S)
    m = re.search(r"global:(.*?)local:", text, flags=re.S)
    return set(re.findall(r"[A-Za-z_]\w*", m.group(1))) if m else set()


def exported(nm_lines):
    """Defined dynamic symbols (functions, data, anything) without their version suffix."""
    out = set()
    for line in nm_lines:
        parts = line.split()
        if len(parts) >= 2:
            out.add(parts[-1].split("@")[0])
    return out


def compare(api, other, what):
    errs = []
    for s in sorted(other - api):
        errs.append(f"{what} has '{s}', which include/onnxbn.h does not declare")
    for s in sorted(api - other):
        errs.append(f"{what} lacks '{s}', which include/onnxbn.h declares")
    return errs


def main():
    if len(sys.argv) != 5:
        sys.exit("usage: check_exports.py onnxbn.h onnxbn.map libonnxbn.so nm")
    header, mapfile, lib, nm = sys.argv[1:]
    api, unmarked = header_functions(header)
    # Far fewer would mean the parser lost its way, not a smaller API.
    if len(api) < 50:
        sys.exit(f"check_exports: found only {len(api)} functions in {header}")
    errs = [f"include/onnxbn.h declares '{s}' without ONNXBN_API" for s in unmarked]
    errs += compare(api, map_globals(mapfile), "runtime/onnxbn.map")
    nm_out = subprocess.run([nm, "-D", "--defined-only", lib], check=True, capture_output=True,
                            text=True).stdout.splitlines()
    errs += compare(api, exported(nm_out), f"nm -D --defined-only {lib}")
    # The check itself must catch a leak and a loss: the same comparison on altered nm output.
    leak = nm_out + ["0000000000001000 T onnxbn_op_find"]
    loss = [l for l in nm_out if not l.endswith(" onnxbn_version")]
    if not compare(api, exported(leak), "x") or not compare(api, exported(loss), "x"):
        errs.append("check_exports: the comparison did not notice an added or a removed symbol")
    for e in errs:
        print("abi.exports: " + e)
    if errs:
        sys.exit(1)
    print(f"abi.exports: {len(api)} functions; header, map and {lib} agree")


main()
