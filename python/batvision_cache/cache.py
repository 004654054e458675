"""A batvision feature cache (SPEC section 3) as a PyTorch-style Dataset.

Works on a single cache (``features.h5``), on a merged one (``batvision merge``: HDF5
virtual datasets over ``shards/shard-*.h5``, or a copy) and on one shard file. Needs only
h5py and numpy; PyTorch's DataLoader collates the numpy arrays into tensors.

The HDF5 file is opened lazily, once per process: a DataLoader worker (fork or spawn)
opens its own handle on first use, and a handle inherited through fork is never used
(the owner's pid is checked on every access). Pickling drops the handle.
"""
import json
import math
import os

import h5py
import numpy as np

from .settings import FEATURE_NAMES, SPECS

SPLITS = ("train", "val", "test")


class CacheError(Exception):
    pass


def _plain(v):
    if isinstance(v, bytes):
        return v.decode()
    if isinstance(v, np.ndarray) and v.shape == ():
        v = v[()]
    if isinstance(v, np.generic):
        return v.item()
    return v


def read_attributes(f):
    """Root attributes as plain Python values."""
    return {k: _plain(v) for k, v in f.attrs.items()}


def check_complete(f, path):
    if _plain(f.attrs.get("complete", 0)) != 1:
        raise CacheError(f"{path}: incomplete cache (no complete = 1): run `batvision featurize` again")


def foreign_storage(f, name):
    """Why the data of dataset `name` does not live in file `f` (a soft or external link
    on its path, external raw storage), or None when it does. HDF5 follows those without a
    word, so a cache could read /etc/passwd; HDF5File.foreignStorage is the Swift twin."""
    prefix = ""
    for part in name.strip("/").split("/"):
        prefix += "/" + part
        link = f.get(prefix, getlink=True)
        if link is None:
            return None  # missing: the caller says so
        if isinstance(link, h5py.SoftLink):
            return f"{prefix} is a soft link to {link.path!r}"
        if isinstance(link, h5py.ExternalLink):
            return f"{prefix} is an external link to {link.filename!r}:{link.path!r}"
        if not isinstance(link, h5py.HardLink):
            return f"{prefix} is a user-defined link"
    external = f[name].external
    if external:
        return f"{name} stores its data in external file(s) {', '.join(repr(e[0]) for e in external)}, outside this file"
    return None


def cache_datasets(f):
    return [f"{split}/{kind}" for split in SPLITS for kind in ("audio", "depth", "sample") if f"{split}/{kind}" in f]


def check_storage(f, path):
    """Every dataset stores its data in the cache file itself, or (merged caches) in
    complete shard files beside it whose datasets do the same."""
    for name in cache_datasets(f):
        foreign = foreign_storage(f, name)
        if foreign:
            raise CacheError(f"{path}: {foreign}: a cache stores its data in itself; refused")


def check_virtual_sources(f, path):
    """A merged cache's virtual datasets must find every shard (HDF5 would silently read
    fill values for a missing one), beside the cache, holding its data itself."""
    base = os.path.dirname(os.path.abspath(path))
    missing = set()
    sources = {}
    for name in cache_datasets(f):
        if not f[name].is_virtual:
            continue
        for src in f[name].virtual_sources():
            fn = src.file_name
            parts = fn.split("/")
            if fn in ("", ".") or os.path.isabs(fn) or ".." in parts:
                raise CacheError(f"{path}: {name} reads {fn!r}, outside the cache's folder: refused")
            cand = os.path.join(base, fn)
            if not os.path.realpath(cand).startswith(os.path.realpath(base) + os.sep):
                raise CacheError(f"{path}: {name} reads {fn!r}, a link out of the cache's folder: refused")
            if not os.path.exists(cand):
                missing.add(fn)
            else:
                sources.setdefault(cand, set()).add((name, src.dset_name))
    if missing:
        raise CacheError(f"{path}: merged cache refers to missing shard files: {', '.join(sorted(missing))}")
    for cand, pairs in sources.items():
        with h5py.File(cand, "r") as g:
            for reader, dset in sorted(pairs):
                foreign = foreign_storage(g, dset) if dset in g else f"no dataset {dset}"
                if foreign or g[dset].is_virtual:
                    raise CacheError(f"{path}: {reader} reads {cand}:{dset}, {foreign or 'itself virtual'}: refused")


def feature_config(attrs):
    """What a cache holds: its ``feature_config`` attribute, the canonical JSON of the
    Swift tool's FeatureConfig (the bytes its cache key hashes), as a dict. Caches written
    before that attribute existed are described by their flat attributes alone."""
    if "feature_config" in attrs:
        return json.loads(attrs["feature_config"])
    return _legacy_feature_config(attrs)


def _legacy_feature_config(attrs):
    """The config of a cache without ``feature_config`` (written before it existed, so
    before depth_resize, audio_offset and audio_cut_ms were options: a reference cache)."""
    md = attrs.get("max_depth")
    cfg = {"dataset": attrs["dataset"], "audioFormat": attrs["audio_format"]}
    if md is not None and not (isinstance(md, float) and np.isnan(md)):
        cfg["maxDepth"] = float(md)
    cfg.update(depthNorm=bool(int(attrs["depth_norm"])), imagesSize=int(attrs["images_size"]),
               preprocess=attrs["preprocess"])
    return cfg


def feature_settings(attrs):
    """The feature settings of a cache as ``batvision train`` records them (text): from the
    flat attributes, which are named as the settings and leave nothing out (unset floats
    are NaN); read by each setting's kind in the tool's table of settings."""
    out = {}
    for key in FEATURE_NAMES:
        spec = SPECS[key]
        if key not in attrs:  # an option newer than the cache: the cache is the reference's
            out[key] = spec["defaults"]["batvisionv2" if attrs.get("dataset") != "batvisionv1" else "batvisionv1"]
            continue
        v = attrs[key]
        if spec["kind"] == "float":
            out[key] = "null" if math.isnan(float(v)) else repr(float(v))
        elif spec["kind"] == "bool":
            out[key] = "true" if int(v) else "false"
        elif spec["kind"] == "int":
            out[key] = str(int(v))
        else:
            out[key] = str(v)
    return out


class BatvisionCache:
    """One split of a batvision feature cache.

    ``ds[i]`` -> ``(audio, depth, i)``; ``ds[[i, j, ...]]`` -> the stacked batch
    ``(audio [B,...], depth [B,...], indices [B])``. : audio float32 [2, S, S] (or [2, L] for waveform),
    depth float32 [1, S, S] in the cache's units (metres, or metres / max_depth when
    depth_norm), i the index within the split. ``ds.sample_ids[i]`` is the manifest's id.
    """

    def __init__(self, path, split="train", check_sources=True):
        if split not in SPLITS:
            raise ValueError(f"split {split!r}: expected one of {SPLITS}")
        self.path = os.fspath(path)
        self.split = split
        if not os.path.exists(self.path):
            raise CacheError(f"{self.path}: no such cache: run `batvision featurize` first")
        with h5py.File(self.path, "r") as f:
            check_complete(f, self.path)
            check_storage(f, self.path)
            if check_sources:
                check_virtual_sources(f, self.path)
            self.attrs = read_attributes(f)
            if f"{split}/audio" in f:
                a, d = f[f"{split}/audio"], f[f"{split}/depth"]
                self.n = int(a.shape[0])
                self.audio_shape = tuple(int(x) for x in a.shape[1:])
                self.depth_shape = tuple(int(x) for x in d.shape[1:])
                if int(d.shape[0]) != self.n:
                    raise CacheError(f"{self.path}: {split}/audio has {self.n} rows, {split}/depth {d.shape[0]}")
            else:
                self.n, self.audio_shape, self.depth_shape = 0, (), ()
        self._file = None
        self._pid = None
        self._ids = None
        self._readers = None

    # -- metadata
    @property
    def feature_config(self):
        return feature_config(self.attrs)

    @property
    def feature_settings(self):
        return feature_settings(self.attrs)

    @property
    def manifest_digest(self):
        return self.attrs.get("manifest_digest", "")

    @property
    def metres_per_unit(self):
        """What one unit of the cached depth is in metres (FeatureConfig.metresPerUnit)."""
        cfg = self.feature_config
        return float(np.float32(cfg.get("maxDepth", 1.0))) if cfg["depthNorm"] else 1.0

    @property
    def sample_ids(self):
        if self._ids is None:
            if self.n == 0:
                self._ids = []
            else:
                raw = self._handle()[f"{self.split}/sample"][:]
                self._ids = [_plain(s) for s in raw]
        return self._ids

    # -- the handle, one per process
    def _handle(self):
        if self._file is None or self._pid != os.getpid():
            # A handle inherited through fork belongs to the parent: leave it alone.
            self._file = h5py.File(self.path, "r")
            self._pid = os.getpid()
            self._audio = self._file[f"{self.split}/audio"] if self.n else None
            self._depth = self._file[f"{self.split}/depth"] if self.n else None
            self._readers = None
        return self._file

    def _read_into(self, i, audio_row, depth_row):
        """Sample i into two C-contiguous [1, ...] arrays: one hyperslab read per dataset
        (h5py's low-level API, spaces reused: 1.5-2x faster than read_direct with a
        destination selection)."""
        if self._readers is None:
            self._readers = []
            for d, shape in ((self._audio, self.audio_shape), (self._depth, self.depth_shape)):
                self._readers.append((d.id, d.id.get_space(), h5py.h5s.create_simple((1,) + shape), (1,) + shape))
        for (dsid, space, mem, count), out in zip(self._readers, (audio_row, depth_row)):
            space.select_hyperslab((i,) + (0,) * (len(count) - 1), count)
            dsid.read(mem, space, out)

    def close(self):
        if self._file is not None and self._pid == os.getpid():
            self._file.close()
        self._file = None

    def __getstate__(self):
        state = self.__dict__.copy()
        for k in ("_file", "_pid", "_audio", "_depth", "_readers"):
            state[k] = None
        return state

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        if isinstance(i, (list, tuple, np.ndarray)):
            # A list of indices (DataLoader(batch_size=None, sampler=<batch sampler>)): one
            # stacked batch, read in one pass.
            return self.read_batch(i)
        i = int(i)
        if i < 0:
            i += self.n
        if not 0 <= i < self.n:
            raise IndexError(f"index {i} outside the {self.n} samples of {self.split}")
        self._handle()
        audio = np.empty((1,) + self.audio_shape, np.float32)
        depth = np.empty((1,) + self.depth_shape, np.float32)
        self._read_into(i, audio, depth)
        return audio[0], depth[0], i

    def read_batch(self, indices):
        """Samples ``indices`` (any order) as contiguous arrays [B, ...] (one chunk read each).

        In a PyTorch DataLoader worker the batch is read straight into shared-memory
        tensors (returned as torch tensors), so handing it to the main process copies
        nothing; elsewhere numpy arrays."""
        self._handle()
        idx = [int(i) for i in indices]
        shared = _in_torch_worker()
        if shared:
            import torch
            ta = torch.empty((len(idx),) + self.audio_shape, dtype=torch.float32).share_memory_()
            td = torch.empty((len(idx),) + self.depth_shape, dtype=torch.float32).share_memory_()
            audio, depth = ta.numpy(), td.numpy()
        else:
            audio = np.empty((len(idx),) + self.audio_shape, np.float32)
            depth = np.empty((len(idx),) + self.depth_shape, np.float32)
        for r, i in enumerate(idx):
            if not 0 <= i < self.n:
                raise IndexError(f"index {i} outside the {self.n} samples of {self.split}")
            self._read_into(i, audio[r:r + 1], depth[r:r + 1])
        index = np.asarray(idx, np.int64)
        if shared:
            return ta, td, torch.from_numpy(index)
        return audio, depth, index


def _in_torch_worker():
    import sys
    if "torch" not in sys.modules:  # never import torch for a numpy-only user
        return False
    from torch.utils.data import get_worker_info
    return get_worker_info() is not None


def collate_batch(items):
    """Stacks ``(audio, depth, index)`` items (numpy) into three arrays; torch tensors when
    torch is importable (use as a DataLoader collate_fn; the default collate works too)."""
    audio = np.stack([a for a, _, _ in items]) if items else np.zeros((0,), np.float32)
    depth = np.stack([d for _, d, _ in items]) if items else np.zeros((0,), np.float32)
    index = np.asarray([i for _, _, i in items], np.int64)
    try:
        import torch
        return torch.from_numpy(audio), torch.from_numpy(depth), torch.from_numpy(index)
    except ImportError:
        return audio, depth, index
