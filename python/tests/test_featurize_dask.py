"""python -m batvision_cache.featurize_dask on a Dask LocalCluster of 2 workers (light).

The first two tests drive a fake binary (retries, merge ordering, failure). The last runs
the real `batvision featurize --shard K/N` and `batvision merge` (the Swift side of the
issue) over the synthetic dataset and checks the merged cache against a single-process
featurize, bit for bit.
"""
import os
import stat
import subprocess
import sys

import h5py
import numpy as np
import pytest

pytest.importorskip("distributed")

from batvision_cache import BatvisionCache  # noqa: E402

from conftest import CONF, find_cache  # noqa: E402

FAKE = r'''#!/usr/bin/env bash
# A stand-in for the batvision binary: logs each call; shard K fails on its first FAILS attempts.
set -u
echo "$*" >> "$ROOT/calls.log"
KEY="$ROOT/cache/batvisionv2/key"
if [ "$1" = merge ]; then
  n=$(ls "$KEY/shards" | wc -l); echo "merged $n" > "$KEY/merged"; exit 0; fi
for a in "$@"; do [ "$a" = --print_cache_dir ] && { echo "$KEY"; exit 0; }; done
spec=""; prev=""
for a in "$@"; do [ "$prev" = --shard ] && spec="$a"; prev="$a"; done
k=${spec%/*}
tries="$ROOT/tries-$k"; t=$(( $(cat "$tries" 2>/dev/null || echo 0) + 1 )); echo $t > "$tries"
if [ "$k" = "$FAIL_SHARD" ] && [ "$t" -le "$FAILS" ]; then echo "shard $k crashed" >&2; exit 2; fi
mkdir -p "$KEY/shards"; touch "$KEY/shards/shard-$k"
'''


def driver(args, env=None):
    cmd = [sys.executable, "-m", "batvision_cache.featurize_dask"] + args
    return subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=300)


def fake_env(tmp_path, fail_shard, fails):
    exe = tmp_path / "batvision"
    exe.write_text(FAKE)
    exe.chmod(exe.stat().st_mode | stat.S_IEXEC)
    env = dict(os.environ, ROOT=str(tmp_path), FAIL_SHARD=str(fail_shard), FAILS=str(fails))
    return str(exe), env


def test_retries_a_failed_shard_then_merges(tmp_path):
    exe, env = fake_env(tmp_path, fail_shard=1, fails=1)
    r = driver(["--manifest", "m.json", "--dataset", "batvisionv2", "--shards", "4", "--workers", "2",
                "--batvision", exe, "--retries", "2", "--images_size", "64"], env)
    assert r.returncode == 0, r.stderr[-3000:]
    calls = (tmp_path / "calls.log").read_text().splitlines()
    shard_calls = [c for c in calls if "--shard" in c]
    assert sorted(shard_calls) == sorted(
        [f"featurize --dataset batvisionv2 --manifest m.json --images_size 64 --shard {k}/4" for k in (0, 1, 1, 2, 3)])
    assert calls[-1] == f"merge --cache {tmp_path}/cache/batvisionv2/key"  # after every shard
    assert (tmp_path / "cache/batvisionv2/key/merged").read_text().strip() == "merged 4"
    assert "4 shards on 2 workers" in r.stdout


def test_a_shard_failing_every_retry_stops_before_merge(tmp_path):
    exe, env = fake_env(tmp_path, fail_shard=2, fails=99)
    r = driver(["--manifest", "m.json", "--dataset", "batvisionv2", "--shards", "3", "--batvision", exe,
                "--retries", "1"], env)
    assert r.returncode == 1
    calls = (tmp_path / "calls.log").read_text().splitlines()
    assert sum("--shard 2/3" in c for c in calls) == 2  # the first try and one retry
    assert not any(c.startswith("merge") for c in calls)
    assert "shard 2/3: FAILED" in r.stderr and "crashed" in r.stderr


def test_sharded_featurize_on_two_dask_workers_equals_one_process(synthetic, tmp_path):
    """Needs the Swift side of the issue (featurize --shard K/N, --print_cache_dir, merge)."""
    cache_dir = str(tmp_path / "cache")
    r = driver(["--manifest", synthetic.manifest, "--dataset", "batvisionv2", "--shards", "4", "--workers", "2",
                "--batvision", synthetic.bin, "--cache_dir", cache_dir, "--conf_dir", CONF] + synthetic.feature_flags)
    assert r.returncode == 0, r.stdout[-2000:] + r.stderr[-3000:]
    merged = find_cache(cache_dir, "batvisionv2")
    key_dir = os.path.dirname(merged)
    assert os.path.basename(key_dir) == os.path.basename(os.path.dirname(synthetic.cache))  # same key
    shards = sorted(n for n in os.listdir(os.path.join(key_dir, "shards")) if not n.endswith(".lock"))
    assert shards == [f"shard-{k:04d}-of-0004.h5" for k in range(4)]
    with h5py.File(synthetic.cache, "r") as a, h5py.File(merged, "r") as b:
        assert int(b.attrs["complete"]) == 1
        for key in ("dataset", "audio_format", "n_fft", "win_length", "hop_length", "n_mels", "cut_samples",
                    "max_depth", "depth_norm", "images_size", "preprocess", "manifest_digest", "schema_version"):
            va, vb = a.attrs[key], b.attrs[key]
            assert (np.isnan(va) and np.isnan(vb)) if isinstance(va, float) and np.isnan(va) else va == vb, key
        for split in ("train", "val", "test"):
            for kind in ("audio", "depth", "sample"):
                x, y = a[f"{split}/{kind}"][()], b[f"{split}/{kind}"][()]
                assert x.shape == y.shape and x.dtype == y.dtype, (split, kind)
                if x.dtype.kind == "f":
                    assert x.tobytes() == y.tobytes(), (split, kind)  # bit for bit
                else:
                    assert x.tolist() == y.tolist(), (split, kind)
    n_shard_rows = 0
    for s in shards:
        with h5py.File(os.path.join(key_dir, "shards", s), "r") as f:
            assert int(f.attrs["complete"]) == 1 and int(f.attrs["shard_count"]) == 4
            n_shard_rows += sum(f[f"{sp}/audio"].shape[0] for sp in ("train", "val", "test"))
    assert n_shard_rows == 48
    ds = BatvisionCache(merged, "train")  # the package reads the merged cache
    assert len(ds) == 29 and np.array_equal(ds[28][0], BatvisionCache(synthetic.cache, "train")[28][0])
