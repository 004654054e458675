"""The GPU path's parts, checked on CPU (make test-torch): device-resident data trains bit
for bit as the DataLoader does and refuses what does not fit; mixed precision (bf16
autocast) ends near the float32 run and leaves a float32 checkpoint `batvision eval`
reads; the trainer reports its data wait and draws its validation pictures into
results/<run>/ and TensorBoard, as `batvision train` does."""
import glob
import os

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from batvision_cache import BatvisionCache, DistributedBatchSampler  # noqa: E402
from batvision_cache.checkpoint import read_checkpoint  # noqa: E402
from batvision_cache.device_data import DeviceMemoryError, DeviceResidentSplit, rows_of  # noqa: E402

from conftest import python_train, read_records  # noqa: E402
from test_torch_parity import assert_batvision_eval_is_float32_eval, run_name  # noqa: E402

FLAGS = ["--num_downs", "5", "--ngf", "8", "--batch_size", "8", "--validation_iter", "1", "--saving_checkpoints", "2"]


def records(out, rn):
    return read_records(os.path.join(out, "logs", rn, "metrics.jsonl"))


def test_device_resident_data_trains_bit_for_bit(synthetic_v1, tmp_path):
    """Two shuffled epochs from DataLoader workers and from --data_on_device: the same
    losses and metrics, and the same checkpoint, to the last bit."""
    syn = synthetic_v1
    flags = FLAGS + ["--epochs", "2", "--experiment_name", "dev"]
    streamed, resident = str(tmp_path / "streamed"), str(tmp_path / "resident")
    python_train(syn, streamed, *flags, workers=1)
    r = python_train(syn, resident, *flags, "--data_on_device")
    assert "data on the device" in r.stdout and "data on cpu:" in r.stdout
    rn = run_name(8, exp="dev")
    a, b = records(streamed, rn), records(resident, rn)
    assert [x["epoch"] for x in a] == [x["epoch"] for x in b] == [1, 2]
    for x, y in zip(a, b):
        assert (x["train_loss"], x["val_loss"], x["metrics"]) == (y["train_loss"], y["val_loss"], y["metrics"])
    ta, _ = read_checkpoint(os.path.join(streamed, "checkpoints", rn, "checkpoint_2.safetensors"))
    tb, _ = read_checkpoint(os.path.join(resident, "checkpoints", rn, "checkpoint_2.safetensors"))
    assert set(ta) == set(tb)
    for k in ta:
        assert ta[k].dtype == tb[k].dtype and np.array_equal(ta[k], tb[k]), k


def test_device_resident_data_refuses_what_does_not_fit_and_holds_a_ranks_part(synthetic_v1):
    ds = BatvisionCache(synthetic_v1.cache, "train")
    per = 4 * (int(np.prod(ds.audio_shape)) + int(np.prod(ds.depth_shape)))
    with pytest.raises(DeviceMemoryError) as e:
        DeviceResidentSplit(ds, torch.device("cpu"), free=per * len(ds))  # only 80 % of it may hold data
    message = str(e.value)
    assert f"{len(ds)} samples x {per} bytes" in message and "GB free" in message and "--data_on_device" in message
    # A fixed order (no shuffle): rank 1 of 2 holds only its part of each batch, and
    # gathers exactly what the cache reads; a row it does not hold is an error.
    sampler = DistributedBatchSampler(len(ds), 8, seed=0, shuffle=False, rank=1, world_size=2)
    rows = rows_of(list(sampler))
    part = DeviceResidentSplit(ds, torch.device("cpu"), rows=rows)
    assert part.audio.shape[0] == len(rows) < len(ds)
    for batch in sampler:
        audio, depth, index = part.batch(batch)
        ra, rd, ri = ds.read_batch(batch)
        assert np.array_equal(audio.numpy(), ra) and np.array_equal(depth.numpy(), rd) and index.tolist() == list(ri)
    missing = next(i for i in range(len(ds)) if i not in set(rows))
    with pytest.raises(IndexError):
        part.batch([missing])


def test_bf16_autocast_ends_near_float32_and_eval_reads_its_checkpoint(synthetic_v1, tmp_path):
    """--amp bf16 on CPU, 10 epochs of 8 steps: the float32 run learns (its train loss falls
    by more than a third), the bf16 run's train loss stays within 3 % of it every epoch and
    its last validation rmse, abs_rel and mae within 5 % (bf16 keeps 8 mantissa bits:
    about 0.4 % per rounding; measured here 0.2-1 % on the losses, 1.7 % on rmse), yet
    differs (autocast took effect). The checkpoint is float32 and `batvision eval` of it
    equals PyTorch's float32 evaluation of the same weights."""
    syn = synthetic_v1
    f32, b16 = str(tmp_path / "f32"), str(tmp_path / "bf16")
    flags = ["--num_downs", "5", "--ngf", "8", "--batch_size", "4", "--validation_iter", "10", "--saving_checkpoints", "10",
             "--epochs", "10", "--experiment_name", "amp"]
    python_train(syn, f32, *flags)
    r = python_train(syn, b16, *flags, "--amp", "bf16")
    assert "amp bf16" in r.stdout
    rn = run_name(4, exp="amp")
    a, b = records(f32, rn), records(b16, rn)
    assert a[-1]["train_loss"] < 0.67 * a[0]["train_loss"]
    assert [x["train_loss"] for x in a] != [x["train_loss"] for x in b]
    for x, y in zip(a, b):
        assert y["train_loss"] == pytest.approx(x["train_loss"], rel=0.03), x["epoch"]
    for k in ("rmse", "abs_rel", "mae"):
        assert b[-1]["metrics"][k] == pytest.approx(a[-1]["metrics"][k], rel=0.05), k
    tensors, _ = read_checkpoint(os.path.join(b16, "checkpoints", rn, "checkpoint_10.safetensors"))
    assert all(v.dtype in (np.float32, np.int64) for v in tensors.values())
    assert_batvision_eval_is_float32_eval(syn, b16, rn, 10, str(tmp_path / "stats"), "--batch_size", "4", "--experiment_name", "amp")


def test_data_wait_and_pictures_as_batvision_train_reports_them(synthetic_v1, tmp_path):
    event_accumulator = pytest.importorskip("tensorboard.backend.event_processing.event_accumulator")
    syn = synthetic_v1
    out = str(tmp_path / "pics")
    r = python_train(syn, out, *FLAGS, "--epochs", "2", "--experiment_name", "pics", "--validation_display", "2")
    rn = run_name(8, exp="pics")
    recs = records(out, rn)
    for x in recs:
        assert 0 <= x["data_seconds"] <= x["seconds"]
    assert r.stdout.count(", data wait ") == 2
    for epoch in (1, 2):
        png = os.path.join(out, "results", rn, f"epoch_{epoch:04d}_prediction.png")
        with open(png, "rb") as f:
            assert f.read(8) == b"\x89PNG\r\n\x1a\n"
    assert not glob.glob(os.path.join(out, "results", rn, "*.h5")) and not glob.glob(os.path.join(out, "results", rn, "tmp*"))
    acc = event_accumulator.EventAccumulator(glob.glob(os.path.join(out, "logs", rn, "events.out.tfevents.*"))[0],
                                             size_guidance={"images": 0, "scalars": 0})
    acc.Reload()
    assert [e.step for e in acc.Images("val/prediction")] == [2]  # validation_display 2
    fractions = {e.step: e.value for e in acc.Scalars("time/data_wait_fraction")}
    assert sorted(fractions) == [1, 2] and all(0 <= v <= 1 for v in fractions.values())
    assert sorted(e.step for e in acc.Scalars("train/loss_iter")) == list(range(1, 2 * 4 + 1))  # 29 samples: 4 batches
    assert {e.step for e in acc.Scalars("train/learning_rate")} == {1, 2}
