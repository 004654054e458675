"""Per-epoch shuffles for DataLoaders, single process or one part per DDP rank.

The order of an epoch is the Swift tool's own: ``BatchStream.epochOrder`` shuffles the
split's indices with the tool's xoshiro256** generator seeded by (seed, epoch), through
Swift's ``Array.shuffle(using:)``; ``rng.py`` ports both bit for bit. So with the same
``--seed`` and ``--batch_size``, ``batvision train`` and ``python -m batvision_cache.train``
see the same batches in the same order every epoch (``epoch`` counts from 1 in both).

Under DDP the *global* batch is what ``batvision train`` would form: rows
``order[b*B:(b+1)*B]``. Rank r of W takes the r-th of W contiguous, near-equal slices of
every global batch (``numpy.array_split``), so the ranks together see every sample exactly
once per epoch, and the union of their b-th batches is Swift's b-th batch. DataLoader
workers then fetch whole per-rank batches round-robin (PyTorch's usual batch_sampler
behaviour): every worker reads a disjoint part of its rank's share.

``EpochShuffleSampler`` yields single indices (the rank's share in order) for a
``DataLoader(batch_size=...)``; ``DistributedBatchSampler`` yields the per-rank batches
as lists, for ``DataLoader(batch_sampler=...)``: use it when the rank batches must line
up with the global batches (the trainer does).
"""
import numpy as np

from .rng import epoch_order


def _world():
    try:
        import torch.distributed as dist
        if dist.is_available() and dist.is_initialized():
            return dist.get_rank(), dist.get_world_size()
    except ImportError:
        pass
    return 0, 1


class _EpochMixin:
    def set_epoch(self, epoch):
        """Epoch numbers as in ``batvision train``: 1, 2, ..."""
        self.epoch = int(epoch)

    def order(self):
        return epoch_order(self.n, self.shuffle, self.seed, self.epoch)


class DistributedBatchSampler(_EpochMixin):
    """Per-rank parts of the global batches of one epoch.

    n: samples in the split; batch_size: the global batch; every global batch (the last
    one may be short and is kept unless drop_last) is split in ``world_size`` contiguous
    slices, this rank's is yielded (it may be empty when a short last batch has fewer
    rows than ranks: the trainer still steps with it so collectives line up).
    """

    def __init__(self, n, batch_size, seed=0, shuffle=True, rank=None, world_size=None, drop_last=False,
                 epoch=1):
        r, w = _world()
        self.n, self.batch_size = int(n), max(1, int(batch_size))
        self.seed, self.shuffle, self.drop_last = int(seed), bool(shuffle), bool(drop_last)
        self.rank = r if rank is None else int(rank)
        self.world_size = w if world_size is None else int(world_size)
        if not 0 <= self.rank < self.world_size:
            raise ValueError(f"rank {self.rank} outside world size {self.world_size}")
        self.epoch = epoch

    def global_batches(self):
        order = self.order()
        b = self.batch_size
        count = self.n // b if self.drop_last else -(-self.n // b)
        return [order[i * b:(i + 1) * b] for i in range(count)]

    def __iter__(self):
        for batch in self.global_batches():
            yield np.array_split(batch, self.world_size)[self.rank].tolist()

    def __len__(self):
        return self.n // self.batch_size if self.drop_last else -(-self.n // self.batch_size)


class EpochShuffleSampler(_EpochMixin):
    """Indices of this rank's share of the epoch (see the module doc), for
    ``DataLoader(dataset, batch_size=B // world_size, sampler=...)``."""

    def __init__(self, n, batch_size=None, seed=0, shuffle=True, rank=None, world_size=None, epoch=1):
        r, w = _world()
        self.n, self.seed, self.shuffle, self.epoch = int(n), int(seed), bool(shuffle), epoch
        self.rank = r if rank is None else int(rank)
        self.world_size = w if world_size is None else int(world_size)
        self.batch_size = max(1, int(batch_size)) if batch_size else self.n
        if not 0 <= self.rank < self.world_size:
            raise ValueError(f"rank {self.rank} outside world size {self.world_size}")

    def __iter__(self):
        inner = DistributedBatchSampler(self.n, self.batch_size, self.seed, self.shuffle, self.rank,
                                        self.world_size, epoch=self.epoch)
        for part in inner:
            yield from part

    def __len__(self):
        total = 0
        for start in range(0, self.n, self.batch_size):
            size = min(self.batch_size, self.n - start)
            total += size // self.world_size + (1 if self.rank < size % self.world_size else 0)
        return total
