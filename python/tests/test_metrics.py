"""SPEC section 5's metrics against the PyTorch reference's goldens."""
import json
import math
import os

import numpy as np

from batvision_cache.metrics import NAMES, batch_errors, depth_errors, mean_metrics

from conftest import GOLDENS


def test_metrics_equal_the_goldens():
    index = json.load(open(os.path.join(GOLDENS, "index.json")))
    cases = index["metrics"]
    assert len(cases) == 6
    for case in cases:
        gt = np.load(os.path.join(GOLDENS, "metrics", case["gt"]))
        pred = np.load(os.path.join(GOLDENS, "metrics", case["pred"]))
        got = depth_errors(gt, pred)
        want = case["abs_rel,rmse,delta1,delta2,delta3,log10,mae"]
        for name, g, w in zip(NAMES, got, want):
            if math.isinf(w):
                assert math.isinf(g), name
            else:
                assert g == w, (case["gt"], name, g, w)


def test_batch_errors_scale_and_mean():
    rng = np.random.default_rng(0)
    gt = rng.uniform(0, 1, (3, 1, 8, 8)).astype(np.float32)
    gt[0, 0, :2] = 0
    pred = (gt + rng.normal(0, 0.05, gt.shape)).astype(np.float32)
    rows = batch_errors(gt, pred, scale=12.0)
    want = [depth_errors(gt[i] * np.float32(12), pred[i] * np.float32(12)) for i in range(3)]
    assert rows == want
    m = mean_metrics(rows)
    assert m["rmse"] == sum(r[1] for r in rows) / 3 and set(m) == set(NAMES)
    assert mean_metrics([]) == {k: 0.0 for k in NAMES}


def test_log10_nonfinite_counts_the_pixels_that_make_log10_infinite():
    from batvision_cache.metrics import log10_nonfinite
    gt = np.array([[[1.0, 2.0, 0.0, 3.0]]], np.float32)   # one hole (gt 0): not a valid pixel
    pred = np.array([[[0.0, 2.0, 0.0, 0.0]]], np.float32)  # two valid pixels predicted 0
    assert log10_nonfinite(gt, pred) == 2
    assert math.isinf(depth_errors(gt[0], pred[0])[NAMES.index("log10")])
    assert log10_nonfinite(gt, gt) == 0
