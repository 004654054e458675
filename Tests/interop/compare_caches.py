#!/usr/bin/env python3
"""Compares two batvision caches with plain h5py: every array and sample id of every split,
bit for bit and in order, and the feature attributes. Used to show that a sharded
featurize + merge (virtual datasets or a copy) equals a single-process featurize.

    python3 compare_caches.py SINGLE.h5 MERGED.h5
"""
import sys

import h5py
import numpy as np

FEATURE_ATTRS = ["schema_version", "dataset", "audio_format", "n_fft", "win_length", "hop_length", "n_mels",
                 "f_min", "f_max", "sample_rate", "cut_samples", "depth_norm", "images_size", "preprocess",
                 "manifest_digest", "complete"]


def main():
    a, b = (h5py.File(p, "r") for p in sys.argv[1:3])
    for key in FEATURE_ATTRS:
        assert a.attrs[key] == b.attrs[key], f"attribute {key}: {a.attrs[key]!r} vs {b.attrs[key]!r}"
    assert np.isnan(a.attrs["max_depth"]) == np.isnan(b.attrs["max_depth"])
    samples = 0
    for split in ["train", "val", "test"]:
        for name in ["audio", "depth"]:
            x, y = a[f"{split}/{name}"][...], b[f"{split}/{name}"][...]
            assert x.dtype == y.dtype == np.float32 and x.shape == y.shape, (split, name, x.shape, y.shape)
            assert np.array_equal(x.view(np.uint32), y.view(np.uint32)), f"{split}/{name} differs"
        ids_a, ids_b = list(a[f"{split}/sample"][...]), list(b[f"{split}/sample"][...])
        assert ids_a == ids_b, f"{split}/sample ids differ"
        samples += len(ids_a)
    virtual = b["train/audio"].is_virtual
    print(f"caches identical: {samples} samples, every array and id (merged file virtual: {virtual})")


if __name__ == "__main__":
    main()
