"""Featurize a dataset in N shards on a Dask cluster, then merge them into one cache.

    python -m batvision_cache.featurize_dask --manifest M --shards N [--scheduler ADDRESS]
        [--dataset D] [--batvision PATH] [--retries 2] [--workers 2] [--copy] [featurize flags...]

Each shard is one ``batvision featurize --dataset D --manifest M <flags> --shard K/N``
command, submitted as one Dask task (``retries`` re-runs a shard whose command failed or
whose worker died; featurize is crash-safe and skips a finished shard, so a rerun only
does what is missing). When every shard is done, one more task runs ``batvision merge
--cache KEY_DIR`` (KEY_DIR from ``batvision featurize <flags> --print_cache_dir``).
Without ``--scheduler`` a LocalCluster of ``--workers`` processes (one thread each) runs
here. Flags this driver does not know (``--audio_format``, ``--images_size``,
``--cache_dir``, ...) go to every featurize command unchanged. The workers need the
binary and a file system shared with the others; the driver needs neither.

Exit status: 0 merged, 1 some shard failed after its retries (no merge), 2 error.
"""
import argparse
import json
import os
import socket
import subprocess
import sys
import time


def run_command(cmd, label):
    """Runs one command on a worker; raises (so Dask retries) when it fails."""
    start = time.time()
    r = subprocess.run(cmd, capture_output=True, text=True)
    seconds = time.time() - start
    if r.returncode == 64:
        # A usage error fails the same way every time: reported, not retried.
        tail = (r.stderr or r.stdout).strip()[-800:]
        return {"label": label, "failed": f"`{' '.join(cmd)}` exited 64 (usage error, not retried): {tail}",
                "host": socket.gethostname(), "seconds": round(seconds, 2), "stdout": ""}
    if r.returncode != 0:
        tail = (r.stderr or r.stdout).strip()[-800:]
        raise RuntimeError(f"{label}: `{' '.join(cmd)}` exited {r.returncode} on {socket.gethostname()}: {tail}")
    return {"label": label, "host": socket.gethostname(), "pid": os.getpid(), "seconds": round(seconds, 2),
            "stdout": r.stdout.strip()[-400:]}


def featurize_base(args, extra):
    cmd = [args.batvision, "featurize", "--dataset", args.dataset, "--manifest", args.manifest]
    return cmd + list(extra)


def split_counts(path):
    try:
        import h5py
        with h5py.File(path, "r") as f:
            return {s: int(f[f"{s}/audio"].shape[0]) if f"{s}/audio" in f else 0 for s in ("train", "val", "test")}
    except (OSError, ImportError, KeyError):
        return None


def build_parser():
    p = argparse.ArgumentParser(prog="python -m batvision_cache.featurize_dask", description=__doc__.split("\n\n")[0])
    p.add_argument("--manifest", required=True)
    p.add_argument("--shards", type=int, required=True)
    p.add_argument("--dataset", help="default: the manifest's own dataset")
    p.add_argument("--scheduler", help="a Dask scheduler address (default: a LocalCluster here)")
    p.add_argument("--workers", type=int, default=2, help="LocalCluster worker processes (default 2)")
    p.add_argument("--batvision", default=os.environ.get("BATVISION_BIN", "batvision"),
                   help="the batvision binary on the workers (default: $BATVISION_BIN or batvision on PATH)")
    p.add_argument("--retries", type=int, default=2, help="re-runs of a failed shard (default 2)")
    p.add_argument("--copy", action="store_true", help="merge by copying the shards (default: virtual datasets)")
    p.add_argument("--no_merge", action="store_true", help="only run the shards")
    p.add_argument("--json", action="store_true", help="print the summary as JSON")
    return p


def main(argv=None):
    parser = build_parser()
    args, extra = parser.parse_known_args(argv)
    if args.shards < 1:
        parser.error("--shards must be at least 1")
    if args.dataset is None:
        try:
            with open(args.manifest) as f:
                args.dataset = json.load(f)["dataset"]
        except (OSError, ValueError, KeyError) as e:
            print(f"error: cannot read the dataset of {args.manifest} ({e}); pass --dataset", file=sys.stderr)
            return 2
    from dask.distributed import Client, LocalCluster, as_completed

    cluster = None
    if args.scheduler:
        client = Client(args.scheduler)
    else:
        cluster = LocalCluster(n_workers=args.workers, threads_per_worker=1, processes=True,
                               dashboard_address=None)
        client = Client(cluster)
    start = time.time()
    base = featurize_base(args, extra)
    n = args.shards
    try:
        key_future = client.submit(run_command, base + ["--print_cache_dir"], "print_cache_dir", pure=False,
                                   retries=args.retries)
        futures = {}
        for k in range(n):
            label = f"shard {k}/{n}"
            fut = client.submit(run_command, base + ["--shard", f"{k}/{n}"], label, pure=False,
                                retries=args.retries, key=f"featurize-shard-{k}-of-{n}-{time.time_ns()}")
            futures[fut] = k
        done, failed = [], []
        for fut in as_completed(list(futures)):
            k = futures[fut]
            try:
                res = fut.result()
                if res.get("failed"):
                    raise RuntimeError(res["failed"])
                done.append(res)
                print(f"shard {k}/{n}: done in {res['seconds']} s on {res['host']} (pid {res['pid']})", flush=True)
            except Exception as e:  # noqa: BLE001 - reported, counted, exit 1
                failed.append((k, str(e)))
                print(f"shard {k}/{n}: FAILED: {e}", file=sys.stderr, flush=True)
        try:
            res = key_future.result()
            if res.get("failed"):
                raise RuntimeError(res["failed"])
            key_dir = res["stdout"].strip().splitlines()[-1]
        except Exception as e:  # noqa: BLE001
            print(f"error: cannot resolve the cache folder: {e}", file=sys.stderr)
            return 2
        summary = {"cache_dir": key_dir, "shards": n, "done": len(done), "failed": [k for k, _ in failed],
                   "shard_seconds": sum(r["seconds"] for r in done)}
        if failed:
            summary["wall_seconds"] = round(time.time() - start, 2)
            print(json.dumps(summary) if args.json else
                  f"featurize_dask: {len(failed)} of {n} shards failed; no merge. Rerun the same command to "
                  f"finish them (finished shards are skipped).")
            return 1
        if not args.no_merge:
            merge = [args.batvision, "merge", "--cache", key_dir] + (["--copy"] if args.copy else [])
            res = client.submit(run_command, merge, "merge", pure=False, retries=args.retries).result()
            if res.get("failed"):
                print(f"error: merge: {res['failed']}", file=sys.stderr)
                return 2
            print(f"merge: done in {res['seconds']} s on {res['host']}", flush=True)
            merged = os.path.join(key_dir, "features.h5")
            summary["merged"] = merged
            summary["samples"] = split_counts(merged)
        summary["wall_seconds"] = round(time.time() - start, 2)
        if args.json:
            print(json.dumps(summary))
        else:
            counts = summary.get("samples")
            print(f"featurize_dask: {n} shards on {len(client.scheduler_info()['workers'])} workers in "
                  f"{summary['wall_seconds']} s (shards {summary['shard_seconds']:.1f} s in total)"
                  + (f"; merged {summary['merged']}" if "merged" in summary else "")
                  + (f" ({', '.join(f'{s} {c}' for s, c in counts.items())})" if counts else ""))
        return 0
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


if __name__ == "__main__":
    sys.exit(main())
