#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
# vision_rules_selftest.py — the two comparison rules run_vision.py applies to detection models
# beyond the plain tolerance (staged_verdict, arbiter_unmatched), fed right and wrong results.
#
# Usage: /usr/bin/python3 tests/models/vision_rules_selftest.py   (ctest models.vision_rules_selftest)
# Each rule must pass what docs/test-data.md says it passes and fail a genuinely wrong result:
# another count, a box that is not the reference's, a cut tensor off by more than the tolerance,
# a value off the float64 forward, a reference that is right.
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import run_vision as rv  # noqa: E402

FAILS = []


def check(what, got, want):
    if got != want:
        FAILS.append(f"{what}: got {got}, expected {want}")


def dets(boxes, scores, labels):
    return [np.array(boxes, np.float32).reshape(-1, 4), np.array(scores, np.float32),
            np.array(labels, np.int64)]


def test_staged():
    # Reference: three detections; onnxbn end to end picked another of two tied boxes (same score
    # to the ulp, a different box): the plain rule fails it, the staged rule looks at the cut.
    ref = dets([[0, 0, 10, 10], [50, 50, 60, 60], [100, 100, 110, 110]], [0.5, 0.022, 0.022], [1, 2, 2])
    got = dets([[0, 0, 10, 10], [50, 50, 60, 60], [200, 200, 210, 210]], [0.5, 0.022, 0.022], [1, 2, 2])
    check("plain rule on the tied pick", rv.unmatched(got, ref), 1)
    cuts = [np.array([0.5, 0.022, 0.022, 0.022], np.float32), np.arange(16, dtype=np.float32).reshape(4, 4)]
    near = [cuts[0] * np.float32(1 + 1e-6), cuts[1] + np.float32(1e-5)]  # ulps apart: within
    check("staged: tied pick, cut within, same from the same cut", rv.staged_verdict(got, ref, near, cuts, ref)[0], True)
    # Wrong: fed the reference's cut tensors, onnxbn still picks a box the reference did not.
    check("staged: different from the same cut", rv.staged_verdict(got, ref, near, cuts, got)[0], False)
    # Wrong: a score of the cut tensor off by more than the tolerance (1e-4 + 1e-3 * 0.022).
    off = [near[0].copy(), near[1]]
    off[0][2] += np.float32(2e-4)
    check("staged: cut tensor off", rv.staged_verdict(got, ref, off, cuts, ref)[0], False)
    # Wrong: a cut tensor of another shape.
    check("staged: cut tensor shape", rv.staged_verdict(got, ref, [near[0][:3], near[1]], cuts, ref)[0], False)
    # Wrong: one detection fewer end to end, or fed the reference's cut.
    short = [a[:2] for a in got]
    check("staged: count end to end", rv.staged_verdict(short, ref, near, cuts, ref)[0], False)
    check("staged: count from the same cut", rv.staged_verdict(got, ref, near, cuts, [a[:2] for a in ref])[0], False)
    # Wrong: the right boxes from the same cut but one score off by 2e-3.
    bad = [a.copy() for a in ref]
    bad[1][0] += np.float32(2e-3)
    check("staged: score off from the same cut", rv.staged_verdict(got, ref, near, cuts, bad)[0], False)


def test_arbiter():
    # fasterrcnn_resnet50_fpn's row: truth 0.80626, onnxruntime 0.80731 (1.05e-3 off, the tolerance
    # there 9.06e-4), onnxbn 0.80574 (5.2e-4 off): excused, onnxbn within, the reference not.
    box = [0, 288.5, 320, 320]
    truth = dets([box, [10, 10, 20, 20]], [0.8062587, 0.3], [51, 7])
    ref = dets([box, [10, 10, 20, 20]], [0.8073123, 0.3], [51, 7])
    got = dets([box, [10, 10, 20, 20]], [0.8057355, 0.3], [51, 7])
    check("plain rule on the sensitive row", rv.unmatched(got, ref), 1)
    check("arbiter: reference off, onnxbn on", rv.arbiter_unmatched(got, ref, truth), (0, 1))
    # Wrong: onnxbn off the truth too (1.2e-3 below it).
    far = dets([box, [10, 10, 20, 20]], [0.8050, 0.3], [51, 7])
    check("arbiter: onnxbn off the truth", rv.arbiter_unmatched(far, ref, truth), (1, 0))
    # Wrong: the reference within the tolerance of the truth: nothing to excuse.
    ref_ok = dets([box, [10, 10, 20, 20]], [0.8066, 0.3], [51, 7])
    got_off = dets([box, [10, 10, 20, 20]], [0.8056, 0.3], [51, 7])
    check("arbiter: reference right", rv.arbiter_unmatched(got_off, ref_ok, truth), (1, 0))
    # Wrong: the label differs.
    lab = dets([box, [10, 10, 20, 20]], [0.8057355, 0.3], [50, 7])
    check("arbiter: label", rv.arbiter_unmatched(lab, ref, truth)[0], 1)
    # Wrong: onnxbn's box is off the truth's by 1 px (tolerance 0.32 px at 320).
    moved = dets([[0, 289.5, 320, 320], [10, 10, 20, 20]], [0.8062, 0.3], [51, 7])
    check("arbiter: box off", rv.arbiter_unmatched(moved, ref, truth)[0], 1)
    # One onnxbn row cannot stand for two reference rows.
    ref2 = dets([box, box], [0.8073123, 0.8073123], [51, 51])
    got2 = dets([box, [10, 10, 20, 20]], [0.8057355, 0.3], [51, 51])
    check("arbiter: a partner used once", rv.arbiter_unmatched(got2, ref2, truth)[0], 1)


def main():
    test_staged()
    test_arbiter()
    for f in FAILS:
        print("FAIL", f)
    print(f"{'FAILED' if FAILS else 'passed'}: vision comparison rules ({len(FAILS)} failures)")
    return 1 if FAILS else 0


if __name__ == "__main__":
    sys.exit(main())
