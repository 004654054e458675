"""batvision-cache: read batvision feature caches from Python, train on them with PyTorch.

- ``BatvisionCache(path, split)``: a Dataset over a cache (single, merged or one shard);
  h5py and numpy only.
- ``DistributedBatchSampler`` / ``EpochShuffleSampler``: the Swift tool's per-epoch order
  (bit for bit), each DDP rank's part of every global batch.
- ``python -m batvision_cache.train``: the PyTorch / DDP trainer (needs torch).
- ``python -m batvision_cache.featurize_dask``: sharded featurize on Dask, then merge.
"""
from .cache import BatvisionCache, CacheError, collate_batch
from .rng import SeededRandom, epoch_order
from .sampler import DistributedBatchSampler, EpochShuffleSampler

__version__ = "0.1.0"
__all__ = ["BatvisionCache", "CacheError", "collate_batch", "SeededRandom", "epoch_order",
           "DistributedBatchSampler", "EpochShuffleSampler", "__version__"]
