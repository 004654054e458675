"""The PyTorch trainer on a GPU (skipped without CUDA; run on a GPU host with
`make test-torch` or `pytest tests/test_torch_cuda.py`). The model's kernels on the GPU
against the goldens: test_torch_model.py.

fp32 on CUDA must train as on the CPU (TF32 off through NVIDIA_TF32_OVERRIDE=0: cuDNN's
convolutions otherwise round their inputs to 10-bit mantissas), and a mixed-precision run's
checkpoint must be one `batvision eval` reads as PyTorch does.
"""
import os

import numpy as np
import pytest

torch = pytest.importorskip("torch")
if not torch.cuda.is_available():
    pytest.skip("no CUDA device", allow_module_level=True)

from batvision_cache import BatvisionCache  # noqa: E402
from batvision_cache.metrics import NAMES  # noqa: E402

from conftest import python_train, read_records  # noqa: E402
from test_torch_parity import assert_batvision_eval_is_float32_eval, eval_output, run_name  # noqa: E402

FLAGS = ["--num_downs", "5", "--ngf", "8", "--batch_size", "8", "--validation_iter", "1", "--saving_checkpoints", "1"]
NO_TF32 = {"NVIDIA_TF32_OVERRIDE": "0"}


def records(out, rn):
    return read_records(os.path.join(out, "logs", rn, "metrics.jsonl"))


def test_cuda_fp32_trains_as_the_cpu(synthetic_v1, tmp_path):
    """Three shuffled epochs (4 batches of 8 each, validated every epoch) from the same
    --seed: the CUDA run's losses and metrics are the CPU run's to summation order, and
    so is its last checkpoint's output. Plain SGD with a large step, so that the weights
    move far and a wrong gradient shows: Adam's first steps are lr x sign(g), which turns
    a rounding difference in a near-zero gradient into a whole step (seen here: 2e-4 in
    the loss after 12 AdamW steps; the AdamW step itself is checked against the goldens)."""
    syn = synthetic_v1
    flags = FLAGS + ["--epochs", "3", "--experiment_name", "gpu", "--optimizer", "SGD", "--learning_rate", "0.1"]
    cpu, gpu = str(tmp_path / "cpu"), str(tmp_path / "cuda")
    python_train(syn, cpu, *flags)
    r = python_train(syn, gpu, *flags, device="cuda", env=NO_TF32)
    assert "cuda" in r.stdout
    rn = run_name(8, crit_opt="SGD", exp="gpu", lr="0.1")
    a, b = records(cpu, rn), records(gpu, rn)
    assert [x["epoch"] for x in a] == [x["epoch"] for x in b] == [1, 2, 3]
    assert a[-1]["train_loss"] < 0.9 * a[0]["train_loss"]  # it learned: the steps were not negligible
    for x, y in zip(a, b):
        # Epoch 1 (4 steps) to 1e-4. Later epochs to 1e-3: rounding grows with the steps, and
        # two CPUs already differ by more than 1e-4 there (epoch-2 val_loss on the H200 host:
        # its AVX-512 CPU 1.3920677, its GPU 1.3918758, an AVX2 CPU 1.3918710). A wrong
        # gradient moves these losses by far more: they fall 20-30 % per epoch at this step.
        tol = 1e-4 if x["epoch"] == 1 else 1e-3
        e = f"epoch {x['epoch']}"
        assert y["train_loss"] == pytest.approx(x["train_loss"], rel=tol), e
        assert y["val_loss"] == pytest.approx(x["val_loss"], rel=tol), e
        for k in NAMES:
            mtol = 2e-3 if k.startswith("delta") else 1e-3
            assert y["metrics"][k] == pytest.approx(x["metrics"][k], rel=mtol, abs=mtol), f"{e} {k}"
    ds = BatvisionCache(syn.cache, "val")
    audio = ds[list(range(len(ds)))][0]
    yc, _ = eval_output(os.path.join(cpu, "checkpoints", rn, "checkpoint_3.safetensors"), audio)
    yg, info = eval_output(os.path.join(gpu, "checkpoints", rn, "checkpoint_3.safetensors"), audio)
    assert info["epoch"] == 3 and np.abs(yg - yc).max() / np.abs(yc).max() < 1e-3


@pytest.mark.parametrize("dtype", ["bf16", "fp16"])
def test_swift_evaluates_a_mixed_precision_cuda_run(synthetic_v1, tmp_path, dtype):
    """--amp on CUDA (float16 through a GradScaler): finite losses, validation near the
    float32 figures of the same weights, and `batvision eval` of its checkpoint equal to
    PyTorch's float32 evaluation of it (the checkpoint holds float32 weights)."""
    syn = synthetic_v1
    exp = f"amp_{dtype}"
    out = str(tmp_path / exp)
    python_train(syn, out, *FLAGS, "--epochs", "2", "--experiment_name", exp, "--amp", dtype,
                 device="cuda")
    rn = run_name(8, exp=exp)
    recs = records(out, rn)
    assert [x["epoch"] for x in recs] == [1, 2]
    assert all(np.isfinite(x["train_loss"]) and np.isfinite(x["val_loss"]) and x["skipped_batches"] == 0 for x in recs)
    direct = assert_batvision_eval_is_float32_eval(syn, out, rn, 2, str(tmp_path / "stats"), "--batch_size", "8", "--experiment_name", exp)
    # The trainer validated in reduced precision (bf16 keeps 8 mantissa bits, so percent-level
    # differences): near, not equal; a bound, not a parity figure (held on an H200 for both).
    assert recs[-1]["metrics"]["rmse"] == pytest.approx(direct["rmse"], rel=5e-2)
