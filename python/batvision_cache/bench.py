"""How fast the cache reaches a trainer: one rank's batches per second through PyTorch
DataLoaders with several worker counts, and from device-resident data.

    python -m batvision_cache.bench --cache features.h5 [--split train] [--batch 128]
        [--workers 1,2,4,8] [--device cpu|cuda] [--no_device_resident] [--rank 0 --world 1]
        [--epochs 1] [--json]

Each row iterates ``--epochs`` shuffled epochs of this rank's part (DistributedBatchSampler,
the trainer's sampler) and moves every batch to ``--device`` as the trainer does, then
reports samples/s and GB/s (float32 audio + depth). The device-resident row gathers the
batches from the split loaded once into the device's memory (``--data_on_device``); its
one-off load time is reported apart. The first epoch of a DataLoader row includes its
workers' start. ``--json``: one JSON line per row instead of the table.

To size a GPU box: the model's samples/s on the GPU (docs/benchmarks.md) divided by a
row's samples/s is how many such ranks' worth of reading one GPU needs; docs/scaling.md
works it through.
"""
import argparse
import json
import time


from .cache import BatvisionCache
from .device_data import sample_bytes
from .sampler import DistributedBatchSampler


def _rate(n, seconds, per_sample):
    return {"samples": n, "seconds": round(seconds, 3), "samples_per_s": round(n / max(seconds, 1e-9), 1),
            "gb_per_s": round(n * per_sample / max(seconds, 1e-9) / 1e9, 3)}


def loader_row(ds, sampler, workers, epochs, device):
    import torch
    loader = torch.utils.data.DataLoader(ds, batch_size=None, sampler=sampler, num_workers=workers,
                                         persistent_workers=workers > 0, pin_memory=device.type == "cuda")
    n, start = 0, time.perf_counter()
    for epoch in range(1, epochs + 1):
        sampler.set_epoch(epoch)
        for audio, depth, _ in loader:
            audio.to(device, non_blocking=True), depth.to(device, non_blocking=True)
            n += audio.shape[0]
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    return n, time.perf_counter() - start


def device_row(ds, sampler, epochs, device):
    import torch
    from .device_data import DeviceResidentSplit
    start = time.perf_counter()
    data = DeviceResidentSplit(ds, device)
    load = time.perf_counter() - start
    n, start = 0, time.perf_counter()
    for epoch in range(1, epochs + 1):
        sampler.set_epoch(epoch)
        for audio, _, _ in data.batches(iter(sampler)):
            n += audio.shape[0]
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    return n, time.perf_counter() - start, load


def main(argv=None):
    p = argparse.ArgumentParser(prog="python -m batvision_cache.bench", description=__doc__.split("\n\n")[0])
    p.add_argument("--cache", required=True)
    p.add_argument("--split", default="train")
    p.add_argument("--batch", type=int, default=128, help="global batch (split across --world ranks)")
    p.add_argument("--workers", default="1,2,4,8", help="DataLoader worker counts, comma-separated (0: in the main process)")
    p.add_argument("--device", default="cpu", help="where batches go (cuda, cuda:1, cpu)")
    p.add_argument("--no_device_resident", action="store_true", help="leave out the device-resident row")
    p.add_argument("--rank", type=int, default=0)
    p.add_argument("--world", type=int, default=1)
    p.add_argument("--epochs", type=int, default=1)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--json", action="store_true", help="one JSON line per row")
    args = p.parse_args(argv)
    import torch
    device = torch.device(args.device)
    ds = BatvisionCache(args.cache, args.split)
    per = sample_bytes(ds)
    workers = [int(w) for w in args.workers.split(",") if w.strip()]
    head = {"split": args.split, "samples_in_split": len(ds), "batch": args.batch, "rank": args.rank,
            "world": args.world, "device": str(device), "sample_bytes": per}
    rows = []
    for w in workers:
        sampler = DistributedBatchSampler(len(ds), args.batch, args.seed, True, args.rank, args.world)
        n, sec = loader_row(ds, sampler, w, args.epochs, device)
        rows.append({"source": f"DataLoader, {w} worker(s)", "workers": w, **_rate(n, sec, per)})
    if not args.no_device_resident:
        sampler = DistributedBatchSampler(len(ds), args.batch, args.seed, True, args.rank, args.world)
        n, sec, load = device_row(ds, sampler, args.epochs, device)
        rows.append({"source": "device-resident", "workers": None, "load_seconds": round(load, 3), **_rate(n, sec, per)})
    if args.json:
        for r in rows:
            print(json.dumps({"bench": "cache_reader", **head, **r}))
        return
    print(f"reader: {args.split} split of {args.cache} ({len(ds)} samples of {per / 1e6:.3f} MB), batch {args.batch}, "
          f"rank {args.rank} of {args.world}, to {device}, {args.epochs} epoch(s)")
    print(f"{'source':<26}{'samples/s':>12}{'GB/s':>10}  note")
    for r in rows:
        note = f"loaded once in {r['load_seconds']:.1f} s" if "load_seconds" in r else ""
        print(f"{r['source']:<26}{r['samples_per_s']:>12.1f}{r['gb_per_s']:>10.3f}  {note}")


if __name__ == "__main__":
    main()
