"""BatvisionCache over caches written by the Swift binary (light: h5py and numpy only)."""
import multiprocessing as mp
import os
import pickle
import shutil

import h5py
import numpy as np
import pytest

from batvision_cache import BatvisionCache, CacheError
from batvision_cache.cache import feature_config


def test_reads_every_sample_as_h5py_does(synthetic):
    with h5py.File(synthetic.cache, "r") as f:
        for split, n in (("train", 29), ("val", 9), ("test", 10)):
            ds = BatvisionCache(synthetic.cache, split)
            assert len(ds) == n == f[f"{split}/audio"].shape[0]
            assert ds.audio_shape == (2, 32, 32) and ds.depth_shape == (1, 32, 32)
            for i in range(n):
                audio, depth, index = ds[i]
                assert index == i and audio.dtype == np.float32 and depth.dtype == np.float32
                assert np.array_equal(audio, f[f"{split}/audio"][i])
                assert np.array_equal(depth, f[f"{split}/depth"][i])
            ids = [s.decode() if isinstance(s, bytes) else s for s in f[f"{split}/sample"][:]]
            assert ds.sample_ids == ids and all(f"/{split}/" in s for s in ids)
            # A batch read (any order) equals the single reads.
            order = [n - 1, 0, n // 2, 0]
            a, d, idx = ds[order]
            assert list(idx) == order and a.shape == (4, 2, 32, 32)
            for r, i in enumerate(order):
                assert np.array_equal(a[r], ds[i][0]) and np.array_equal(d[r], ds[i][1])
            ds.close()
    assert np.array_equal(ds[-1][0], ds[len(ds) - 1][0])
    with pytest.raises(IndexError):
        ds[len(ds)]


def test_feature_config_is_the_swift_encoding(synthetic):
    ds = BatvisionCache(synthetic.cache, "train")
    assert ds.feature_config == {"dataset": "batvisionv2", "audioFormat": "mel_spectrogram", "maxDepth": 30.0,
                                 "depthNorm": False, "imagesSize": 32, "preprocess": "resize"}
    assert len(ds.manifest_digest) == 64 and ds.metres_per_unit == 1.0
    assert ds.attrs["n_mels"] == 32 and ds.attrs["cut_samples"] == 7782 and ds.attrs["hop_length"] == 32
    # What the cache holds is its feature_config attribute, Swift's canonical JSON byte for byte.
    with h5py.File(synthetic.cache, "r") as f:
        text = f.attrs["feature_config"]
        text = text.decode() if isinstance(text, bytes) else text
    assert text == '{"audioFormat":"mel_spectrogram","dataset":"batvisionv2","depthNorm":false,"imagesSize":32,"maxDepth":30,"preprocess":"resize"}'
    # The settings it stands for, as train records them, from the flat attributes.
    assert ds.feature_settings == {"dataset": "batvisionv2", "audio_format": "mel_spectrogram", "max_depth": "30.0",
                                   "depth_norm": "false", "images_size": "32", "preprocess": "resize",
                                   "depth_resize": "reference", "audio_offset": "0", "audio_cut_ms": "null"}
    # A cache written before the attribute: its flat attributes; unset max_depth (NaN) left out.
    cfg = feature_config({"dataset": "batvisionv2", "audio_format": "spectrogram", "max_depth": float("nan"),
                          "depth_norm": 0, "images_size": 256, "preprocess": "resize"})
    assert "maxDepth" not in cfg and cfg["depthNorm"] is False


def test_refuses_incomplete_and_missing(synthetic, tmp_path):
    bad = tmp_path / "features.h5"
    shutil.copy(synthetic.cache, bad)
    with h5py.File(bad, "r+") as f:
        f.attrs["complete"] = 0
    with pytest.raises(CacheError, match="incomplete"):
        BatvisionCache(str(bad))
    with pytest.raises(CacheError, match="no such cache"):
        BatvisionCache(str(tmp_path / "nope.h5"))


def _child_read(args):
    ds, i = args
    audio, depth, _ = ds[i]
    return os.getpid(), ds._pid, float(audio.sum()), float(depth.sum())


def test_one_handle_per_process_after_fork(synthetic):
    ds = BatvisionCache(synthetic.cache, "train")
    parent = [ds[i] for i in range(4)]  # the parent opens its handle first
    assert ds._pid == os.getpid()
    with mp.get_context("fork").Pool(2) as pool:
        got = pool.map(_child_read, [(ds, i) for i in range(4)])
    for (pid, owner, a, d), (pa, pd, _) in zip(got, parent):
        assert pid != os.getpid() and owner == pid  # the child used its own handle
        assert a == pytest.approx(float(pa.sum()), rel=0, abs=0) and d == float(pd.sum())
    # A handle inherited through fork is not reused: simulate a forked copy.
    clone = pickle.loads(pickle.dumps(ds))
    assert clone._file is None and np.array_equal(clone[3][0], parent[3][0])


def _virtual_copy(src, dst_dir, drop_shard=False):
    """A merged-style cache: two shard files (rows split in two) and a file of HDF5
    virtual datasets over them, like `batvision merge` writes."""
    os.makedirs(os.path.join(dst_dir, "shards"), exist_ok=True)
    with h5py.File(src, "r") as f:
        attrs = dict(f.attrs)
        data = {f"{s}/{k}": f[f"{s}/{k}"][:] for s in ("train", "val", "test") for k in ("audio", "depth", "sample")}
    n = data["train/audio"].shape[0]
    cut = n // 2
    names = ["shards/shard-0000-of-0002.h5", "shards/shard-0001-of-0002.h5"]
    for k, (a, b) in enumerate(((0, cut), (cut, n))):
        with h5py.File(os.path.join(dst_dir, names[k]), "w") as g:
            for key, arr in data.items():
                if key.startswith("train/"):
                    g[key] = arr[a:b]
                else:
                    g[key] = arr if k == 0 else arr[:0]
    path = os.path.join(dst_dir, "features.h5")
    with h5py.File(path, "w") as g:
        for key, arr in data.items():
            m = arr.shape[0]
            layout = h5py.VirtualLayout(shape=arr.shape, dtype=arr.dtype)
            if key.startswith("train/"):
                for k, (a, b) in enumerate(((0, cut), (cut, n))):
                    layout[a:b] = h5py.VirtualSource(names[k], key, shape=(b - a,) + arr.shape[1:])
            else:
                layout[0:m] = h5py.VirtualSource(names[0], key, shape=arr.shape)
            g.create_virtual_dataset(key, layout)
        for k, v in attrs.items():
            g.attrs[k] = v
    if drop_shard:
        os.remove(os.path.join(dst_dir, names[1]))
    return path


def test_merged_virtual_cache_reads_like_the_single_one(synthetic, tmp_path):
    merged = _virtual_copy(synthetic.cache, str(tmp_path / "key"))
    for split in ("train", "val", "test"):
        a, b = BatvisionCache(synthetic.cache, split), BatvisionCache(merged, split)
        assert len(a) == len(b) and a.sample_ids == b.sample_ids
        for i in range(len(a)):
            assert np.array_equal(a[i][0], b[i][0]) and np.array_equal(a[i][1], b[i][1])


def test_merged_cache_with_a_missing_shard_is_refused(synthetic, tmp_path):
    merged = _virtual_copy(synthetic.cache, str(tmp_path / "key"), drop_shard=True)
    with pytest.raises(CacheError, match="shard-0001-of-0002"):
        BatvisionCache(merged, "train")


@pytest.mark.parametrize("trick", ["external storage", "external link", "soft link"])
def test_a_cache_that_reads_outside_itself_is_refused(synthetic, tmp_path, trick):
    """External raw storage and links would make h5py read bytes from anywhere (here a
    file beside the cache; it could be /etc/passwd): refused on open, naming both."""
    path = str(tmp_path / "features.h5")
    shutil.copy(synthetic.cache, path)
    outside = str(tmp_path / "outside.bin")
    with h5py.File(path, "r+") as f:
        if trick == "external storage":
            shape = f["train/depth"].shape
            np.full(shape, 7, np.float32).tofile(outside)
            del f["train/depth"]
            f.create_dataset("train/depth", shape=shape, dtype=np.float32, external=[(outside, 0, h5py.h5f.UNLIMITED)])
            says = "train/depth stores its data in external file"
        elif trick == "external link":
            with h5py.File(outside, "w") as g:
                g.create_dataset("stolen", data=f["train/audio"][...])
            del f["train/audio"]
            f["train/audio"] = h5py.ExternalLink(outside, "/stolen")
            says = "/train/audio is an external link"
        else:
            f.move("train/audio", "hidden")
            f["train/audio"] = h5py.SoftLink("/hidden")
            says = "/train/audio is a soft link"
    with pytest.raises(CacheError, match=says):
        BatvisionCache(path, "train")


def test_the_readme_snippet_has_the_package_api(synthetic):
    """The README's few-line Dataset and the package's class answer ds[i] alike: (audio, depth, i)."""
    import re
    readme = open(os.path.join(os.path.dirname(__file__), "..", "..", "README.md")).read()
    snippet = re.search(r"<!-- dataset-snippet -->\s*```python\n(.*?)```", readme, re.S).group(1)
    scope = {}
    exec(snippet, scope)
    small, full = scope["BatvisionCache"](synthetic.cache, "val"), BatvisionCache(synthetic.cache, "val")
    assert len(small) == len(full)
    for i in (0, len(full) - 1):
        a, b = small[i], full[i]
        assert len(a) == len(b) == 3 and a[2] == b[2] == i
        assert np.array_equal(a[0], b[0]) and np.array_equal(a[1], b[1])
