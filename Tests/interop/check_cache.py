#!/usr/bin/env python3
"""Reads a batvision feature cache with h5py alone and compares it with values the Swift
tool wrote as .npy; then runs the PyTorch Dataset snippet of the README on it.

    python3 check_cache.py CACHE.h5 EXPECTED_DIR README.md
EXPECTED_DIR holds <split>.<index>.audio.npy / .depth.npy files.
"""
import os
import re
import sys

import h5py
import numpy as np


def main():
    cache, expected_dir, readme = sys.argv[1:4]
    f = h5py.File(cache, "r")  # no help from the tool: plain h5py
    assert f.attrs["complete"] == 1, "cache not complete"
    for key in ["dataset", "audio_format", "n_fft", "win_length", "hop_length", "images_size", "manifest_digest"]:
        assert key in f.attrs, f"attribute {key} missing"
    checked = 0
    for name in sorted(os.listdir(expected_dir)):
        split, index, kind, _ = name.split(".")
        want = np.load(os.path.join(expected_dir, name))
        got = f[f"{split}/{kind}"][int(index)]
        assert got.dtype == np.float32 and got.shape == want.shape, (name, got.shape, want.shape)
        assert np.array_equal(got, want), f"{name}: values differ"
        checked += 1
    sample_ids = [s.decode() if isinstance(s, bytes) else s for s in f["train/sample"][:]]
    assert all(sample_ids), "empty sample ids"
    assert f["train/audio"].chunks[0] == 1, "one sample per chunk"

    # The README's Dataset, executed as written (h5py/numpy stand in for torch).
    text = open(readme).read()
    snippet = re.search(r"<!-- dataset-snippet -->\s*```python\n(.*?)```", text, re.S).group(1)
    scope = {}
    exec(snippet, scope)
    ds = scope["BatvisionCache"](cache, split="train")
    assert len(ds) == f["train/audio"].shape[0]
    audio, depth, index = ds[len(ds) - 1]  # the package's API: (audio, depth, index)
    assert index == len(ds) - 1
    assert np.array_equal(audio, f["train/audio"][len(ds) - 1])
    assert np.array_equal(depth, f["train/depth"][len(ds) - 1])
    print(f"h5py interop: {checked} arrays identical, README Dataset ok ({len(ds)} train samples)")


if __name__ == "__main__":
    main()
