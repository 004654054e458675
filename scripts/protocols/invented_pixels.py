#!/usr/bin/env python3
"""Counts the depth-target pixels a resize invents, per cache (docs/protocols.md).

A target pixel is *invented* when it holds a depth (> 0) smaller than the smallest true
depth in its footprint, or any depth where its footprint holds no true depth at all:
values no surface in that part of the scene has, made by averaging holes (0 = no
measurement) into valid depth. The footprint is the source pixels the resize reads for
that output: for `reference`, the antialiased triangle filter's window (torchvision's
[center - scale, center + scale], scale = in / out); for `nearest` and `valid_area`, the
area [i*H/S, (i+1)*H/S) x [j*W/S, (j+1)*W/S). A weighted mean of valid depths is never
below their minimum, so only holes (zeros) pull a target under it. True depth
is the raw map (millimetres -> metres, clipped to max_depth), read with numpy from the
dataset the manifest lists.

    python3 invented_pixels.py MANIFEST.json CACHE.h5 [CACHE.h5 ...]
"""
import json
import os
import sys

import h5py
import numpy as np


def windows(n, size, mode):
    """Per output index, the source range the resize reads."""
    if mode == "reference":
        scale = np.float32(n) / np.float32(size)
        support = scale if scale >= 1 else np.float32(1)
        out = []
        for i in range(size):
            center = scale * (np.float32(i) + np.float32(0.5))
            out.append((max(int(center - support + np.float32(0.5)), 0), min(int(center + support + np.float32(0.5)), n)))
        return out
    return [(int(np.floor(i * n / size)), max(int(np.ceil((i + 1) * n / size)), int(np.floor(i * n / size)) + 1)) for i in range(size)]


def footprint_min(raw, size, mode):
    """Per output pixel: the smallest valid (> 0) source depth in its footprint, inf if none."""
    h, w = raw.shape
    ys, xs = windows(h, size, mode), windows(w, size, mode)
    valid = np.where(raw > 0, raw, np.inf)
    out = np.empty((size, size))
    for i, (y0, y1) in enumerate(ys):
        rows = valid[y0:y1].min(axis=0)
        for j, (x0, x1) in enumerate(xs):
            out[i, j] = rows[x0:x1].min()
    return out


def main():
    manifest = json.load(open(sys.argv[1]))
    root = manifest["dataset_dir"]
    depth_of = {s["id"]: s["depth"]["path"] for s in manifest["samples"]}
    for path in sys.argv[2:]:
        f = h5py.File(path, "r")
        max_depth = float(f.attrs["max_depth"])
        scale = max_depth if int(f.attrs["depth_norm"]) else 1.0
        mode = f.attrs.get("depth_resize", "reference")
        mode = mode.decode() if isinstance(mode, bytes) else mode
        invented = from_nothing = target_pixels = valid_targets = 0
        for split in ["train", "val", "test"]:
            ids = [s.decode() if isinstance(s, bytes) else s for s in f[f"{split}/sample"][...]]
            depth = f[f"{split}/depth"]
            for i, sid in enumerate(ids):
                raw = np.load(os.path.join(root, depth_of[sid])).astype(np.float32)
                raw = np.nan_to_num(raw, nan=0.0, posinf=np.finfo(np.float32).max, neginf=np.finfo(np.float32).min) / 1000
                raw = np.clip(raw, 0, max_depth)
                t = depth[i][0].astype(np.float64) * scale
                fmin = footprint_min(raw, t.shape[0], mode)
                positive = t > 0
                target_pixels += t.size
                valid_targets += int(positive.sum())
                none = positive & np.isinf(fmin)
                from_nothing += int(none.sum())
                invented += int((positive & ~np.isinf(fmin) & (t < fmin * (1 - 1e-6))).sum()) + int(none.sum())
        print(json.dumps({"cache": path, "depth_resize": mode, "target_pixels": target_pixels,
                          "valid_targets": valid_targets, "invented": invented, "invented_from_no_depth": from_nothing,
                          "invented_share_of_valid": invented / max(valid_targets, 1)}))


if __name__ == "__main__":
    main()
