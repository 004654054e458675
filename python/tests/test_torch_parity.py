"""PyTorch trainer <-> batvision train / eval on the same cache (needs torch and the binary).

Issue items 6a and 6c, plus the way back: a PyTorch run continued by `batvision train`.
The cache is the synthetic V1 one (32x32 spectrograms, depth / 12 m, Sigmoid head).
"""
import json
import os
import shutil

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from batvision_cache import BatvisionCache  # noqa: E402
from batvision_cache.checkpoint import optimizer_path, read_checkpoint, read_safetensors  # noqa: E402
from batvision_cache.metrics import NAMES, batch_errors, mean_metrics  # noqa: E402
from batvision_cache.unet import UNet  # noqa: E402

from conftest import python_train, read_records, run  # noqa: E402

MODEL = ["--num_downs", "5", "--ngf", "8", "--validation", "false", "--saving_checkpoints", "1"]


def run_name(batch, crit_opt="AdamW", exp="default", lr="0.001", dataset="batvisionv1"):
    return f"unet_baseline_{dataset}_BS{batch}_Lr{lr}_{crit_opt}_{exp}"


def copy_run(src_out, dst_out, run, upto, dst_run=None):
    """checkpoint_<upto> (+ optimiser file) and the metrics log of a run, into another output
    dir (under ``dst_run``, another run name, when given)."""
    dst_run = dst_run or run
    for kind in ("checkpoints", "logs"):
        os.makedirs(os.path.join(dst_out, kind, dst_run), exist_ok=True)
    for suffix in (".safetensors", ".optim.safetensors"):
        shutil.copy(os.path.join(src_out, "checkpoints", run, f"checkpoint_{upto}{suffix}"),
                    os.path.join(dst_out, "checkpoints", dst_run))
    shutil.copy(os.path.join(src_out, "logs", run, "metrics.jsonl"), os.path.join(dst_out, "logs", dst_run))


def eval_output(path, audio):
    tensors, info = read_checkpoint(path)
    net = UNet.from_config(info["model"])
    net.load_state_dict({k: torch.from_numpy(v) for k, v in tensors.items()})
    net.eval()
    with torch.no_grad():
        return net(torch.from_numpy(audio)).numpy(), info


def assert_batvision_eval_is_float32_eval(syn, out, name, epoch, stat_dir, *flags):
    """`batvision eval` of run `name`'s checkpoint on the validation split gives the metrics of
    PyTorch's float32 eval-mode output of the same weights (1e-4; the deltas, counts of
    pixels under a threshold, 2e-3). Returns PyTorch's float32 metrics."""
    run([syn.bin, "eval"] + syn.common() + list(flags) + ["--output_dir", out, "--checkpoints", str(epoch),
        "--eval_on", "val", "--stat_dir", stat_dir, "--quiet"], cwd=syn.root)
    summary = json.load(open(os.path.join(stat_dir, name, f"epoch_{epoch:04d}_val_summary.json")))
    ds = BatvisionCache(syn.cache, "val")
    audio, depth, _ = ds[list(range(len(ds)))]
    y, _ = eval_output(os.path.join(out, "checkpoints", name, f"checkpoint_{epoch}.safetensors"), audio)
    direct = mean_metrics(batch_errors(depth, y, ds.metres_per_unit))
    for k in NAMES:
        tol = 2e-3 if k.startswith("delta") else 1e-4
        assert summary["metrics"][k] == pytest.approx(direct[k], rel=tol, abs=tol), k
    return direct


def all_inputs(cache):
    parts = []
    for split in ("val", "test"):
        ds = BatvisionCache(cache, split)
        parts.append(ds[list(range(len(ds)))][0])
    return np.concatenate(parts)


def loss_of(out, run, epoch):
    return next(r["train_loss"] for r in read_records(os.path.join(out, "logs", run, "metrics.jsonl"))
                if r["epoch"] == epoch)


@pytest.mark.parametrize("criterion,tol", [("Combined", 1e-3), ("L1", 1e-4)])
def test_continues_a_swift_run_for_one_full_batch_epoch(synthetic_v1, tmp_path, criterion, tol):
    """6a: from `batvision train`'s checkpoint_1, one full-batch epoch in PyTorch gives the
    Swift run's epoch-2 train loss (1e-5 relative) and a checkpoint_2 whose eval-mode
    output is the Swift checkpoint_2's (1e-3 relative; 1e-4 with L1)."""
    syn = synthetic_v1
    flags = MODEL + ["--batch_size", "32", "--criterion", criterion, "--experiment_name", criterion]
    sw, py = str(tmp_path / "swift"), str(tmp_path / "torch")
    syn.swift_train(sw, *flags, "--epochs", "2")
    rn = run_name(32, exp=criterion)
    copy_run(sw, py, rn, 1)
    python_train(syn, py, *flags, "--epochs", "2", "--checkpoints", "1")
    assert loss_of(py, rn, 2) == pytest.approx(loss_of(sw, rn, 2), rel=1e-5)
    assert loss_of(py, rn, 1) == loss_of(sw, rn, 1)  # the resumed log keeps Swift's epoch 1
    x = all_inputs(syn.cache)
    ys, info_s = eval_output(os.path.join(sw, "checkpoints", rn, "checkpoint_2.safetensors"), x)
    yp, info_p = eval_output(os.path.join(py, "checkpoints", rn, "checkpoint_2.safetensors"), x)
    assert np.abs(yp - ys).max() / np.abs(ys).max() < tol
    # The same metadata as Swift's (bar the output folder and the resume flag).
    assert info_p["model"] == info_s["model"] and info_p["feature"] == info_s["feature"]
    assert info_p["manifestDigest"] == info_s["manifestDigest"] and info_p["runName"] == info_s["runName"] == rn
    assert set(info_p["settings"]) == set(info_s["settings"])
    differ = {k for k in info_s["settings"] if info_s["settings"][k] != info_p["settings"][k]}
    assert differ == {"output_dir", "checkpoints"}
    assert info_p["epoch"] == 2 and info_p["trainLoss"] == pytest.approx(info_s["trainLoss"], rel=1e-5)
    # The optimiser file: same tensors, step 2.
    ts, ms = read_safetensors(optimizer_path(os.path.join(sw, "checkpoints", rn, "checkpoint_2.safetensors")))
    tp, mp = read_safetensors(optimizer_path(os.path.join(py, "checkpoints", rn, "checkpoint_2.safetensors")))
    assert set(ts) == set(tp) and mp == ms == {"optimizer": "AdamW", "step": "2", "learning_rate": "0.001",
                                                  "weight_decay": "0.01"}


def test_same_shuffled_batches_as_swift(synthetic_v1, tmp_path):
    """The ported generator gives Swift's batches: from a fresh start (same --seed: the
    same initial weights) and resumed mid-run, the PyTorch epochs of 4 shuffled batches
    have Swift's losses. A different order would change them at the 1e-2 level."""
    syn = synthetic_v1
    flags = MODEL + ["--batch_size", "8", "--experiment_name", "shuffled"]
    sw, py, fresh = str(tmp_path / "swift"), str(tmp_path / "torch"), str(tmp_path / "fresh")
    syn.swift_train(sw, *flags, "--epochs", "3")
    rn = run_name(8, exp="shuffled")
    python_train(syn, fresh, *flags, "--epochs", "1")
    assert loss_of(fresh, rn, 1) == pytest.approx(loss_of(sw, rn, 1), rel=1e-4)
    copy_run(sw, py, rn, 2)
    python_train(syn, py, *flags, "--epochs", "3", "--checkpoints", "2", workers=2)
    assert loss_of(py, rn, 3) == pytest.approx(loss_of(sw, rn, 3), rel=1e-4)
    other = str(tmp_path / "other_seed")
    copy_run(sw, other, rn, 2, dst_run=rn + "_seed1")  # a seed other than 0 names the run
    python_train(syn, other, *flags, "--epochs", "3", "--checkpoints", "2", "--seed", "1")
    assert abs(loss_of(other, rn + "_seed1", 3) / loss_of(sw, rn, 3) - 1) > 1e-3


def test_swift_continues_and_evaluates_a_pytorch_run(synthetic_v1, tmp_path):
    """The way back and 6c: `batvision train --checkpoints 2` continues a PyTorch run
    (epoch 3 as PyTorch's own continuation, 1e-5), and `batvision eval` of the PyTorch
    checkpoint gives PyTorch's own validation metrics of that epoch."""
    syn = synthetic_v1
    flags = ["--num_downs", "5", "--ngf", "8", "--saving_checkpoints", "1", "--batch_size", "32",
             "--validation_iter", "2", "--experiment_name", "back"]
    py, both = str(tmp_path / "torch"), str(tmp_path / "swift_after_torch")
    python_train(syn, py, *flags, "--epochs", "2")
    rn = run_name(32, exp="back")
    copy_run(py, both, rn, 2)
    python_train(syn, py, *flags, "--epochs", "3", "--checkpoints", "2")
    syn.swift_train(both, *flags, "--epochs", "3", "--checkpoints", "2")
    assert loss_of(both, rn, 3) == pytest.approx(loss_of(py, rn, 3), rel=1e-5)
    # Swift kept PyTorch's records up to the resume point.
    assert [r["epoch"] for r in read_records(os.path.join(both, "logs", rn, "metrics.jsonl"))] == [1, 2, 3]
    # 6c: batvision eval on the validation split of PyTorch's checkpoint_2.
    stats = str(tmp_path / "stats")
    # eval takes what names the run, not the training settings (the model comes from the checkpoint).
    r = run([syn.bin, "eval"] + syn.common() + ["--batch_size", "32", "--experiment_name", "back", "--output_dir", py,
            "--checkpoints", "2", "--eval_on", "val", "--stat_dir", stats], cwd=syn.root)
    summary = json.load(open(os.path.join(stats, rn, "epoch_0002_val_summary.json")))
    rec = next(r for r in read_records(os.path.join(py, "logs", rn, "metrics.jsonl")) if r["epoch"] == 2)
    ds = BatvisionCache(syn.cache, "val")
    a, d, _ = ds[list(range(len(ds)))]
    y, _ = eval_output(os.path.join(py, "checkpoints", rn, "checkpoint_2.safetensors"), a)
    direct = mean_metrics(batch_errors(d, y, ds.metres_per_unit))
    assert summary["samples"] == len(ds) == 9
    for k in NAMES:
        tol = 2e-3 if k.startswith("delta") else 1e-4  # a pixel at a 1.25^k boundary may flip
        assert summary["metrics"][k] == pytest.approx(rec["metrics"][k], rel=tol, abs=tol), k
        assert rec["metrics"][k] == pytest.approx(direct[k], rel=1e-6, abs=1e-6), k
    assert 0 < summary["metrics"]["rmse"] < 12 and "model" in r.stdout
