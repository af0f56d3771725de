#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
# gen-api-doc.py — writes docs/api.md, the C API reference, from include/onnxbn.h: its sections
# (`/* ---- Name` or `/* ==== Name` comments), declarations and the comments next to them.
#
# Usage: /usr/bin/python3 scripts/gen-api-doc.py [-o docs/api.md] [--check]
#   --check: exit 1 when docs/api.md is not what the header gives (the header is the source).
import argparse
import os
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
API = "ONNXBN_API "  # the export mark of every function (onnxbn.h)
SECTION = re.compile(r"^/\* (?:-{4}|={4}) (.*?)\s*[-=]*\s*(\*/)?$")


def comment_text(lines):
    """The prose of a /* ... */ block: markers and leading stars gone, lines joined as written."""
    out = []
    for i, l in enumerate(lines):
        l = l.strip()
        if i == 0:
            l = l[2:]
        if l.endswith("*/"):
            l = l[:-2]
        l = l.strip()
        if l.startswith("* ") or l == "*":
            l = l[2:]
        out.append(l.rstrip())
    return out


def prose(lines):
    """Comment lines to markdown: lines indented by the author (tables of names) stay verbatim."""
    md, block = [], []
    for l in lines:
        if l.startswith("  "):
            block.append(l)
            continue
        if block:
            md.append("```\n" + "\n".join(block) + "\n```")
            block = []
        md.append(l)
    if block:
        md.append("```\n" + "\n".join(block) + "\n```")
    return "\n".join(md).strip()


def parse(path):
    """[(title, intro, [(code, doc)])] in header order; the file's first comment as the preamble."""
    src = open(path, encoding="utf-8").read().splitlines()
    i, n = 0, len(src)
    # The licence line (scripts/spdx.py) comes before the opening comment.
    while i < n and "SPDX-License-Identifier:" in src[i]:
        i += 1
    # The opening comment: what the header is.
    head = []
    while i < n and not src[i].rstrip().endswith("*/"):
        head.append(src[i])
        i += 1
    head.append(src[i])
    i += 1
    preamble = " ".join(comment_text(head)).replace("onnxbn.h — ", "")
    sections = [["Basics", "", []]]
    pending = []   # comment lines waiting for the declaration they describe
    while i < n:
        line = src[i]
        s = line.strip()
        m = SECTION.match(s)
        if m:
            title = m.group(1)
            block = [line]
            while not block[-1].rstrip().endswith("*/"):
                i += 1
                block.append(src[i])
            i += 1
            if title.startswith("end of"):
                continue
            body = comment_text(block)[1:]
            sections.append([title, prose(body), []])
            pending = []
            continue
        if not s:
            pending = []
            i += 1
            continue
        if s.startswith("/*"):
            block = [line]
            while not block[-1].rstrip().endswith("*/"):
                i += 1
                block.append(src[i])
            i += 1
            pending = comment_text(block)
            continue
        if s == "#ifndef ONNXBN_API":
            # The export macro's definition, shown whole with its comment.
            code, depth = [], 0
            while True:
                t = src[i].strip()
                depth += t.startswith("#if") - t.startswith("#endif")
                code.append(src[i].rstrip())
                i += 1
                if depth == 0:
                    break
            sections[-1][2].append(("\n".join(code), prose(pending)))
            pending = []
            continue
        if (s.startswith("#") and not s.startswith("#define ONNXBN_") or s == "#define ONNXBN_H"
                or s in ('extern "C" {', "}")):
            i += 1   # include guards, includes, the C++ wrapper
            continue
        # A declaration group: lines up to a blank line or a comment line that starts a new doc.
        # It is shown as the header shows it: the comment above, then the code.
        code = []
        depth = 0
        while i < n:
            l = src[i]
            t = l.strip()
            ended = code and re.search(r";\s*(/\*.*\*/)?$", code[-1])  # a declaration just ended
            if not t or (depth == 0 and t.startswith("/*") and ended):
                break
            if depth == 0 and code and (SECTION.match(t) or t.startswith("#ifdef") or t.startswith("#endif")):
                break
            code.append(l.rstrip())
            depth += l.count("{") - l.count("}")
            i += 1
        sections[-1][2].append(("\n".join(unmark(code)), prose(pending)))
        pending = []
    return preamble, sections


def unmark(code):
    """Declarations without the ONNXBN_API in front (the reader needs it once, not per line);
    continuation lines move left with them."""
    out, shift = [], 0
    for l in code:
        if l.startswith(API):
            out.append(l[len(API):])
            shift = len(API)
        elif shift and l.startswith(" " * shift):
            out.append(l[shift:])
        else:
            out.append(l)
            shift = 0
        if shift and re.search(r";\s*(/\*.*\*/)?$", l):
            shift = 0
    return out


def slug(t):
    return re.sub(r"[^a-z0-9 -]", "", t.lower()).replace(" ", "-")


def render(preamble, sections, header_rel):
    L = ["# C API reference", "",
         f"<!-- Generated by scripts/gen-api-doc.py from {header_rel}. Do not edit by hand: the "
         f"header's comments are the source. -->", "",
         f"`#include <onnxbn.h>`: {preamble}", "",
         "Link with `pkg-config --cflags --libs onnxbn`, or in CMake `find_package(onnxbn)` then "
         "`target_link_libraries(app onnxbn::onnxbn)` (see the [deployment guide](deploying-pytorch.md) "
         "and `examples/`).", ""]
    L.append("## Contents\n")
    for title, _, _ in sections:
        L.append(f"- [{title}](#{slug(title)})")
    L.append("")
    index = []
    for title, intro, entries in sections:
        L.append(f"## {title}\n")
        if intro:
            L.append(intro + "\n")
        for code, doc in entries:
            if doc:
                L.append(doc + "\n")
            L.append("```c\n" + code + "\n```\n")
            for fn in re.findall(r"\b(onnxbn_\w+)\s*\(", code):
                index.append((fn, title))
    L.append("## Functions by name\n")
    for fn, title in sorted(set(index)):
        L.append(f"- `{fn}` — [{title.split(':')[0]}](#{slug(title)})")
    L.append("")
    return "\n".join(L)


def main():
    ap = argparse.ArgumentParser(description="Writes docs/api.md from include/onnxbn.h.")
    ap.add_argument("--header", default=os.path.join(ROOT, "include", "onnxbn.h"))
    ap.add_argument("-o", "--output", default=os.path.join(ROOT, "docs", "api.md"))
    ap.add_argument("--check", action="store_true")
    a = ap.parse_args()
    preamble, sections = parse(a.header)
    text = render(preamble, sections, os.path.relpath(a.header, ROOT))
    if a.check:
        old = open(a.output, encoding="utf-8").read() if os.path.exists(a.output) else ""
        if old != text:
            sys.exit(f"{a.output} is out of date with {a.header}: run scripts/gen-api-doc.py")
        return
    with open(a.output, "w", encoding="utf-8") as f:
        f.write(text)
    print(f"wrote {a.output}")


if __name__ == "__main__":
    main()
