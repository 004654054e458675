"""PyTorch's side of `batvision bench eval`: eval-mode U-Net inference over a feature cache.

    $PYTHON Benchmarks/bench_eval_torch.py --cache features.h5 [--num_downs 8] [--ngf 64]
        [--batch 16] [--passes 1] [--threads 2]

The same U-Net (python/batvision_cache/unet.py, the reference's module layout) in
``model.eval()`` under ``torch.no_grad()``, fed the cache's splits in order in batches read
with h5py, as `batvision eval` reads them; one untimed batch first, then `--passes` timed
passes. Prints one JSON line like `batvision bench eval`. Needs torch and h5py.
"""
import argparse
import json
import os
import sys
import time

import h5py
import numpy as np
import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "python"))
from batvision_cache.unet import UNet  # noqa: E402


def batches(f, splits, batch):
    for split in splits:
        if f"{split}/audio" not in f:
            continue
        audio = f[f"{split}/audio"]
        n = audio.shape[0]
        for i in range(0, n, batch):
            j = min(n, i + batch)
            x = np.empty((j - i,) + audio.shape[1:], np.float32)
            audio.read_direct(x, np.s_[i:j])
            yield torch.from_numpy(x)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--cache", required=True)
    p.add_argument("--split", action="append", default=None, help="splits in order (default: train, val, test)")
    p.add_argument("--num_downs", type=int, default=8)
    p.add_argument("--ngf", type=int, default=64)
    p.add_argument("--batch", type=int, default=16)
    p.add_argument("--passes", type=int, default=1)
    p.add_argument("--threads", type=int, default=2)
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    splits = args.split or ["train", "val", "test"]
    path = args.cache if args.cache.endswith(".h5") else os.path.join(args.cache, "features.h5")
    net = UNet(2, 1, args.num_downs, args.ngf, True)
    torch.manual_seed(0)
    net.eval()
    with h5py.File(path, "r") as f, torch.no_grad():
        first = next(batches(f, splits, args.batch))
        if first.dim() != 4:
            sys.exit(f"{path}: audio of shape {list(first.shape[1:])}; this loop takes [2, S, S] spectrograms")
        net(first)  # untimed: allocations and oneDNN's kernel choices
        n, checksum = 0, 0.0
        t0 = time.perf_counter()
        for _ in range(args.passes):
            for x in batches(f, splits, args.batch):
                y = net(x)
                n += x.shape[0]
                checksum += float(y[0, 0, 0, 0])
        dt = time.perf_counter() - t0
    print(json.dumps({"bench": "eval", "impl": "pytorch", "num_downs": args.num_downs, "ngf": args.ngf,
                      "size": int(first.shape[-1]), "batch": args.batch, "threads": args.threads,
                      "samples": n, "seconds": round(dt, 3), "samples_per_s": round(n / dt, 2)}))


if __name__ == "__main__":
    main()
