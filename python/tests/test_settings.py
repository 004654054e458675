"""The trainer resolves conf files and flags exactly as `batvision train` does (light)."""
import os

import pytest

from batvision_cache import settings as S
from batvision_cache.cache import BatvisionCache
from batvision_cache.checkpoint import read_checkpoint
from batvision_cache.train import settings_from_cache

from conftest import CONF


def resolved(syn, flags, switches, use_yaml=True, monkeypatch=None):
    if not use_yaml:
        monkeypatch.setattr(S, "parse_yaml", S._parse_flat)
    s = S.load("batvisionv2", CONF, flags, switches)
    settings_from_cache(s, BatvisionCache(syn.cache))
    return s


@pytest.mark.parametrize("use_yaml", [True, False], ids=["pyyaml", "flat-parser"])
def test_same_settings_run_name_and_metadata_as_swift(synthetic, tmp_path, monkeypatch, use_yaml):
    out = str(tmp_path / "out")
    flags = {"manifest": synthetic.manifest, "cache_dir": synthetic.cache_dir, "images_size": "32",
             "output_dir": out, "num_downs": "5", "ngf": "4", "epochs": "1", "validation": "false",
             "learning_rate": "1e-3", "optimizer": "Adam", "seed": "3", "experiment_name": "settings"}
    cli = [x for k, v in flags.items() if k not in ("manifest", "cache_dir", "images_size") for x in (f"--{k}", v)]
    synthetic.swift_train(out, *cli, "--save_best_model")
    s = resolved(synthetic, flags, ["save_best_model"], use_yaml, monkeypatch)
    config = S.TrainingConfig(s)
    assert config.run_name == "unet_baseline_batvisionv2_BS256_Lr0.001_Adam_settings_seed3"  # a seed other than 0 is named
    path = os.path.join(out, "checkpoints", config.run_name, "checkpoint_1.safetensors")
    _, info = read_checkpoint(path)
    assert info["settings"] == s.values  # every key, every value as Swift prints it
    assert info["model"] == config.model_config == {"inputChannels": 2, "outputChannels": 1, "numDowns": 5,
                                                     "ngf": 4, "depthNorm": False}
    assert info["feature"] == BatvisionCache(synthetic.cache).feature_config
    assert info["runName"] == config.run_name and info["format"] == "batvision-checkpoint-1"


def test_python_float_and_validation():
    assert [S.python_float(x) for x in (0.001, 0.0005, 1e-05, 2.0, 1e16)] == ["0.001", "0.0005", "1e-05", "2.0",
                                                                          "1e+16"]
    s = S.load("batvisionv1", CONF, {"epochs": "3", "checkpoints": "3"})
    with pytest.raises(ValueError, match="checkpoints"):
        S.TrainingConfig(s)
    s = S.load("batvisionv1", CONF, {"optimizer": "RMSprop"})
    with pytest.raises(ValueError, match="optimizer = .RMSprop. .*expected Adam, AdamW, SGD"):
        S.TrainingConfig(s)
    c = S.TrainingConfig(S.load("batvisionv1", CONF, {"generator": "unet_128"}))
    assert (c.num_downs, c.batch_size, c.learning_rate, c.max_depth, c.depth_norm) == (7, 128, 0.001, 12.0, True)


def test_a_flag_contradicting_the_cache_is_refused(synthetic):
    s = S.load("batvisionv2", CONF, {"images_size": "64"})
    with pytest.raises(Exception, match="contradicts the cache"):
        settings_from_cache(s, BatvisionCache(synthetic.cache))
    s = S.load("batvisionv2", CONF, {})  # conf says 256: the cache (32) wins, recorded as such
    settings_from_cache(s, BatvisionCache(synthetic.cache))
    assert s["images_size"] == "32" and s.origins["images_size"] == "cache"


def test_cache_resolved_through_print_cache_dir(synthetic, tmp_path):
    """Without --cache the trainer asks `batvision featurize <flags> --print_cache_dir`
    (a stand-in binary here) and uses <key dir>/features.h5; else it names the command."""
    import argparse
    import shutil
    import stat

    from batvision_cache.train import UsageError, resolve_cache
    key_dir = tmp_path / "cache" / "batvisionv2" / "k"
    key_dir.mkdir(parents=True)
    log = tmp_path / "args"
    exe = tmp_path / "batvision"
    exe.write_text(f'#!/usr/bin/env bash\necho "$*" > {log}\necho {key_dir}\n')
    exe.chmod(exe.stat().st_mode | stat.S_IEXEC)
    s = S.load("batvisionv2", CONF, {"images_size": "32", "manifest": "m.json", "cache_dir": "c"})
    args = argparse.Namespace(cache=None, batvision=str(exe), conf_dir=CONF)
    with pytest.raises(UsageError, match="batvision featurize --dataset batvisionv2 --manifest m.json --cache_dir c"):
        resolve_cache(args, s)  # the key folder has no features.h5 yet
    assert log.read_text().split() == ["featurize", "--dataset", "batvisionv2", "--manifest", "m.json", "--cache_dir",
                                       "c", "--audio_format", "mel_spectrogram", "--max_depth", "30.0",
                                       "--depth_norm", "false", "--images_size", "32", "--preprocess", "resize",
                                       "--depth_resize", "reference", "--audio_offset", "0", "--audio_cut_ms", "null",
                                       "--conf_dir", CONF, "--print_cache_dir"]
    # Every feature setting reaches featurize: a valid_area run resolves the valid_area cache.
    s = S.load("batvisionv2", CONF, {"images_size": "32", "manifest": "m.json", "cache_dir": "c", "depth_resize": "valid_area"})
    with pytest.raises(UsageError):
        resolve_cache(args, s)
    assert "--depth_resize valid_area" in log.read_text()
    shutil.copy(synthetic.cache, key_dir / "features.h5")
    assert resolve_cache(args, s) == str(key_dir / "features.h5")
    args.batvision = str(tmp_path / "missing-binary")
    with pytest.raises(UsageError, match="no batvision binary"):
        resolve_cache(args, s)


def test_the_package_reads_the_tools_own_table_of_settings():
    """settings.json is what `batvision settings --json` prints: keys, kinds, defaults,
    switches and feature names all come from the Swift table, and disagree nowhere."""
    import json
    import subprocess

    binary = os.environ.get("BATVISION_BIN")
    if not binary:
        pytest.skip("needs the batvision binary (BATVISION_BIN)")
    printed = subprocess.run([binary, "settings", "--json"], capture_output=True, text=True, check=True).stdout
    assert json.loads(printed) == S.TABLE, "python/batvision_cache/settings.json is stale: run `batvision settings --json > python/batvision_cache/settings.json`"
    # What the package derives from it.
    assert S.default("learning_rate", "batvisionv1") == "0.001" and S.default("batch_size", "batvisionv2") == "256"
    assert set(S.TRAIN_SWITCHES) == {"save_best_model", "use_wandb", "deterministic"}
    assert S.FEATURE_NAMES["depth_resize"] == "depthResize" and "dataset_dir" not in S.TRAIN_KEYS


def test_the_loss_defaults_are_the_settings():
    pytest.importorskip("torch")
    from batvision_cache.losses import DepthLoss
    loss = DepthLoss()
    assert (loss.criterion, loss.l1_weight, loss.silog_weight, loss.silog_lambda) == (
        S.default("criterion"), float(S.default("l1_weight")), float(S.default("silog_weight")), float(S.default("silog_lambda")))
