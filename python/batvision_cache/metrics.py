"""SPEC section 5's depth metrics, with numpy's arithmetic (the Batvision baseline's).

Per sample, on depth in metres over pixels with gt > 0: abs_rel, rmse, delta1-3 (fraction
with max(g/p, p/g) < 1.25^k), log10, mae. A zero prediction gives infinite ratios and an
infinite log10; a NaN result becomes 0. The reported figure is the mean over samples.
"""
import warnings

import numpy as np

NAMES = ("abs_rel", "rmse", "delta1", "delta2", "delta3", "log10", "mae")


def depth_errors(gt, pred):
    """The seven metrics of one sample (gt, pred in metres, same shape), in NAMES order."""
    gt = np.asarray(gt, np.float32)
    pred = np.asarray(pred, np.float32)
    mask = gt > 0
    pred = pred[mask]
    gt = gt[mask]
    with np.errstate(divide="ignore", invalid="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # the mean of no valid pixel is NaN -> 0
        thresh = np.maximum(gt / pred, pred / gt)
        a1 = (thresh < 1.25).mean()
        a2 = (thresh < 1.25 ** 2).mean()
        a3 = (thresh < 1.25 ** 3).mean()
        rmse = np.sqrt(((gt - pred) ** 2).mean())
        abs_rel = np.mean(np.abs(gt - pred) / gt)
        log_10 = np.abs(np.log10(gt) - np.log10(pred)).mean()
        mae = np.abs(gt - pred).mean()
    out = [abs_rel, rmse, a1, a2, a3, log_10, mae]
    return [0.0 if v != v else float(v) for v in out]


def log10_nonfinite(gt, pred, scale=1.0):
    """Valid pixels (gt > 0) whose log10 term is not finite (a prediction of 0): why the
    reference's log10 is infinite (DepthMetricSums.nonFiniteLog10)."""
    g = np.asarray(gt, np.float32) * np.float32(scale)
    p = np.asarray(pred, np.float32) * np.float32(scale)
    with np.errstate(divide="ignore", invalid="ignore"):
        term = np.abs(np.log10(g) - np.log10(p))
    return int(np.count_nonzero((g > 0) & ~np.isfinite(term)))


def batch_errors(gt, pred, scale=1.0):
    """Per-sample metrics of a batch [B, ...] in the cache's units, times ``scale`` (metres
    per unit) first, in float32 as the Swift tool does."""
    gt = np.asarray(gt, np.float32)
    pred = np.asarray(pred, np.float32)
    s = np.float32(scale)
    return [depth_errors(gt[i] * s, pred[i] * s) for i in range(gt.shape[0])]


def mean_metrics(rows):
    """The mean over samples, by name (zeros when there is no sample)."""
    if not rows:
        return {k: 0.0 for k in NAMES}
    arr = np.asarray(rows, np.float64)
    with np.errstate(invalid="ignore"):
        means = arr.sum(axis=0) / len(rows)
    return {k: float(v) for k, v in zip(NAMES, means)}


def higher_is_better(name):
    return name.startswith("delta")
