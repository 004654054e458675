"""W&B through its real client, offline: `batvision train --use_wandb` and `batvision
wandb-sync` write an offline run whose history and summary (read back from the client's
own run file) are the run's metrics.jsonl and its best epoch."""
import glob
import json
import math
import os
import sys

from conftest import run, read_records
import wandb_records


def client_env(tmp):
    """WANDB_MODE=offline and a PATH whose python3 is this interpreter (which has wandb)."""
    env = dict(os.environ)
    env["WANDB_MODE"] = "offline"
    env["PATH"] = os.path.dirname(sys.executable) + os.pathsep + env.get("PATH", "")
    env["WANDB_SILENT"] = "true"
    env.pop("WANDB_DIR", None)
    return env


def offline_run_file(logs):
    found = glob.glob(os.path.join(logs, "wandb", "offline-run-*", "run-*.wandb"))
    assert len(found) == 1, found
    return found[0]


def check_against_log(wandb_file, logs):
    records = read_records(os.path.join(logs, "metrics.jsonl"))
    rows = {row["epoch"]: row for row in wandb_records.history(wandb_file)}
    assert sorted(rows) == [r["epoch"] for r in records]
    for r in records:
        row = rows[r["epoch"]]
        assert row["_step"] == r["epoch"]
        assert row["train/loss"] == r["train_loss"]
        assert row["train/data_wait_seconds"] == r["data_seconds"]
        assert 0 <= row["train/data_wait_fraction"] <= 1
        if r.get("metrics"):
            assert row["val/loss"] == r["val_loss"]
            for k, v in r["metrics"].items():
                # W&B charts take numbers: a non-finite figure (log10 of a zero prediction) is left out.
                assert row.get(f"val/{k}") == (v if math.isfinite(v) else None), k
            assert row["predictions/_type"] == "image-file"
        else:
            assert "val/rmse" not in row
    validated = [r for r in records if r.get("metrics")]
    best = min(validated, key=lambda r: r["metrics"]["rmse"])
    s = wandb_records.summary(wandb_file)
    assert s["best/epoch"] == best["epoch"]
    assert s["best/rmse"] == best["metrics"]["rmse"]
    assert s["best/abs_rel"] == best["metrics"]["abs_rel"]
    return records


def test_train_logs_every_epoch_and_the_best_to_an_offline_run(synthetic, tmp_path):
    out = str(tmp_path)
    r = run([synthetic.bin, "train"] + synthetic.common() + [
        "--output_dir", out, "--num_downs", "5", "--ngf", "4", "--epochs", "3", "--batch_size", "8",
        "--validation_iter", "2", "--experiment_name", "wb", "--use_wandb", "--wandb_project", "bv-test"],
        cwd=synthetic.root, env=client_env(tmp_path))
    assert "W&B:" not in r.stderr, r.stderr
    name = "unet_baseline_batvisionv2_BS8_Lr0.002_AdamW_wb"
    logs = os.path.join(out, "logs", name)
    f = offline_run_file(logs)
    records = check_against_log(f, logs)
    assert [r["epoch"] for r in records if r.get("metrics")] == [2, 3]
    config = wandb_records.config(f)
    assert config["learning_rate"] == 0.002 and config["num_downs"] == 5 and config["wandb_project"] == "bv-test"
    # The mode came from WANDB_MODE, and the run log says so.
    with open(os.path.join(logs, "config.yaml")) as c:
        assert "wandb_mode: offline  # environment variable WANDB_MODE" in c.read()


def test_wandb_sync_uploads_a_run_trained_without_it(synthetic, tmp_path):
    out = str(tmp_path)
    run([synthetic.bin, "train"] + synthetic.common() + [
        "--output_dir", out, "--num_downs", "5", "--ngf", "4", "--epochs", "2", "--batch_size", "8",
        "--validation_iter", "1", "--experiment_name", "later"], cwd=synthetic.root)
    logs = os.path.join(out, "logs", "unet_baseline_batvisionv2_BS8_Lr0.002_AdamW_later")
    assert not os.path.exists(os.path.join(logs, "wandb"))
    r = run([synthetic.bin, "wandb-sync", logs], env=client_env(tmp_path))
    assert "2 epochs (offline)" in r.stdout
    check_against_log(offline_run_file(logs), logs)
