"""6b: torchrun with 2 gloo processes on CPU trains as 1 process with the same global
batch (needs torch and the binary for the cache)."""
import os

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from batvision_cache.checkpoint import read_checkpoint  # noqa: E402

from conftest import python_train, read_records  # noqa: E402


def test_two_gloo_ranks_equal_one_process(synthetic_v1, tmp_path):
    # Global batch 7 over 29 samples: rank slices 4/3, and a last batch of 1 row, so rank 1
    # steps with an empty slice. Validation every epoch (whole batches round-robin).
    syn = synthetic_v1
    flags = ["--num_downs", "5", "--ngf", "8", "--batch_size", "7", "--epochs", "3", "--validation_iter", "1",
             "--saving_checkpoints", "3", "--experiment_name", "ddp"]
    one, two = str(tmp_path / "one"), str(tmp_path / "two")
    python_train(syn, one, *flags)
    r = python_train(syn, two, *flags, nproc=2, workers=1)
    assert "2 process(es)" in r.stdout
    run = "unet_baseline_batvisionv1_BS7_Lr0.001_AdamW_ddp"
    a = read_records(os.path.join(one, "logs", run, "metrics.jsonl"))
    b = read_records(os.path.join(two, "logs", run, "metrics.jsonl"))
    assert [x["epoch"] for x in a] == [x["epoch"] for x in b] == [1, 2, 3]
    for x, y in zip(a, b):
        assert y["train_loss"] == pytest.approx(x["train_loss"], rel=1e-5)
        assert y["val_loss"] == pytest.approx(x["val_loss"], rel=1e-5)
        for k, v in x["metrics"].items():
            assert y["metrics"][k] == pytest.approx(v, rel=1e-4, abs=1e-4), k
        assert x["skipped_batches"] == y["skipped_batches"] == 0
    # Only rank 0 wrote, and the weights agree.
    ta, _ = read_checkpoint(os.path.join(one, "checkpoints", run, "checkpoint_3.safetensors"))
    tb, info = read_checkpoint(os.path.join(two, "checkpoints", run, "checkpoint_3.safetensors"))
    assert set(ta) == set(tb) and info["epoch"] == 3
    for k in ta:
        if ta[k].dtype == np.int64:
            assert int(ta[k]) == int(tb[k]) == 15, k  # 5 batches x 3 epochs, global BatchNorm steps
        else:
            assert np.abs(ta[k] - tb[k]).max() <= 1e-3 * max(np.abs(ta[k]).max(), 1e-3), k
