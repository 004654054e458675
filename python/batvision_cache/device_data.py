"""Device-resident data: a cache split loaded once into the training device's memory, then
every batch gathered there (``--data_on_device``).

A GPU that trains unet_128 at thousands of samples/s outruns any DataLoader on a few CPU
cores (docs/scaling.md has the reader's figures). A split that fits in the device's memory
(BV2's train split is about 1.5 GB, BV1's whole cache about 40 GB, at float32) is read once
and never again: each batch is one ``index_select`` of the rows the
sampler names, in exactly the sampler's order, so a run trains bit for bit as it does
from the DataLoader (the same float32 values reach the model in the same order; tested
on CPU).

    from batvision_cache import BatvisionCache, DistributedBatchSampler
    from batvision_cache.device_data import DeviceResidentSplit
    ds = BatvisionCache(path, "train")
    sampler = DistributedBatchSampler(len(ds), batch_size=128, seed=0)
    data = DeviceResidentSplit(ds, torch.device("cuda"))     # refuses when it does not fit
    for epoch in range(1, epochs + 1):
        sampler.set_epoch(epoch)
        for audio, depth, index in data.batches(sampler):    # tensors on the device
            ...

Before reading, the bytes needed are compared with the device's free memory (CUDA:
``torch.cuda.mem_get_info``; CPU: the kernel's MemAvailable), less a margin for the model
and its activations; a split that does not fit is refused with both figures. Under DDP a
rank holds only the rows it can ever be given (``rows=``): its part of every batch when the
order is fixed (``shuffle`` false, and always for validation); with shuffling each epoch
gives every rank rows from the whole split, so each holds all of it.
"""
import os

import numpy as np

# The share of free memory the data may take: the rest stays for the model, its
# activations and the framework's own pools.
USABLE_SHARE = 0.8
# Rows per read while loading (about 64 MB at 256x256 spectrograms: one bounded host buffer).
_READ_BYTES = 64 << 20


class DeviceMemoryError(Exception):
    """The split does not fit in the device's free memory."""


def sample_bytes(ds):
    """float32 bytes of one sample's audio and depth."""
    return 4 * (int(np.prod(ds.audio_shape)) + int(np.prod(ds.depth_shape)))


def free_bytes(device):
    """Bytes free on ``device``: CUDA's own count, or the host's MemAvailable."""
    import torch
    if device.type == "cuda":
        free, _ = torch.cuda.mem_get_info(device)
        return int(free)
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return int(os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE"))


def rows_of(batches):
    """The sorted distinct rows a list of batches (lists of indices) names."""
    return sorted({int(i) for b in batches for i in b})


class DeviceResidentSplit:
    """One split of a ``BatvisionCache`` in ``device`` memory.

    rows: the split's rows to hold (default all); a batch may only name those.
    free: the free bytes to check against (default: measured on the device).
    """

    def __init__(self, ds, device, rows=None, free=None):
        import torch
        self.torch, self.device, self.split, self.n = torch, device, ds.split, ds.n
        held = np.arange(ds.n) if rows is None else np.asarray(sorted(set(int(r) for r in rows)), np.int64)
        if held.size and (held[0] < 0 or held[-1] >= ds.n):
            raise IndexError(f"rows outside the {ds.n} samples of {ds.split}")
        per = sample_bytes(ds)
        self.bytes = int(held.size) * per
        available = free_bytes(device) if free is None else int(free)
        if self.bytes > USABLE_SHARE * available:
            raise DeviceMemoryError(
                f"--data_on_device: the {ds.split} split needs {self.bytes / 1e9:.2f} GB ({held.size} samples x "
                f"{per} bytes) and {device} has {available / 1e9:.2f} GB free ({int(USABLE_SHARE * 100)} % of it may "
                f"hold data): leave --data_on_device out to stream from the cache with DataLoader workers")
        self.audio = torch.empty((held.size,) + tuple(ds.audio_shape), dtype=torch.float32, device=device)
        self.depth = torch.empty((held.size,) + tuple(ds.depth_shape), dtype=torch.float32, device=device)
        # Global row -> slot in the tensors (-1: not held).
        self.slot = None
        if rows is not None:
            self.slot = torch.full((ds.n,), -1, dtype=torch.long)
            self.slot[torch.from_numpy(held)] = torch.arange(held.size)
        step = max(1, _READ_BYTES // max(per, 1))
        for start in range(0, held.size, step):
            part = held[start:start + step]
            audio, depth, _ = ds.read_batch(part.tolist())  # numpy, exactly the cached float32
            self.audio[start:start + part.size].copy_(torch.from_numpy(audio))
            self.depth[start:start + part.size].copy_(torch.from_numpy(depth))
        ds.close()

    def batch(self, indices):
        """``(audio, depth, index)`` of the split's rows ``indices``, in that order, on the device."""
        torch = self.torch
        index = torch.as_tensor(list(indices), dtype=torch.long)
        local = index if self.slot is None else self.slot[index]
        if local.numel() and int(local.min()) < 0:
            raise IndexError(f"a batch names rows of {self.split} this rank does not hold")
        local = local.to(self.device)
        return self.audio.index_select(0, local), self.depth.index_select(0, local), index

    def batches(self, batch_lists):
        """A batch per list of ``batch_lists`` (a sampler, after its set_epoch), in order."""
        for b in batch_lists:
            yield self.batch(b)


class DeviceLoader:
    """A DataLoader stand-in over a ``DeviceResidentSplit``: iterating it walks its sampler
    (whose epoch the trainer sets first) batch by batch."""

    def __init__(self, data, sampler):
        self.data, self.sampler = data, sampler

    def __iter__(self):
        return self.data.batches(iter(self.sampler))
