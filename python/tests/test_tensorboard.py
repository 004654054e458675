"""TensorBoard as the baseline uses it, read by TensorBoard's own loader: a run's event
file holds the per-epoch metrics, the per-iteration loss at global steps, epoch time and
learning rate, the validation and training prediction pictures of the epochs asked for
(validation_display, print_tensorboard), the resolved config as text and the hparams."""
import glob
import json
import os

from tensorboard.backend.event_processing import event_accumulator
from tensorboard.plugins.hparams import plugin_data_pb2

from conftest import run, read_records


def load(logs):
    files = glob.glob(os.path.join(logs, "events.out.tfevents.*"))
    assert len(files) == 1, files
    acc = event_accumulator.EventAccumulator(files[0], size_guidance={"images": 0, "scalars": 0, "tensors": 0})
    acc.Reload()
    return acc


def test_a_run_shows_in_tensorboard_as_the_baselines_does(synthetic, tmp_path):
    out = str(tmp_path)
    epochs, batch = 3, 8
    run([synthetic.bin, "train"] + synthetic.common() + [
        "--output_dir", out, "--num_downs", "5", "--ngf", "4", "--epochs", str(epochs), "--batch_size", str(batch),
        "--validation_iter", "1", "--validation_display", "2", "--print_tensorboard", "3", "--experiment_name", "tb"],
        cwd=synthetic.root)
    logs = os.path.join(out, "logs", "unet_baseline_batvisionv2_BS8_Lr0.002_AdamW_tb")
    acc = load(logs)
    tags = acc.Tags()
    records = read_records(os.path.join(logs, "metrics.jsonl"))
    assert [r["epoch"] for r in records] == [1, 2, 3]

    # Per epoch: the losses and metrics metrics.jsonl holds, epoch time and learning rate.
    def scalars(tag):
        return {e.step: e.value for e in acc.Scalars(tag)}
    assert scalars("train/loss") == {r["epoch"]: _f32(r["train_loss"]) for r in records}
    assert scalars("val/rmse") == {r["epoch"]: _f32(r["metrics"]["rmse"]) for r in records}
    assert scalars("train/learning_rate") == {e: _f32(0.002) for e in (1, 2, 3)}
    assert all(v > 0 for v in scalars("time/epoch_seconds").values()) and sorted(scalars("time/epoch_seconds")) == [1, 2, 3]
    # The time the loop waited for data, and its share of the epoch (metrics.jsonl's data_seconds).
    assert scalars("time/data_wait_seconds") == {r["epoch"]: _f32(r["data_seconds"]) for r in records}
    assert all(0 <= v <= 1 for v in scalars("time/data_wait_fraction").values()) and len(scalars("time/data_wait_fraction")) == 3
    # Per iteration: one loss per batch, at global steps 1..epochs*batches.
    batches = -(-29 // batch)
    assert sorted(scalars("train/loss_iter")) == list(range(1, epochs * batches + 1))

    # Pictures: validation every 2nd epoch, the training batch every 3rd; PNGs as drawn.
    assert [e.step for e in acc.Images("val/prediction")] == [2]
    assert [e.step for e in acc.Images("train/prediction")] == [3]
    for tag in ("val/prediction", "train/prediction"):
        img = acc.Images(tag)[0]
        assert img.encoded_image_string[:8] == b"\x89PNG\r\n\x1a\n" and img.width > 400 and img.height > 200

    # The resolved config as text (each key with where its value came from) and the hparams.
    assert acc.SummaryMetadata("config").plugin_data.plugin_name == "text"
    text = acc.Tensors("config")[0].tensor_proto.string_val[0].decode()
    assert "learning_rate: 0.002" in text and "validation_display: 2  # command line" in text
    plugin = acc.PluginTagToContent("hparams")
    experiment = plugin_data_pb2.HParamsPluginData.FromString(plugin["_hparams_/experiment"])
    names = {h.name for h in experiment.experiment.hparam_infos}
    assert {"learning_rate", "batch_size", "ngf", "num_downs"} <= names
    metrics = {m.name.tag for m in experiment.experiment.metric_infos}
    assert {"val/rmse", "val/loss"} <= metrics
    session = plugin_data_pb2.HParamsPluginData.FromString(plugin["_hparams_/session_start_info"])
    assert session.session_start_info.hparams["batch_size"].number_value == batch
    assert "_hparams_/session_end_info" in plugin


def _f32(x):
    """A float as TensorBoard holds it (float32)."""
    import struct
    return struct.unpack("f", struct.pack("f", x))[0]
