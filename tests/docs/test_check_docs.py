#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
# test_check_docs.py — shows that docs.blocks can fail: small docs with right and wrong outputs
# and markers go through check_docs.py's checker, which must flag exactly the wrong ones.
#
# Usage: test_check_docs.py SOURCE_DIR BUILD_DIR   (the ctest `docs.check_docs_selftest`)
import os
import sys
import tempfile
import unittest

sys.dont_write_bytecode = True  # nothing written into the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import check_docs  # noqa: E402

SRC, BUILD = None, None


def run(text):
    """Failures and checked blocks of one markdown text."""
    c = check_docs.Checker(SRC, BUILD)
    with tempfile.NamedTemporaryFile("w", suffix=".md", delete=False) as f:
        f.write(text)
    try:
        c.check_file(f.name, "t.md")
    finally:
        os.unlink(f.name)
    return c.failures, c.checked, c.skipped


class CheckDocs(unittest.TestCase):
    def test_session_right_and_wrong(self):
        fails, checked, _ = run("```\n$ echo hi\nhi\n$ echo a; echo b\na\nb\n```\n")
        self.assertEqual((fails, len(checked)), ([], 1))
        fails, _, _ = run("```\n$ echo hi\nho\n```\n")
        self.assertEqual(len(fails), 1)
        self.assertIn("-ho", fails[0])
        fails, _, _ = run("```\n$ echo hi; echo more\nhi\n```\n")  # an extra line fails too
        self.assertEqual(len(fails), 1)

    def test_ellipsis_is_any_lines(self):
        fails, _, _ = run("```\n$ printf 'a\\nb\\nc\\nd\\n'\na\n...\nd\n```\n")
        self.assertEqual(fails, [])
        fails, _, _ = run("```\n$ printf 'a\\nb\\n'\na\n...\nd\n```\n")
        self.assertEqual(len(fails), 1)

    def test_numbers(self):
        doc = "<!-- docs-check: numbers (timing) -->\n```\n$ echo 'took 1.53 ms, 3 runs'\ntook %s ms, %s runs\n```\n"
        self.assertEqual(run(doc % ("2.7", "3"))[0], [])
        self.assertEqual(len(run(doc % ("2.7", "4"))[0]), 1)  # integers stay exact
        self.assertEqual(len(run((doc % ("2.7", "3")).replace("took 2", "lasted 2"))[0]), 1)
        doc = "<!-- docs-check: numbers rtol=1e-3 (rounding) -->\n```\n$ echo 'y = 0.1234567'\ny = %s\n```\n"
        self.assertEqual(run(doc % "0.12346")[0], [])
        self.assertEqual(len(run(doc % "0.1236")[0]), 1)
        doc = "<!-- docs-check: counts (grow) -->\n```\n$ echo '7 passed, 0 failed'\n%s\n```\n"
        self.assertEqual(run(doc % "9 passed, 1 failed")[0], [])
        self.assertEqual(len(run(doc % "9 passed, 1 errors")[0]), 1)

    def test_needs_skips_the_rest_of_the_page(self):
        doc = ("<!-- docs-check: run -->\n<!-- docs-check: needs %s -->\n```sh\ntrue\n```\n\n"
               "```\n$ echo hi\nho\n```\n")
        fails, _, skipped = run(doc % "no_such_module_xyz")
        self.assertEqual(fails, [])  # the wrong block after it is not run either
        self.assertEqual(len(skipped), 1)
        self.assertIn("needs no_such_module_xyz", skipped[0])
        fails, _, skipped = run(doc % "json")  # importable: both run, the wrong one fails
        self.assertEqual((len(fails), skipped), (1, []))

    def test_output_after_code(self):
        fails, checked, _ = run("```python\nprint(6 * 7)\n```\n\n```\n42\n```\n")
        self.assertEqual((fails, len(checked)), ([], 1))
        fails, _, _ = run("```sh\necho 41\n```\n```\n42\n```\n")
        self.assertEqual(len(fails), 1)

    def test_every_plain_block_is_checked_or_marked(self):
        self.assertEqual(len(run("text\n\n```\nsome output\n```\n")[0]), 1)
        self.assertEqual(run("<!-- docs-check: example (a layout) -->\n```\na/\n```\n")[0], [])
        fails, _, skipped = run("<!-- docs-check: skip (needs a GPU) -->\n```\n$ false\nx\n```\n")
        self.assertEqual((fails, len(skipped)), ([], 1))
        self.assertEqual(len(run("<!-- docs-check: skip -->\n```\n$ false\n```\n")[0]), 1)  # no reason
        self.assertEqual(len(run("<!-- docs-check: frobnicate -->\n```\n$ true\n```\n")[0]), 1)

    def test_files_run_and_c(self):
        doc = ("<!-- docs-check: file hello.c -->\n```c\n#include <stdio.h>\n"
               "int main(void) { puts(\"hello\"); return 0; }\n```\n\n"
               "```\n$ cc hello.c -o hello && ./hello\nhello\n```\n")
        self.assertEqual(run(doc)[0], [])
        self.assertEqual(len(run("```c\nint main(void) { return x; }\n```\n")[0]), 1)
        doc = "<!-- docs-check: run -->\n```sh\nmkdir -p made && touch made/a\n```\n\n" \
              "<!-- docs-check: files -->\n```\nmade/a   the file\nmade/b\n```\n"
        fails = run(doc)[0]
        self.assertEqual(len(fails), 1)
        self.assertIn("made/b", fails[0])


if __name__ == "__main__":
    SRC, BUILD = sys.argv[1], sys.argv[2]
    unittest.main(argv=sys.argv[:1], verbosity=1)
