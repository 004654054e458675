"""Read throughput of BatvisionCache through a PyTorch DataLoader, as one DDP rank sees it.

    python -m batvision_cache.bench --cache features.h5 [--split train] [--batch 32]
        [--workers 2] [--rank 0 --world 1] [--epochs 1]

Iterates one shuffled epoch of this rank's part (DistributedBatchSampler, the trainer's
sampler) with ``--workers`` DataLoader processes and prints one JSON line with
samples_per_s, like ``../shared/reference/bench_reference.py loader``. Run one process per
rank (same --world, each its --rank) to see the per-rank figure under contention.
"""
import argparse
import json
import time

from .cache import BatvisionCache
from .sampler import DistributedBatchSampler


def main(argv=None):
    p = argparse.ArgumentParser(prog="python -m batvision_cache.bench")
    p.add_argument("--cache", required=True)
    p.add_argument("--split", default="train")
    p.add_argument("--batch", type=int, default=32, help="global batch (split across --world ranks)")
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--rank", type=int, default=0)
    p.add_argument("--world", type=int, default=1)
    p.add_argument("--epochs", type=int, default=1)
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args(argv)
    import torch
    ds = BatvisionCache(args.cache, args.split)
    sampler = DistributedBatchSampler(len(ds), args.batch, args.seed, True, args.rank, args.world)
    loader = torch.utils.data.DataLoader(ds, batch_size=None, sampler=sampler, num_workers=args.workers,
                                         persistent_workers=args.workers > 0)
    n, t0 = 0, time.perf_counter()
    for epoch in range(1, args.epochs + 1):
        sampler.set_epoch(epoch)
        for audio, depth, _ in loader:
            n += audio.shape[0]
    dt = time.perf_counter() - t0
    print(json.dumps({"bench": "cache_loader", "samples": n, "seconds": round(dt, 3),
                      "samples_per_s": round(n / dt, 2), "workers": args.workers, "rank": args.rank,
                      "world": args.world, "batch": args.batch, "audio_shape": list(ds.audio_shape),
                      "attrs": {k: ds.attrs.get(k) for k in ("dataset", "audio_format", "images_size")}}))


if __name__ == "__main__":
    main()
